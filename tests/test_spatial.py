"""The spatial fast path decides exactly what full shape inference decides (issue #14, part 3)."""
from __future__ import annotations

import os

import pytest
from hypothesis import example, given, settings, strategies as st

from cfggen.cfg import parse, read_file
from cfggen.ir.spatial import compile_spatial
from cfggen.lint import engine
from cfggen.sizes_report import fits, valid_sizes_text

from conftest import corpus_files, needs_shared

SIZES = [(s, s) for s in range(16, 720, 11)] + [(416, 320), (608, 224), (33, 65), (1, 1), (2, 900)]


def _analysis(path):
    return engine.analyze(read_file(str(path)), "native")


@needs_shared
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_spatial_check_equals_full_inference(path):
    a = _analysis(path)
    if a.network is None or not a.plan.usable:
        pytest.skip("no network")
    spatial = compile_spatial(a.network)
    if spatial is None:
        pytest.skip("a layer with size-dependent checks of another kind: full inference is used")
    assert [spatial.check(w, h) for w, h in SIZES] == [fits(a, s) for s in SIZES] == spatial.check_many(SIZES)


def _findings(path, sizes):
    return [(d.code, d.line, d.col, d.message, d.severity) for d in engine.analyze(read_file(str(path)), sizes).findings]


@needs_shared
def test_training_sizes_report_the_same_with_and_without_the_fast_path(monkeypatch):
    files = [p for p in corpus_files() if b"random=" in p.read_bytes()]
    assert files
    fast = [_findings(p, "training") for p in files]
    explicit = [_findings(p, [(416, 416), (320, 320), (330, 330), (608, 608), (100, 612)]) for p in files]
    monkeypatch.setattr(engine, "compile_spatial", lambda net: None)
    assert fast == [_findings(p, "training") for p in files]
    assert explicit == [_findings(p, [(416, 416), (320, 320), (330, 330), (608, 608), (100, 612)]) for p in files]


NET = "[net]\nwidth=64\nheight=64\nchannels=3\n"
CONV = "[convolutional]\nfilters=4\nsize=3\nstride={s}\npad=1\n"


@pytest.mark.parametrize("body,size,ok", [
    (CONV.format(s=2) + CONV.format(s=2) + "[upsample]\nstride=2\n[route]\nlayers=-1,-3\n", (64, 64), True),
    (CONV.format(s=2) + CONV.format(s=2) + "[upsample]\nstride=2\n[route]\nlayers=-1,-3\n", (62, 62), False),
    (CONV.format(s=2) + CONV.format(s=1) + "[shortcut]\nfrom=-2\n", (33, 33), True),
    ("[convolutional]\nfilters=4\nsize=7\n", (6, 6), False),
    ("[maxpool]\nsize=2\nstride=2\n[convolutional]\nfilters=4\nsize=1\nantialiasing=1\nstride=2\n", (64, 64), True),
])
def test_small_networks(body, size, ok):
    a = engine.analyze(parse(NET + body), "native")
    spatial = compile_spatial(a.network)
    assert spatial is not None and spatial.check(*size) == ok == fits(a, size) == spatial.check_many([size])[0]


def test_vector_layers_fall_back_to_inference():
    a = engine.analyze(parse(NET + "[convolutional]\nfilters=4\n[connected]\noutput=10\n[softmax]\n"), "native")
    assert compile_spatial(a.network) is None
    assert "square sizes" in valid_sizes_text(a, (32, 40), False)


_BLOCKS = ["[convolutional]\nfilters=4\nsize={k}\nstride={s}\npad={p}\n",
           "[convolutional]\nfilters=4\nsize=3\nstride_x={s}\nstride_y={t}\npad=1\n",
           "[convolutional]\nfilters=4\nsize=3\nstride=2\npad=1\nantialiasing={a}\n",
           "[maxpool]\nsize={k}\nstride={s}\n", "[upsample]\nstride={s}\n", "[upsample]\nstride=-{s}\n",
           "[route]\nlayers=-1,-{r}\n", "[shortcut]\nfrom=-{r}\n", "[avgpool]\n", "[reorg]\nstride=2\n",
           "[convolutional]\nfilters=4\nsize=1\n[scale_channels]\nfrom=-{r}\n",
           "[convolutional]\nfilters={k}\nsize=1\n", "[sam]\nfrom=-{r}\n", "[scale_channels]\nfrom=-{r}\nscale_wh=1\n"]
_REFERS = (6, 7, 10, 12, 13)   # blocks that read an earlier layer: not first


@given(st.lists(st.tuples(st.integers(0, len(_BLOCKS) - 1), st.integers(1, 3), st.integers(1, 3), st.integers(1, 4),
                          st.integers(0, 1), st.integers(1, 2)), min_size=1, max_size=12))
@example([(0, 1, 1, 1, 0, 1), (0, 1, 1, 1, 0, 1), (6, 1, 1, 1, 0, 1), (0, 1, 1, 1, 0, 1), (10, 1, 1, 3, 0, 1)])
@settings(max_examples=int(os.environ.get("CFGGEN_EXAMPLES", 150)), deadline=None)
def test_all_sizes_at_once_equals_one_at_a_time(blocks):
    """``check_many`` splits the program into its width and height halves and runs each over all
    the sizes at once: it must say exactly what ``check`` says, size by size, failures included, and
    both what full shape inference says (the compiled program leaves identity steps out)."""
    body = "".join(_BLOCKS[b].format(k=k, s=s, t=k, p=p, a=a, r=min(r, i + 1)) for i, (b, k, s, r, p, a) in
                   enumerate(blocks) if b not in _REFERS or i > 0)
    if not body:
        return
    a = engine.analyze(parse("[net]\nwidth=96\nheight=64\nchannels=4\n" + body), "native")
    spatial = compile_spatial(a.network) if a.network is not None and a.plan.usable else None
    if spatial is None:
        return
    sizes = [(w, h) for w in (1, 2, 5, 31, 32, 48, 64, 96, 100) for h in (1, 3, 32, 64, 65, 96)]
    assert spatial.check_many(sizes) == [spatial.check(w, h) for w, h in sizes] == [fits(a, s) for s in sizes]


@pytest.mark.parametrize("body", [
    "[convolutional]\nfilters=8\nsize=3\npad=1\n[avgpool]\n[convolutional]\nfilters=4\nsize=1\n[scale_channels]\nfrom=-3\n",
    "[convolutional]\nfilters=8\nsize=3\npad=1\n[convolutional]\nfilters=4\nsize=1\n[sam]\nfrom=-2\n",
])
def test_channel_mismatch_builds_at_no_size(body):
    """[scale_channels] and [sam] compare channel counts too, and darknet asserts on them at every
    size: ``--sizes`` must list no size (the spatial program alone would list them all)."""
    a = engine.analyze(parse(NET + body), "native")
    assert compile_spatial(a.network) is None
    assert "fits: none" in valid_sizes_text(a, (32, 128), False)
