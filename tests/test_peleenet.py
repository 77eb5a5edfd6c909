"""PeleeNet: built from darknet's own layers ([local_avgpool] transitions), parameter counts and logits equal
to Robert-JunWang's peleenet.py (the golden in ../shared/golden/reference-models/), checkpoints imported.

Oracles: the golden's layout, logits and per-module sums; onnxruntime on ``cfggen export``; for the 2x2
pools with ``padding=0``, darknet's pooling formula (reference §12.3) written out in numpy. OpenCV's darknet
importer has no [local_avgpool]: the test checks that it really refuses the cfg, as ``loads in:`` says.
"""
from __future__ import annotations

import os
import re

import numpy as np
import pytest

from cfggen.generate import default_filename, generate
from cfggen.scale.peleenet import BLOCKS, inter_channels
from cfggen.standalone import compose
from conftest import needs_shared, run_cli

GENERATED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "generated_cfgs")
NAME = "peleenet"


# ------------------------------------------------------------------------------------------------
# the 2x2 pools, against darknet's formula

def darknet_pool(x: np.ndarray, size: int, stride: int, padding: int, kind: str) -> np.ndarray:
    """Reference §12.3: windows start at -(padding // 2); out-of-range cells are skipped (max) or not
    counted (local average); output (W + padding - size) // stride + 1."""
    c, h, w = x.shape
    oh, ow = (h + padding - size) // stride + 1, (w + padding - size) // stride + 1
    out = np.zeros((c, oh, ow), np.float64)
    for oy in range(oh):
        for ox in range(ow):
            y0, x0 = oy * stride - padding // 2, ox * stride - padding // 2
            ys = [y for y in range(y0, y0 + size) if 0 <= y < h]
            xs = [v for v in range(x0, x0 + size) if 0 <= v < w]
            cells = x[:, ys][:, :, xs].reshape(c, -1).astype(np.float64)
            out[:, oy, ox] = cells.max(1) if kind == "maxpool" else cells.mean(1)
    return out


@pytest.mark.parametrize("kind", ["maxpool", "local_avgpool"])
@pytest.mark.parametrize("side, padding", [(7, 0), (8, 0), (7, None), (6, None)])
def test_2x2_pools_export_as_darknet_computes(kind, side, padding, tmp_path):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from cfggen import export
    from cfggen.api import analyze_text

    text = (f"[net]\nwidth={side}\nheight={side}\nchannels=3\n\n[{kind}]\nsize=2\nstride=2\n"
            + (f"padding={padding}\n" if padding is not None else ""))
    cfg = tmp_path / "pool.cfg"
    cfg.write_text(text)
    x = np.random.default_rng(1).normal(size=(3, side, side)).astype(np.float32)
    want = darknet_pool(x, 2, 2, 1 if padding is None else padding, kind)
    layer = analyze_text(text, sizes="native").network.layers[0]
    assert (layer.output.c, layer.output.h, layer.output.w) == want.shape
    session = ort.InferenceSession(export.to_onnx(str(cfg), None).SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: x[None]})
    assert np.allclose(got.reshape(want.shape), want, rtol=1e-6, atol=1e-6)
    if padding == 0:          # PyTorch's MaxPool2d(2, 2) / AvgPool2d(2, 2): floor size, every cell in range
        assert want.shape[1] == side // 2


def test_dense_layer_widths():
    assert [inter_channels(c, w) for c, w in ((32, 1), (128, 2), (256, 4), (512, 4))] == [16, 32, 64, 64]
    assert inter_channels(40, 4) == 20            # capped when larger than half the input (int(40 / 8) * 4)


# ------------------------------------------------------------------------------------------------
# parameters

@needs_shared
def test_parameters_equal_the_reference_per_module():
    from reference_models import golden, trainable

    from cfggen.api import analyze_text

    g = golden(NAME)
    built = compose(NAME)
    layers = analyze_text(built.text, sizes="native").network.layers
    m = built.marks
    cuts = [("features.stemblock", 0, m["features.stemblock"])]
    start = m["features.stemblock"] + 1
    for i in range(1, len(BLOCKS) + 1):
        cuts.append((f"features.denseblock{i}", start, m[f"features.denseblock{i}"]))
        t = m[f"features.transition{i}"]
        cuts.append((f"features.transition{i}", t, t))
        start = m.get(f"features.transition{i}_pool", t) + 1
    cuts.append(("classifier", m["logits"], m["logits"]))
    for prefix, first, last in cuts:
        ours = sum(layer.params.trainable for layer in layers[first:last + 1])
        assert ours == trainable(g, prefix + "."), prefix
    assert sum(layer.params.trainable for layer in layers) == g["params"] == 2_802_248


# ------------------------------------------------------------------------------------------------
# import -> export -> onnxruntime

@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    pytest.importorskip("safetensors")
    from reference_models import checkpoint, cli_import

    folder = tmp_path_factory.mktemp("peleenet")
    prefix = str(folder / NAME)
    err = cli_import(checkpoint(NAME, folder), prefix)
    assert "Robert-JunWang PeleeNet naming (safetensors), peleenet inferred" in err
    marks = {k: v + 1 for k, v in compose(NAME).marks.items()}
    return prefix + ".cfg", prefix + ".weights", marks, folder


@needs_shared
def test_logits_and_every_module_via_export(imported, tmp_path):
    pytest.importorskip("onnxruntime")
    from reference_models import assert_logits, assert_sum, cli_export, golden, raw_input, run_session, stage

    cfg, weights, marks, _ = imported
    g = golden(NAME)
    names = [s["name"] for s in g["stages"] if s["name"] != "logits"]
    assert set(names) == set(marks) - {"logits"}          # every module the golden records maps to a layer
    layers = sorted(set(marks.values()))
    session = cli_export(cfg, weights, layers, str(tmp_path / "model.onnx"))
    out = run_session(session, raw_input(NAME), layers)
    assert_logits(out[marks["logits"]], g)
    for name in names:
        assert_sum(out[marks[name]], stage(g, name))


@needs_shared
def test_opencv_refuses_local_avgpool_as_loads_in_says(imported):
    cv2 = pytest.importorskip("cv2")
    cfg, weights, _, _ = imported
    with pytest.raises(cv2.error, match="local_avgpool"):
        cv2.dnn.readNetFromDarknet(cfg, weights)
    code, out, _ = run_cli("validate", "--target", "opencv", cfg)
    assert "Unknown layer type: local_avgpool" in out


@needs_shared
def test_detector_backbone_file_and_taps(tmp_path):
    pytest.importorskip("onnxruntime")
    from reference_models import assert_sum, checkpoint, cli_import, golden, run_backbone, stage

    prefix = str(tmp_path / "det")
    cli_import(checkpoint(NAME, tmp_path), prefix, "--head", "yolo-tiny")
    taps = {s: t.index + 1 for s, t in compose(NAME, head="yolo").taps.items()}
    (conv,) = [f for f in os.listdir(tmp_path) if f.startswith("det.conv.")]
    assert int(conv.rsplit(".", 1)[1]) == taps[32] + 1
    out = run_backbone(NAME, prefix, tmp_path, taps)
    for stride, module in ((8, "features.transition2"), (16, "features.transition3"), (32, "features.transition4")):
        assert_sum(out[taps[stride]], stage(golden(NAME), module))


@needs_shared
def test_a_misfit_is_named_and_nothing_written(tmp_path):
    pytest.importorskip("safetensors")
    from safetensors.numpy import save_file
    from reference_models import golden, ref_weights

    tensors = ref_weights().make_weights(golden(NAME)["layout"], 1)
    del tensors["features.denseblock3.denselayer5.branch2c.norm.running_var"]
    path = str(tmp_path / "pelee.safetensors")
    save_file(tensors, path)
    code, _, err = run_cli("import", path, "-o", str(tmp_path / "out"))
    assert code != 0 and "features.denseblock3.denselayer5.branch2c.norm.running_var" in err and "missing" in err
    assert not [f for f in os.listdir(tmp_path) if f.startswith("out")]


# ------------------------------------------------------------------------------------------------
# build and targets

@pytest.mark.parametrize("head", ["classifier", "yolo", "yolo-tiny"])
def test_build_writes_the_committed_default(head):
    code, out, err = run_cli("build", NAME, "--head", head)
    assert code == 0, err
    with open(os.path.join(GENERATED, default_filename(NAME, head)), encoding="utf-8", newline="") as fh:
        assert fh.read() == out
    assert "loads in: alexeyab, hank-ai; not in: pjreddie" in err and "opencv (error: Unknown layer type: local_avgpool" in err


def test_stem_concatenates_pool_then_conv():
    text = generate(NAME)
    stem = text[text.index("# ==== stem"):text.index("# ==== denseblock1")]
    sections = [s for s in stem.split("\n\n") if "[" in s]
    kinds = [re.search(r"\[(\w+)\]", s).group(1) for s in sections]
    assert kinds == ["convolutional", "maxpool", "route", "convolutional", "convolutional", "route",
                     "convolutional"]
    assert "layers=-4,-1" in sections[5]          # [maxpool (layer 1), stem2b (layer 4)]
    assert "padding=0" in sections[1]


@pytest.mark.parametrize("target", ["opencv", "pjreddie"])
def test_targets_without_local_avgpool_are_refused(target):
    code, _, err = run_cli("build", NAME, "--target", target)
    assert code == 2 and f"does not load in {target}" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("head", ["yolo", "yolo-tiny"])
def test_detectors_validate_at_every_training_size(head):
    from cfggen.api import analyze_text
    result = analyze_text(generate(NAME, head=head, classes=3), sizes="training")
    assert list(result.findings) == []
    assert len(result.sizes) > 1


def test_list_shows_the_reference_count():
    code, out, _ = run_cli("list")
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:] if line.strip()}
    assert int(rows[NAME][3].replace(",", "")) == 2_802_248


def test_sizes_the_stem_cannot_concatenate_are_refused():
    code, _, err = run_cli("build", NAME, "--size", "225x193")
    assert code == 2 and "stem" in err and "multiple of 4" in err and len(err.strip().splitlines()) == 1
    from cfggen.api import analyze_text
    for size in ("228x196", "223x195"):        # stem1 maps of even size: both branches agree
        assert list(analyze_text(generate(NAME, size=size), sizes="native").findings) == []
