"""GhostNet 1.0x (issue 21): huawei-noah's network from darknet's own layers, exact.

Against ../shared/golden/reference-models/ghostnet_100.json (needs_shared): parameters in total and
per stage (the reference's trainable parameters = the cfg's; there are no constant layers), the block
table, and checkpoint -> ``cfggen import`` -> ``cfggen export`` -> onnxruntime reproducing the logits
and every stage sum.
"""
from __future__ import annotations

import re

import pytest

from cfggen.api import analyze_text
from cfggen.errors import GenerateError
from cfggen.generate import generate
from cfggen.scale import ghostnet as gn
from cfggen.standalone import compose
from conftest import needs_shared, run_cli

REFERENCE = "ghostnet_100"


def group(key: str) -> str:
    if key.startswith("blocks."):
        return ".".join(key.split(".")[:2])
    return {"conv_stem": "stem", "bn1": "stem", "conv_head": "conv_head", "classifier": "classifier"}[key.split(".")[0]]


@needs_shared
def test_parameters_equal_the_reference_per_stage():
    from reference_models import cfg_params, golden, reference_params

    built = compose("ghostnet")
    assert built.writer.constants == []
    result = analyze_text(built.text, sizes="native")
    assert list(result.findings) == []
    assert result.network.totals.params == golden(REFERENCE)["params"] == gn.PARAMS
    marks = built.writer.marks
    ends = {k: v for k, v in marks.items() if k == "stem" or re.fullmatch(r"blocks\.\d+", k)}
    ends.update(conv_head=marks["conv_head+act2"], classifier=marks["logits"])
    theirs = reference_params(REFERENCE, group)
    assert len(theirs) == 13                       # stem, blocks.0-9, conv_head, classifier
    assert cfg_params(built.text, ends) == theirs


@needs_shared
def test_block_table_equals_the_reference():
    from reference_models import golden
    _, infos, last = gn.blocks()
    table = [row for row in golden(REFERENCE)["architecture"]["blocks"] if row["type"] == "ghost_bottleneck"]
    assert [(b.name, b.inp, b.mid, b.out, b.stride, b.se or None, b.identity) for b in infos] == \
        [(r["name"], r["in"], r["mid"], r["out"], r["stride"], r["se_reduced"], r["shortcut"] == "identity")
         for r in table]
    assert last == golden(REFERENCE)["architecture"]["blocks"][-1]["out"] == 960


@needs_shared
def test_imported_reference_reproduces_logits_and_stages(tmp_path):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("safetensors")
    from cfggen.convert.sequential import IMAGENET
    from reference_models import golden, import_and_run, logits_error, run_onnx, stage_mismatches

    cfg, weights = import_and_run(REFERENCE, tmp_path)
    built = compose("ghostnet", normalize=IMAGENET)
    assert open(cfg, encoding="utf-8").read().split("\n[net]\n")[1] == built.text.split("\n[net]\n")[1]
    marks, scales = built.writer.marks, built.writer.scales
    where = {s["name"]: (marks[s["name"]], scales[marks[s["name"]]]) for s in golden(REFERENCE)["stages"]}
    assert all(scale == 1.0 for _, scale in where.values())    # every stage at the reference's own scale
    outputs = run_onnx(cfg, weights, [i for i, _ in where.values()])
    error, ok = logits_error(outputs[marks["logits"]], REFERENCE)
    assert ok, f"max |delta logit| {error}"
    assert stage_mismatches(outputs, REFERENCE, where) == []


@needs_shared
def test_hswish_approx_changes_only_the_se_gates(tmp_path):
    pytest.importorskip("onnxruntime")
    from reference_models import import_and_run, last_conv, logits_error, run_onnx

    exact, approx = generate("ghostnet"), generate("ghostnet", hswish="approx")
    def count(text, activation):
        return len(re.findall(f"^activation={activation}$", text, re.M))

    assert count(exact, "hardtan") == count(approx, "logistic") == 7     # one per SE
    cfg, weights = import_and_run(REFERENCE, tmp_path, "--hswish", "approx")
    text = open(cfg, encoding="utf-8").read()
    last = last_conv(text)
    error, ok = logits_error(run_onnx(cfg, weights, [last])[last], REFERENCE)
    assert not ok and error > 1e-2


@pytest.mark.parametrize("head", ["yolo", "yolo-tiny"])
@pytest.mark.parametrize("width", [1.0, 0.5, 1.3])
def test_detectors_validate_at_every_training_size(head, width):
    result = analyze_text(generate("ghostnet", head=head, width_mult=width), sizes="training")
    assert list(result.findings) == []


@pytest.mark.parametrize("width", [0.5, 1.3])
def test_width_multiplier_keeps_ghost_widths_even(width):
    _, infos, last = gn.blocks(width)
    assert all(b.mid % 4 == 0 and b.out % 4 == 0 for b in infos) and last % 4 == 0
    assert list(analyze_text(generate("ghostnet", width_mult=width), sizes="native").findings) == []


def test_odd_ghost_width_is_refused():
    from cfggen.scale.sequential import Writer
    w = Writer()
    w.conv(8, module="x", bn_module="y", in_channels=3)
    with pytest.raises(GenerateError, match="odd ghost module width 7"):
        gn._ghost(w, 7, True, "m")


def test_huawei_checkpoint_is_detected_before_efficientnet(tmp_path):
    pytest.importorskip("safetensors")
    import numpy as np
    from safetensors.numpy import save_file

    from cfggen.convert.ghostnet import NAMINGS
    from cfggen.convert.sequential import needs

    tensors = {need.name: np.full(need.shapes[0], 0.25, np.float32)
               for _, roles in needs(compose("ghostnet"), NAMINGS[0]) for need in roles.values()}
    tensors.pop("blocks.4.0.se.conv_expand.bias")
    save_file(tensors, str(tmp_path / "g.safetensors"))
    code, _, err = run_cli("import", tmp_path / "g.safetensors", "-o", tmp_path / "g")
    assert code == 2 and "huawei-noah GhostNet naming" in err and "blocks.4.0.se.conv_expand.bias" in err
    assert not (tmp_path / "g.cfg").exists() and not (tmp_path / "g.weights").exists()


@needs_shared
@pytest.mark.parametrize("hswish", ["exact", "approx"])
def test_opencv_computes_what_the_export_computes(hswish, tmp_path):
    """Through OpenCV's darknet importer (where it has the layers): the approx cfg as it is, the exact
    one with its hardtan gates read as tanh on both sides (OpenCV has no hardtan): same logits as the
    exported graph, so both readers take [scale_channels] + [shortcut] and the ghost routes alike."""
    pytest.importorskip("cv2")
    pytest.importorskip("onnxruntime")
    from reference_models import import_and_run, opencv_against_export

    cfg, weights = import_and_run(REFERENCE, tmp_path, "--hswish", hswish)
    logits = compose("ghostnet", hswish=hswish, normalize=((0, 0, 0), (1, 1, 1))).writer.marks["logits"]
    assert opencv_against_export(cfg, weights, logits, "tanh" if hswish == "exact" else None) < 1e-4


@needs_shared
def test_relu_construction_is_exact_through_opencv(tmp_path):
    """cfggen import --hswish relu: the SE gates from relu and fixed 1x1 convs on the 1x1 map; OpenCV's
    own forward reproduces the reference logits."""
    pytest.importorskip("cv2")
    from cfggen.convert.sequential import IMAGENET
    from reference_models import import_and_run, logits_error, opencv_output

    cfg, weights = import_and_run(REFERENCE, tmp_path, "--hswish", "relu")
    built = compose("ghostnet", hswish="relu", normalize=IMAGENET, fixed_ok=True)
    assert len(built.writer.fixed) == 3 * 7                     # three per SE gate
    _, logits = opencv_output(cfg, weights, built.writer.marks["logits"])
    error, ok = logits_error(logits, REFERENCE)
    assert ok, f"max |delta logit| {error}"
