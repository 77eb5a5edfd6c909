"""Property: whatever the bytes, `cfggen validate` ends in findings or a clean result, never a traceback.

Inputs are generated from darknet's vocabulary (sections, keys, numbers, suppression comments) and by
mutating a small real detector (deleted, duplicated and shuffled lines, changed numbers, random
bytes, huge values, deep route chains). Every run goes through the console entry point
(`cfggen.cli.main`); exit 3 (internal error) or any traceback fails the test. `bench/fuzz.py N`
runs the same idea over the whole corpus at scale.
"""
from __future__ import annotations

import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cfggen.cli import main

SEED = """[net]
batch=64
subdivisions=16
width=416
height=416
channels=3
max_batches=6000
policy=steps
steps=4800,5400
scales=.1,.1
random=1

[convolutional]
batch_normalize=1
filters=16
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
batch_normalize=1
filters=32
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
filters=18
size=1
stride=1
activation=linear

[yolo]
mask=3,4,5
anchors=10,14, 23,27, 37,58, 81,82, 135,169, 344,319
classes=1
num=6
random=1

[route]
layers=-3

[upsample]
stride=2

[route]
layers=-1,-6

[convolutional]
filters=18
size=1
activation=linear

[yolo]
mask=0,1,2
anchors=10,14, 23,27, 37,58, 81,82, 135,169, 344,319
classes=1
num=6
random=1
"""

SECTIONS = ["[net]", "[convolutional]", "[conv]", "[route]", "[shortcut]", "[yolo]", "[Gaussian_yolo]", "[region]",
            "[detection]", "[maxpool]", "[avgpool]", "[upsample]", "[connected]", "[softmax]", "[sam]",
            "[scale_channels]", "[reorg]", "[reorg3d]", "[crop]", "[local]", "[implicit]", "[empty]", "[crnn]",
            "[conv_lstm]", "[rnn]", "[gru]", "[lstm]", "[history]", "[contrastive]", "[cost]", "[dropout]",
            "[batchnorm]", "[activation]", "[Yolo]", "[nope]", "["]
KEYS = ["filters", "size", "stride", "stride_x", "stride_y", "pad", "padding", "dilation", "groups", "layers", "from",
        "mask", "anchors", "num", "classes", "random", "width", "height", "channels", "inputs", "batch",
        "subdivisions", "steps", "scales", "seq_scales", "policy", "max_batches", "activation", "antialiasing",
        "share_index", "embedding_layer", "yolo_layer", "side", "coords", "output", "resize_step",
        "counters_per_class", "new_coords", "maxpool_depth", "out_channels", "reverse", "scale_wh", "group_id",
        "crop_width", "crop_height", "history_size", "atoms", "weights_type", "xnor", "burn_in", "hidden",
        "letter_box", "mosaic", "step", "iou_loss", "nms_kind", "type", "subdivision", "mosiac"]
NUMBERS = st.one_of(st.integers(-3, 70).map(str), st.integers(-2**40, 2**40).map(str),
                    st.sampled_from(["0", "1", "-1", "2147483647", "-2147483648", "99999999999999999999", "1e9",
                                     "nan", "inf", "-inf", "0x20", "1.5", "", ",", "1,", "-1,-4,", "3 #x, y",
                                     "leaky", "Leaky", "silu", "relu6", "mish", "logistic", "steps", "ciou",
                                     "per_channel", "[(classes+5)*3]"]),
                    st.lists(st.integers(-8, 40).map(str), min_size=1, max_size=8).map(",".join))
LINES = st.one_of(
    st.sampled_from(SECTIONS),
    st.builds(lambda k, v: f"{k}={v}", st.sampled_from(KEYS), NUMBERS),
    st.sampled_from(["", "# comment", "; comment", "# cfggen: disable-next-line DN202", "# cfggen: disable DN2",
                     "# cfggen: enable", "# cfggen: disable-file DN999", "# cfggen: nonsense", "<<<<<<< HEAD",
                     "=======", ">>>>>>> b", "key_without_value", "=", " = 3 "]),
    st.text(max_size=20),
)
GENERATED = st.lists(LINES, max_size=40).map(lambda ls: "\n".join(ls).encode("utf-8", errors="surrogatepass"))


@st.composite
def mutated(draw) -> bytes:
    lines = SEED.split("\n")
    for _ in range(draw(st.integers(1, 5))):
        op = draw(st.integers(0, 8))
        i = draw(st.integers(0, max(0, len(lines) - 1)))
        if op == 0 and lines:
            del lines[i:i + draw(st.integers(1, 6))]
        elif op == 1:
            lines[i:i] = lines[i:i + draw(st.integers(1, 12))]
        elif op == 2:
            block = lines[i:i + draw(st.integers(2, 20))]
            lines[i:i + len(block)] = draw(st.permutations(block))
        elif op == 3 and lines and "=" in lines[min(i, len(lines) - 1)]:
            k = min(i, len(lines) - 1)
            lines[k] = lines[k].split("=", 1)[0] + "=" + draw(NUMBERS)
        elif op == 4:
            lines.insert(i, draw(LINES))
        elif op == 5:
            lines.extend(draw(st.sampled_from(["[route]\nlayers=-1", "[shortcut]\nfrom=-1", "[maxpool]\nsize=2\nstride=2",
                                               "[upsample]\nstride=2"])) for _ in range(draw(st.integers(1, 300))))
        elif op == 6:
            lines = [f"{line.split('=', 1)[0]}=2147483647" if "=" in line and draw(st.booleans()) else line
                     for line in lines]
        elif op == 7:
            lines = lines[:i]
        else:
            data = "\n".join(lines).encode()
            pos = draw(st.integers(0, len(data)))
            return data[:pos] + draw(st.binary(min_size=1, max_size=12)) + data[pos:]
    return "\n".join(lines).encode()


def _validate(data: bytes, *args: str) -> tuple[int, str]:
    fd, path = tempfile.mkstemp(suffix=".cfg")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        with pytest.raises(SystemExit) as exc:
            main(["validate", *args, path])
        return exc.value.code, path
    finally:
        os.unlink(path)


# capsys is read (and so reset) after every run, so sharing it between examples is safe
FUZZ = settings(max_examples=100, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@FUZZ
@given(data=st.one_of(GENERATED, mutated()), fmt=st.sampled_from(["text", "json", "github", "sarif"]))
def test_validate_never_crashes(capsys, data, fmt):
    code, _ = _validate(data, "--format", fmt)
    out, err = capsys.readouterr()
    assert code in (0, 1, 2), err
    assert "Traceback" not in out + err and "internal error" not in err


@settings(FUZZ, max_examples=50)
@given(data=mutated())
def test_fix_and_diff_never_crash(capsysbinary, data):
    # binary capture: a diff carries the file's own bytes, which need not be UTF-8
    code, _ = _validate(data, "--diff")
    out, err = capsysbinary.readouterr()
    assert code in (0, 1, 2) and b"internal error" not in err
    code, _ = _validate(data, "--fix", "--native-only")
    out, err = capsysbinary.readouterr()
    assert code in (0, 1, 2) and b"internal error" not in err and b"Traceback" not in out + err


def _findings(data: bytes) -> list:
    from cfggen.cfg.parse import parse_bytes
    from cfggen.lint import engine
    return [(d.code, d.line, d.col, d.layer, d.size, d.message, d.severity, d.hint, d.related, d.fix)
            for d in engine.analyze(parse_bytes(data, "x.cfg"), "training").findings]


@settings(FUZZ, max_examples=150)
@given(data=st.one_of(GENERATED, mutated()))
def test_rules_skipped_by_layer_type_would_report_nothing(monkeypatch, data):
    """The engine skips a network rule when the network has no layer of its ``LAYER_TYPES``: the
    findings are exactly those of running every rule."""
    from cfggen.lint import engine
    gated = _findings(data)
    with monkeypatch.context() as m:
        m.setattr(engine, "_GATES", ())       # no gate: every rule runs
        assert _findings(data) == gated
