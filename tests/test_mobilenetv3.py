"""MobileNetV3-Large/-Small (issue 21): the official networks from darknet's own layers, exact.

Against ../shared/golden/reference-models (needs_shared): parameter counts in total and per stage,
and the whole chain checkpoint -> ``cfggen import`` -> ``cfggen export`` -> onnxruntime reproducing
the reference logits and stage sums, for geffnet's and torchvision's namings. Counting convention:
the reference's trainable parameters equal the cfg's trainable parameters (BN gamma/beta, conv
weights and biases); the exact hard-swish/hard-sigmoid construction adds no constant layers, which
``test_no_constant_layers`` pins (with constants, the rule would be "cfg minus constant layers").
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from cfggen.api import analyze_text
from cfggen.errors import UsageError
from cfggen.generate import generate
from cfggen.scale import mobilenetv3 as m3
from cfggen.standalone import compose
from conftest import needs_shared, run_cli

NAMES = {"mobilenetv3-large": "mobilenetv3_large_100", "mobilenetv3-small": "mobilenetv3_small_100"}
TORCHVISION = {"mobilenetv3-large": "tv_mobilenet_v3_large", "mobilenetv3-small": "tv_mobilenet_v3_small"}


def geffnet_group(key: str) -> str:
    if key.startswith("blocks."):
        return ".".join(key.split(".")[:2])
    return {"conv_stem": "stem", "bn1": "stem", "conv_head": "conv_head", "classifier": "classifier"}[key.split(".")[0]]


def groups(built) -> dict[str, int]:
    """Each group's last layer: the stem, every blocks.S stage, conv_head (with its hard-swish), classifier."""
    marks = built.writer.marks
    ends = {k: v for k, v in marks.items() if k == "stem" or re.fullmatch(r"blocks\.\d+", k)}
    ends.update(conv_head=marks["act2"], classifier=marks["logits"])
    return ends


@pytest.mark.parametrize("name", NAMES)
def test_no_constant_layers(name):
    for hswish in ("exact", "approx"):
        assert compose(name, hswish=hswish).writer.constants == []


@needs_shared
@pytest.mark.parametrize("name", NAMES)
def test_parameters_equal_the_reference_per_stage(name):
    from reference_models import cfg_params, golden, reference_params

    built = compose(name)
    result = analyze_text(built.text, sizes="native")
    assert list(result.findings) == []
    assert result.network.totals.params == golden(NAMES[name])["params"] == golden(TORCHVISION[name])["params"]
    theirs = reference_params(NAMES[name], geffnet_group)
    assert cfg_params(built.text, groups(built)) == theirs
    assert len(theirs) == {"mobilenetv3-large": 10, "mobilenetv3-small": 9}[name]   # stem, stages, head, fc


@needs_shared
@pytest.mark.parametrize("name", NAMES)
def test_block_table_equals_the_reference(name):
    from reference_models import golden
    _, infos = m3.blocks(m3.ARCHS[name])
    table = golden(NAMES[name])["architecture"]["blocks"]
    assert len(infos) == len(table)
    for b, row in zip(infos, table):
        assert (b.name, b.inp, b.mid if b.kind != "cn" else b.out, b.out, b.kernel, b.stride) == \
            (row["name"], row["in"], row.get("mid", row["out"]), row["out"], row["kernel"], row["stride"])
        if b.kind != "cn":
            assert (b.se or None, b.residual) == (row["se_reduced"], row["residual"])
        assert b.act == row["act"]


def tv_stage_names(name: str) -> dict[str, str]:
    """torchvision stage name -> the generator's mark (features.N is the N-th block, 0 the stem)."""
    _, infos = m3.blocks(m3.ARCHS[name])
    out = {"features.0": "stem", "avgpool": "global_pool", "classifier.0": "conv_head",
           "classifier.1 (hardswish)": "act2", "logits": "logits"}
    out.update({f"features.{n}": b.name for n, b in enumerate(infos, start=1)})
    return out


@needs_shared
@pytest.mark.parametrize("name, reference", [(n, r) for n, r in NAMES.items()] +
                         [(n, r) for n, r in TORCHVISION.items()])
def test_imported_reference_reproduces_logits_and_stages(name, reference, tmp_path):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("safetensors")
    from cfggen.convert.sequential import IMAGENET
    from reference_models import golden, import_and_run, logits_error, run_onnx, stage_mismatches

    cfg, weights = import_and_run(reference, tmp_path)
    built = compose(name, normalize=IMAGENET)
    text = open(cfg, encoding="utf-8").read()
    assert text.split("\n[net]\n")[1] == built.text.split("\n[net]\n")[1]      # the layers the marks index
    marks, scales = built.writer.marks, built.writer.scales
    rename = tv_stage_names(name) if reference.startswith("tv_") else {}
    where = {}
    for stage in golden(reference)["stages"]:
        mark = rename.get(stage["name"], stage["name"])
        if mark in marks and scales[marks[mark]] is not None:
            where[stage["name"]] = (marks[mark], scales[marks[mark]])
    assert len(where) == len(golden(reference)["stages"])            # every stage maps
    outputs = run_onnx(cfg, weights, [i for i, _ in where.values()])
    error, ok = logits_error(outputs[marks["logits"]], reference)
    assert ok, f"max |delta logit| {error}"
    assert stage_mismatches(outputs, reference, where) == []


@needs_shared
def test_epsilon_is_what_separates_the_namings(tmp_path):
    """torchvision's 1e-3 is folded into rolling_variance: imported as geffnet's 1e-5 instead, the
    logits move by the README's ~3e-4 and leave the tolerance."""
    pytest.importorskip("onnxruntime")
    from reference_models import import_and_run, last_conv, logits_error, run_onnx

    cfg, weights = import_and_run("tv_mobilenet_v3_small", tmp_path)
    text = open(cfg, encoding="utf-8").read()
    assert "checkpoint BN epsilon 0.001 folded into rolling_variance" in text
    last = last_conv(text)
    ours = run_onnx(cfg, weights, [last])[last]
    assert logits_error(ours, "tv_mobilenet_v3_small")[1]
    assert not logits_error(ours, "mobilenetv3_small_100")[1]       # same weights, eps 1e-5


@needs_shared
def test_hswish_approx_is_another_network(tmp_path):
    """--hswish approx (swish + logistic): labelled in the cfg and outside the tolerance."""
    pytest.importorskip("onnxruntime")
    from reference_models import import_and_run, last_conv, logits_error, run_onnx

    cfg, weights = import_and_run("mobilenetv3_small_100", tmp_path, "--hswish", "approx")
    text = open(cfg, encoding="utf-8").read()
    assert "--hswish approx" in text and "NOT the" in text and "activation=hardtan" not in text
    last = last_conv(text)
    error, ok = logits_error(run_onnx(cfg, weights, [last])[last], "mobilenetv3_small_100")
    assert not ok and 1e-3 < error < 1.0


def test_geffnet_width_multiplier_imports_exactly(tmp_path):
    """geffnet's mobilenetv3_large_075 (random init): parameters, width inferred, and logits = torch's."""
    geffnet = pytest.importorskip("geffnet")
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    from safetensors.torch import save_file

    from reference_models import run_layers

    torch.manual_seed(0)
    model = geffnet.mobilenetv3_large_075(pretrained=False).eval()
    for m in model.modules():        # non-trivial BN statistics
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    text = generate("mobilenetv3-large", width_mult=0.75)
    assert analyze_text(text, sizes="native").network.totals.params == sum(p.numel() for p in model.parameters())
    path = tmp_path / "mobilenetv3_large_075.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    code, _, err = run_cli("import", path, "-o", tmp_path / "m")
    assert code == 0 and "width 0.75 inferred" in err, err
    x = np.random.default_rng(0).random((1, 3, 224, 224), dtype=np.float32)
    mean, std = (np.asarray(v, np.float32).reshape(1, 3, 1, 1) for v in ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)))
    with torch.no_grad():
        want = model(torch.from_numpy((x - mean) / std)).numpy().reshape(-1)
    cfg = str(tmp_path / "m.cfg")
    net = analyze_text(open(cfg, encoding="utf-8").read(), sizes="native").network
    last = max(la.index for la in net.layers if la.type == "convolutional")
    got = run_layers(cfg, str(tmp_path / "m.weights"), x, [last])[last].reshape(-1)
    assert np.abs(got - want).max() <= 5e-5 + 1e-5 * np.abs(want).max()


def test_checkpoint_that_does_not_fit_writes_nothing(tmp_path):
    pytest.importorskip("safetensors")
    from safetensors.numpy import save_file

    from cfggen.convert.sequential import needs
    from cfggen.convert.mobilenetv3 import NAMINGS

    built = compose("mobilenetv3-small")
    tensors = {}
    for _, roles in needs(built, NAMINGS[0]):
        for need in roles.values():
            tensors[need.name] = np.zeros(need.shapes[-1], np.float32)
    tensors["blocks.2.1.conv_dw.weight"] = np.zeros((240, 1, 3, 3), np.float32)     # k5 in the reference
    path = tmp_path / "bad.safetensors"
    save_file(tensors, str(path))
    code, _, err = run_cli("import", path, "-o", tmp_path / "out")
    assert code == 2
    assert "blocks.2.1.conv_dw.weight: expected (240, 1, 5, 5)" in err and "bad.safetensors" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.safetensors"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("head", ["yolo", "yolo-tiny"])
@pytest.mark.parametrize("width", [1.0, 0.75])
def test_detectors_validate_at_every_training_size(name, head, width):
    result = analyze_text(generate(name, head=head, width_mult=width), sizes="training")
    assert [f for f in result.findings if f.severity == "error"] == []
    assert list(result.findings) == []


@pytest.mark.parametrize("name", NAMES)
def test_detector_backbone_is_the_stage_ends(name):
    built = compose(name, head="yolo")
    stride = {s: t.index for s, t in built.taps.items()}
    net = analyze_text(built.text, sizes="native").network
    assert (net.width, net.height) == (224, 224)
    for s in (8, 16, 32):
        assert net.layers[stride[s]].output.w == 224 // s
        assert net.layers[stride[s] + 1].output.w != 224 // s or s == 32 or \
            net.layers[stride[s] + 1].type == "convolutional"
    assert built.backbone_end == stride[32] + 1


def test_yolo_import_writes_the_backbone(tmp_path):
    pytest.importorskip("safetensors")
    from safetensors.numpy import save_file

    from cfggen.convert.mobilenetv3 import NAMINGS
    from cfggen.convert.sequential import needs
    from cfggen.convert.weights import layout, load_network

    full = compose("mobilenetv3-small")
    tensors = {need.name: np.full(need.shapes[0], 0.5, np.float32)
               for _, roles in needs(full, NAMINGS[0]) for need in roles.values()}
    save_file(tensors, str(tmp_path / "s.safetensors"))
    code, _, err = run_cli("import", tmp_path / "s.safetensors", "--head", "yolo", "-o", tmp_path / "d")
    assert code == 0, err
    (conv,) = [p for p in tmp_path.iterdir() if ".conv." in p.name]
    upto = int(conv.name.rsplit(".", 1)[1])
    network, _ = load_network(str(tmp_path / "d.cfg"))
    spans = layout(network, 20, "save", upto)
    assert conv.stat().st_size == spans[-1].end
    assert network.layers[upto].type == "convolutional" and network.layers[upto - 1].type == "shortcut"


def test_options_it_has_no_use_for_are_refused():
    code, _, err = run_cli("build", "mobilenetv3-large", "--no-se")
    assert code == 2 and "--no-se: not an option of mobilenetv3-large" in err
    code, _, err = run_cli("build", "mobilenetv3-small", "--activation", "relu")
    assert code == 2 and "--activation" in err
    code, _, err = run_cli("build", "b0", "--hswish", "approx")
    assert code == 2 and "--hswish applies to" in err


@pytest.mark.parametrize("name", NAMES)
def test_targets_tell_the_truth(name, tmp_path):
    code, _, err = run_cli("build", name, "-o", tmp_path / "a.cfg")
    assert code == 0 and "loads in: alexeyab, hank-ai;" in err and "opencv (error: Unsupported activation: hardtan)" in err
    code, _, err = run_cli("build", name, "--target", "opencv", "-o", tmp_path / "b.cfg")
    assert code == 2 and "no hardtan" in err and not (tmp_path / "b.cfg").exists()
    code, _, err = run_cli("build", name, "--target", "pjreddie")
    assert code == 2 and "pjreddie" in err
    code, _, err = run_cli("build", name, "--hswish", "approx", "--target", "opencv", "-o", tmp_path / "c.cfg")
    assert code == 0 and "opencv" in err.split("not in")[0]
    cv2 = pytest.importorskip("cv2")
    with pytest.raises(cv2.error, match="hardtan"):        # what the verdict says, from OpenCV itself
        cv2.dnn.readNetFromDarknet(str(tmp_path / "a.cfg"))
    cv2.dnn.readNetFromDarknet(str(tmp_path / "c.cfg"))


def test_hswish_construction_is_exact_in_the_exported_graph(tmp_path):
    """conv -> [shortcut] from=-1 hardtan -> [sam] -> [shortcut] is hswish(y)/3, and the SE gate
    (conv hardtan -> [scale_channels] -> [shortcut]) is 2*x*hsig(g), as the export computes darknet."""
    pytest.importorskip("onnxruntime")
    from cfggen.convert import weights as wt
    from reference_models import run_layers
    from cfggen.scale.sequential import Writer

    w = Writer()
    y = w.conv_act(16, "hard_swish", "exact", size=3, module="c", bn_module="b", in_channels=3)
    w.se(y, 8, "se", "exact")
    cfg = tmp_path / "t.cfg"
    cfg.write_text("[net]\nwidth=12\nheight=10\nchannels=3\n\n" + w.text())
    network, _ = wt.load_network(str(cfg))
    wt.init(network, str(tmp_path / "t.weights"), seed=3)
    x = np.random.default_rng(0).normal(0, 3, (1, 3, 10, 12)).astype(np.float32)
    conv, gate = 0, y + 3          # the conv computing y/6 and the SE's hardtan conv computing g/3
    out = run_layers(str(cfg), str(tmp_path / "t.weights"), x, [conv, y, gate, w.last])
    yy = 6 * out[conv].astype(np.float64)
    np.testing.assert_allclose(out[y], yy * np.clip(yy + 3, 0, 6) / 6 / 3, atol=1e-5)
    assert (yy > 3).any() and (yy < -3).any() and (np.abs(yy) < 3).any()        # every branch of relu6
    t = out[gate].astype(np.float64)        # hardtan(g/3), so hsig(g) = relu6(g+3)/6 = (t+1)/2
    assert np.abs(t).max() <= 1
    np.testing.assert_allclose(out[w.last], 2 * out[y] * (t + 1) / 2, atol=1e-5)


@needs_shared
def test_opencv_computes_what_the_export_computes(tmp_path):
    """OpenCV's darknet importer on the exact construction with hardtan read as tanh on both sides
    (OpenCV has no hardtan): [shortcut] from=-1 with an activation, [sam], [scale_channels] + [shortcut]
    give the same logits as the exported graph; and the approx cfg loads and agrees as it is."""
    pytest.importorskip("cv2")
    pytest.importorskip("onnxruntime")
    from reference_models import import_and_run, opencv_against_export

    for hswish in ("exact", "approx"):
        cfg, weights = import_and_run("mobilenetv3_small_100", tmp_path, "--hswish", hswish)
        logits = compose("mobilenetv3-small", hswish=hswish, normalize=((0, 0, 0), (1, 1, 1))).writer.marks["logits"]
        assert opencv_against_export(cfg, weights, logits, "tanh" if hswish == "exact" else None) < 1e-4


def test_torch_checkpoint_nested_and_prefixed_and_tf_ports_refused(tmp_path):
    """A .pth under 'state_dict' with DDP's module. prefix imports; a tf_* file name is refused."""
    geffnet = pytest.importorskip("geffnet")
    torch = pytest.importorskip("torch")
    state = {"module." + k: v for k, v in geffnet.mobilenetv3_small_100(pretrained=False).state_dict().items()}
    torch.save({"state_dict": state}, tmp_path / "small.pth")
    code, _, err = run_cli("import", tmp_path / "small.pth", "--no-normalize", "-o", tmp_path / "s")
    assert code == 0 and "mobilenetv3-small width 1.0 inferred" in err, err
    assert analyze_text((tmp_path / "s.cfg").read_text(), sizes="native").network.layers[0].conf["groups"] == 1
    torch.save(state, tmp_path / "tf_mobilenetv3_small_100.pth")
    code, _, err = run_cli("import", tmp_path / "tf_mobilenetv3_small_100.pth", "-o", tmp_path / "t")
    assert code == 2 and "TF port" in err and not (tmp_path / "t.cfg").exists()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("width", [0.35, 1.25])     # 0.75: test_geffnet_width_multiplier_imports_exactly
def test_width_multipliers_equal_geffnet(name, width):
    """geffnet's own builder at other channel multipliers: every block's widths and the total."""
    pytest.importorskip("geffnet")
    pytest.importorskip("torch")
    from geffnet.mobilenetv3 import _gen_mobilenet_v3

    model = _gen_mobilenet_v3(NAMES[name], channel_multiplier=width)
    _, infos = m3.blocks(m3.ARCHS[name], width)
    theirs = []
    for stage in model.blocks:
        for block in stage:
            convs = [m for m in block.modules() if m.__class__.__name__ == "Conv2d"]
            se = getattr(block, "se", None)
            squeeze = se.conv_reduce.out_channels if se is not None and hasattr(se, "conv_reduce") else 0
            theirs.append((convs[0].in_channels, convs[-1].out_channels, squeeze))
    assert [(b.inp, b.out, b.se) for b in infos] == theirs
    text = generate(name, width_mult=width)
    assert analyze_text(text, sizes="native").network.totals.params == sum(p.numel() for p in model.parameters())


@needs_shared
@pytest.mark.parametrize("reference", ["mobilenetv3_small_100", "tv_mobilenet_v3_large"])
def test_relu_construction_is_exact_through_opencv(reference, tmp_path):
    """cfggen import --hswish relu: hard-sigmoid as 1 - relu(1 - relu(g/6 + 1/2)) with fixed 1x1 convs, which
    OpenCV loads: OpenCV's own forward reproduces the reference logits. Counting: the reference's trainable
    parameters = the cfg's minus its fixed layers (frozen with learning_rate=0)."""
    pytest.importorskip("cv2")
    from cfggen.convert.sequential import IMAGENET
    from reference_models import golden, import_and_run, logits_error, opencv_output

    cfg, weights = import_and_run(reference, tmp_path, "--hswish", "relu")
    name = "mobilenetv3-small" if "small" in reference else "mobilenetv3-large"
    built = compose(name, hswish="relu", normalize=IMAGENET, fixed_ok=True)
    text = open(cfg, encoding="utf-8").read()
    assert "activation=hardtan" not in text and "--hswish relu" in text
    layers = analyze_text(text, sizes="native").network.layers
    fixed = set(built.writer.fixed)
    lines = text.splitlines()

    def section(i):          # the layer's lines, from its header to the blank line after it
        start = layers[i].line - 1
        return lines[start:lines.index("", start)]

    assert all("learning_rate=0" in section(i) for i in fixed) and len(re.findall(r"^learning_rate=0$", text, re.M)) == len(fixed)
    assert sum(la.params.trainable for la in layers if la.index not in fixed and la.index != 0) == \
        golden(reference)["params"]
    code, _, err = run_cli("validate", "--target", "opencv", cfg)
    assert code == 0, err
    _, logits = opencv_output(cfg, weights, built.writer.marks["logits"])
    error, ok = logits_error(logits, reference)
    assert ok, f"max |delta logit| {error}"


def test_relu_construction_only_through_import():
    with pytest.raises(UsageError, match="cfggen import --hswish relu"):
        generate("mobilenetv3-large", hswish="relu")
    code, _, err = run_cli("build", "ghostnet", "--target", "opencv")
    assert code == 2 and "cfggen import --hswish relu" in err
