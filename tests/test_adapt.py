"""`cfggen adapt`: class count, size, anchors, batch; lossless edits; refusal when the result breaks."""
from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

import pytest

from cfggen.api import analyze_text
from cfggen.cfg.parse import parse, read_file
from cfggen.convert.adapt import AdaptError, adapt, adapt_checked, new_steps
from cfggen.errors import InputError, UsageError
from conftest import run_cli as run  # noqa: E402

SHARED = Path(os.environ.get("CFGGEN_SHARED", Path(__file__).resolve().parent.parent.parent / "shared"))
CORPUS = SHARED / "corpus" / "darknet"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no shared corpus at {CORPUS}")
HEADS = ("[yolo]", "[Gaussian_yolo]", "[region]", "[detection]")


def detector_cfgs() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    out = []
    for p in sorted(CORPUS.rglob("*.cfg")):
        doc = read_file(str(p))
        if any(s.header in HEADS for s in doc.sections):
            out.append(p)
    return out


YOLO = """[net]
# Testing
#batch=1
#subdivisions=1
# Training
batch=64
subdivisions=16
width=64
height=64
channels=3
max_batches = 500200
policy=steps
steps=400000,450000
scales=.1,.1

[convolutional]
filters=16
size=3
stride=2
pad=1
activation=leaky

[convolutional]
size=1
stride=1
pad=1
filters=255
activation=linear

[yolo]
mask = 0,1,2
anchors = 10,13,  16,30,  33,23
classes=80
num=3
"""


def changed_lines(before: str, after: str) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """(replaced (old, new) pairs, inserted lines, deleted lines) between two texts, line by line."""
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    if len(a) == len(b):     # no line inserted or deleted: compare line by line (difflib is slow here)
        return [(x, y) for x, y in zip(a, b) if x != y], [], []
    replaced, inserted, deleted = [], [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "replace" and i2 - i1 == j2 - j1:
            replaced += list(zip(a[i1:i2], b[j1:j2]))
        elif tag in ("replace", "delete", "insert"):
            deleted += a[i1:i2]
            inserted += b[j1:j2]
    return replaced, inserted, deleted


def key_of(line: str) -> str:
    return re.sub(r"\s", "", line).split("=", 1)[0]


# ------------------------------------------------------------------------------------------------
# acceptance: every detector of the corpus, to 1, 3 and 601 classes

ALLOWED = {"classes", "filters", "max_batches", "steps", "output"}


@needs_corpus
def test_corpus_detectors_adapt_cleanly():
    files = detector_cfgs()
    assert len(files) >= 48
    for path in files:
        doc = read_file(str(path))
        before = analyze_text(doc_text := Path(path).read_bytes().decode(), str(path), sizes="native")
        for n in (1, 3, 601):
            result = adapt_checked(doc, classes=n)
            after = analyze_text(result.text, str(path), sizes="native")
            bad = [d for d in after.findings if d.severity == "error" and d.code in ("DN301", "DN305")]
            assert not bad, (path.name, n, bad[:2])
            old_errors = {(d.code, d.layer) for d in before.findings if d.severity == "error"}
            new = [d for d in after.findings if d.severity == "error" and (d.code, d.layer) not in old_errors]
            assert not new, (path.name, n, new[:2])
            replaced, inserted, deleted = changed_lines(doc_text, result.text)
            assert not deleted, (path.name, deleted)
            for old, new_line in replaced:
                k = key_of(old)
                if new_line.lstrip().startswith("#") and not old.lstrip().startswith("#"):
                    assert k == "counters_per_class", (path.name, old, new_line)
                    continue
                assert k in ALLOWED and key_of(new_line) == k, (path.name, old, new_line)
                # only the value changed: the text before the value is byte-identical
                assert old.split("=", 1)[0] == new_line.split("=", 1)[0]
                assert old[-2:] == new_line[-2:] or old[-1:] == new_line[-1:]    # line ending kept
            for line in inserted:
                assert key_of(line) in ALLOWED, (path.name, line)
            net = after.network
            heads = [layer for layer in net.layers if layer.type in ("yolo", "gaussian_yolo", "region", "detection")]
            assert heads and all(h.conf["classes"] == n for h in heads)
            assert after.plan.net["max_batches"] == max(6000, 2000 * n)
            if after.plan.net["policy"] == "steps":
                steps = [int(v) for v in after.plan.net["steps"].split(",")]
                assert steps[-2:] == [max(6000, 2000 * n) * 8 // 10, max(6000, 2000 * n) * 9 // 10]


@needs_corpus
def test_gaussian_and_region_formulas():
    doc = read_file(str(CORPUS / "Gaussian_yolov3_BDD.cfg"))
    text = adapt(doc, classes=3).text
    net = analyze_text(text, sizes="native").network
    for head in (layer for layer in net.layers if layer.type == "gaussian_yolo"):
        assert net.layers[head.index - 1].conf["filters"] == 3 * (3 + 9)
    doc = read_file(str(CORPUS / "yolov2-voc.cfg"))
    net = analyze_text(adapt(doc, classes=7).text, sizes="native").network
    region = next(layer for layer in net.layers if layer.type == "region")
    assert net.layers[region.index - 1].conf["filters"] == 5 * (7 + 4 + 1)


@needs_corpus
def test_detection_head_sets_connected_output():
    doc = read_file(str(CORPUS / "t1.test.cfg"))
    net = analyze_text(adapt_checked(doc, classes=5).text, sizes="native").network
    det = next(layer for layer in net.layers if layer.type == "detection")
    k = det.conf
    assert net.layers[det.index - 1].conf["output"] == k["side"] ** 2 * ((1 + k["coords"]) * k["num"] + 5)


# ------------------------------------------------------------------------------------------------
# lossless edits

def test_only_values_change_and_style_is_kept():
    text = YOLO.replace("classes=80", "classes = 80   # coco").replace("filters=255", "filters=255#was coco")
    text = text.replace("\n", "\r\n")
    result = adapt(parse(text, "t.cfg"), classes=2)
    out = result.text
    assert "classes = 2   # coco\r\n" in out
    assert "filters=21#was coco\r\n" in out
    assert "max_batches = 6000\r\n" in out and "steps=4800,5400\r\n" in out
    assert out.count("\r\n") == text.count("\r\n") and "\n" not in out.replace("\r\n", "")
    replaced, inserted, deleted = changed_lines(text, out)
    assert len(replaced) == 4 and not inserted and not deleted


def test_missing_keys_are_inserted_after_the_last_net_option():
    text = YOLO.replace("max_batches = 500200\n", "").replace("policy=steps\nsteps=400000,450000\nscales=.1,.1\n",
                                                             "policy=steps\n")
    out = adapt(parse(text), classes=1).text
    lines = out.splitlines()
    i = lines.index("policy=steps")
    assert lines[i + 1:i + 4] == ["max_batches=6000", "steps=4800,5400", "scales=.1,.1"]
    assert analyze_text(out, sizes="native").plan.net["max_batches"] == 6000


def test_insert_uses_the_sections_spacing_style():
    text = "[net]\nwidth = 64\nheight = 64\nchannels = 3\n\n" + YOLO.split("\n\n", 1)[1]
    out = adapt(parse(text), classes=1).text
    assert "channels = 3\nmax_batches = 6000\n\n" in out


def test_active_batch_line_is_edited_not_the_commented_one():
    out = adapt(parse(YOLO), batch=32, subdivisions=8).text
    assert "#batch=1\n#subdivisions=1\n" in out
    assert "\nbatch=32\nsubdivisions=8\n" in out


def test_first_duplicate_wins():
    text = YOLO.replace("batch=64\n", "batch=64\nbatch=128\n")
    out = adapt(parse(text), batch=16).text
    assert "batch=16\nbatch=128\n" in out


def test_steps_rules():
    assert new_steps([400000, 450000], 6000, 500200) == [4800, 5400]
    assert new_steps([-1, 100, 20000, 30000], 6000, 40200) == [-1, 100, 4800, 5400]
    assert new_steps([5000], 10000, 8000) == [8000]
    # a warm-up entry past the new 80% step is scaled down and the list stays ascending
    assert new_steps([7000, 8000, 9000], 6000, 10000) == [4200, 4800, 5400]


def test_policy_other_than_steps_leaves_steps_alone():
    text = YOLO.replace("policy=steps", "policy=sgdr")
    result = adapt(parse(text), classes=2)
    assert "steps=400000,450000" in result.text
    assert any("policy=sgdr" in n and "left alone" in n for n in result.notes)


def test_max_batches_option_overrides_the_rule():
    out = adapt(parse(YOLO), classes=2, max_batches=10000).text
    assert "max_batches = 10000" in out and "steps=8000,9000" in out


def test_size_must_be_a_multiple_of_32_for_detectors():
    with pytest.raises(UsageError, match="multiples of 32"):
        adapt(parse(YOLO), size=(100, 96))
    result = adapt(parse(YOLO), size=(100, 96), force=True)
    assert "width=100" in result.text and "height=96" in result.text and result.notes


def test_unchanged_values_are_not_edited():
    result = adapt(parse(YOLO.replace("filters=255", "filters=255")), classes=80, max_batches=500200,
                   batch=64)
    assert result.text.replace("steps=400160,450180", "steps=400000,450000") == YOLO
    assert [c.key for c in result.changes] == ["steps"]


def test_counters_per_class_is_commented_out():
    text = YOLO.replace("classes=80", "classes=3\ncounters_per_class=10,20,30")
    result = adapt(parse(text), classes=2)
    assert "#counters_per_class=10,20,30" in result.text
    kept = adapt(parse(text), classes=3)
    assert "\ncounters_per_class=10,20,30" in kept.text


# ------------------------------------------------------------------------------------------------
# anchors

V3 = (YOLO.replace("[yolo]\nmask = 0,1,2\nanchors = 10,13,  16,30,  33,23\nclasses=80\nnum=3\n",
                   "[yolo]\nmask = 6,7,8\nanchors = 10,13,  16,30,  33,23,  30,61,  62,45,  59,119,  116,90,  "
                   "156,198,  373,326\nclasses=80\nnum=9\n")
      + "\n[route]\nlayers=-3\n\n[convolutional]\nfilters=255\nsize=1\nstride=1\npad=1\nactivation=linear\n\n"
        "[yolo]\nmask = 3,4,5\nanchors = 10,13,  16,30,  33,23,  30,61,  62,45,  59,119,  116,90,  156,198,  "
        "373,326\nclasses=80\nnum=9\n\n"
        "[route]\nlayers=-6\n\n[convolutional]\nfilters=255\nsize=1\nstride=1\npad=1\nactivation=linear\n\n"
        "[yolo]\nmask = 0,1,2\nanchors = 10,13,  16,30,  33,23,  30,61,  62,45,  59,119,  116,90,  156,198,  "
        "373,326\nclasses=80\nnum=9\n")


def test_anchor_count_change_redistributes_masks():
    assert not [d for d in analyze_text(V3, sizes="native").findings if d.severity == "error"]
    anchors = ",".join(str(v) for v in range(1, 25))
    result = adapt_checked(parse(V3), classes=2, anchors=anchors)
    net = analyze_text(result.text, sizes="native").network
    heads = [layer for layer in net.layers if layer.type == "yolo"]
    assert [h.conf["mask"] for h in heads] == ["8,9,10,11", "4,5,6,7", "0,1,2,3"]
    assert all(h.conf["num"] == 12 for h in heads)
    assert all(net.layers[h.index - 1].conf["filters"] == 4 * (2 + 5) for h in heads)
    assert "mask = 8,9,10,11\n" in result.text        # the spacing around '=' is kept


def test_same_anchor_count_keeps_masks():
    anchors = "1,2, 3,4, 5,6, 7,8, 9,10, 11,12, 13,14, 15,16, 17,18"
    out = adapt_checked(parse(V3), anchors=anchors).text
    assert out.count("anchors = 1,2,  3,4,  5,6,") == 3 and "num=9" in out and "filters=255" in out


def test_bad_anchor_lists():
    with pytest.raises(UsageError, match="even"):
        adapt(parse(YOLO), anchors="1,2,3")
    with pytest.raises(UsageError, match="positive"):
        adapt(parse(YOLO), anchors="1,-2")
    with pytest.raises(UsageError, match="uses anchor"):
        adapt(parse(V3.replace("mask = 0,1,2", "mask = 0,1")), anchors="1,2,3,4")


def test_region_anchors_update_num_and_filters():
    text = YOLO.replace("[yolo]\nmask = 0,1,2\nanchors = 10,13,  16,30,  33,23\nclasses=80\nnum=3\n",
                        "[region]\nanchors = 1,1, 2,2, 3,3\nclasses=20\ncoords=4\nnum=3\n").replace(
        "filters=255", "filters=75")
    out = adapt_checked(parse(text), anchors="1,1,2,2")
    net = analyze_text(out.text, sizes="native").network
    assert net.layers[-1].conf["num"] == 2 and net.layers[-2].conf["filters"] == 2 * 25


# ------------------------------------------------------------------------------------------------
# refusals

def test_head_not_fed_by_a_conv_is_an_input_error():
    text = YOLO.replace("[yolo]", "[maxpool]\nsize=1\nstride=1\n\n[yolo]")
    with pytest.raises(InputError, match=r"layer 3 \[yolo\].*\[maxpool\].*not a \[convolutional\]"):
        adapt(parse(text), classes=2)


def test_new_errors_are_refused():
    # conv0 -> yolo -> conv(18) -> shortcut from=0: more classes make conv0 wider than the shortcut
    text = YOLO.replace("filters=255", "filters=18").replace("classes=80", "classes=1") + (
        "\n[convolutional]\nfilters=18\nsize=1\nstride=1\npad=1\nactivation=linear\n\n[shortcut]\nfrom=1\n")
    assert not [d for d in analyze_text(text, sizes="native").findings if d.severity == "error"]
    with pytest.raises(AdaptError, match="DN202"):
        adapt_checked(parse(text), classes=3)


# ------------------------------------------------------------------------------------------------
# the command

@pytest.fixture
def cfg(tmp_path):
    p = tmp_path / "my.cfg"
    p.write_bytes(YOLO.encode())
    return p


def test_cli_stdout_and_summary_on_stderr(cfg):
    code, out, err = run("adapt", str(cfg), "--classes", "2")
    assert code == 0
    assert "classes=2\n" in out and "filters=21\n" in out and out.startswith("[net]\n")
    assert "classes 80 -> 2" in err and "filters 255 -> 21" in err and "max_batches 500200 -> 6000" in err


def test_cli_output_file_and_in_place(cfg, tmp_path):
    out_path = tmp_path / "out.cfg"
    code, out, err = run("adapt", str(cfg), "--classes", "2", "-o", str(out_path))
    assert code == 0 and err == ""
    assert f"wrote {out_path}" in out and "classes 80 -> 2" in out
    assert "classes=2\n" in out_path.read_text()
    assert cfg.read_text() == YOLO
    code, out, err = run("adapt", str(cfg), "--classes", "2", "--in-place")
    assert code == 0 and "classes=2\n" in cfg.read_text() and f"wrote {cfg}" in out
    code, out, err = run("adapt", str(cfg), "--classes", "2", "--in-place")
    assert code == 0 and "nothing written" in out


def test_cli_diff_writes_nothing(cfg):
    code, out, err = run("adapt", str(cfg), "--classes", "2", "--diff")
    assert code == 0
    assert "-classes=80\n+classes=2\n" in out and "-filters=255\n+filters=21\n" in out
    assert cfg.read_text() == YOLO
    assert "classes 80 -> 2" in err


def test_cli_stdin(cfg):
    code, out, err = run("adapt", "-", "--classes", "4", input=YOLO)
    assert code == 0 and "filters=27\n" in out and "<stdin>" in err


@pytest.mark.parametrize("args, message", [
    ((), "nothing to change"),
    (("--classes", "2", "-o", "x.cfg", "--in-place"), "not both"),
    (("--classes", "2", "--diff", "--in-place"), "without writing"),
    (("--classes", "0",), "at least 1"),
    (("--size", "100x100",), "multiples of 32"),
    (("--anchors", "1,2,3",), "even"),
])
def test_cli_usage_errors(cfg, args, message):
    code, out, err = run("adapt", str(cfg), *args)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_cli_input_errors(tmp_path):
    code, out, err = run("adapt", str(tmp_path / "missing.cfg"), "--classes", "2")
    assert code == 2 and "no such file" in err and out == ""
    clf = tmp_path / "clf.cfg"
    clf.write_text("[net]\nwidth=32\nheight=32\nchannels=3\n\n[convolutional]\nfilters=10\n\n[softmax]\n")
    code, out, err = run("adapt", str(clf), "--classes", "2")
    assert code == 2 and "detector cfgs only" in err and out == ""


def test_cli_refusal_exit_1(tmp_path):
    text = YOLO.replace("filters=255", "filters=18").replace("classes=80", "classes=1") + (
        "\n[convolutional]\nfilters=18\nsize=1\nstride=1\npad=1\nactivation=linear\n\n[shortcut]\nfrom=1\n")
    p = tmp_path / "c.cfg"
    p.write_text(text)
    target = tmp_path / "out.cfg"
    code, out, err = run("adapt", str(p), "--classes", "3", "-o", str(target))
    assert code == 1 and out == "" and "refusing to write" in err and "DN202" in err
    assert not target.exists()
