"""ShuffleNetV2 x0.5..x2.0: built from darknet's own layers, parameter counts and logits equal to torchvision's
(the goldens in ../shared/golden/reference-models/), and torchvision checkpoints imported.

Oracles: the goldens' parameter layout, logits and stage sums (torchvision 0.28 run on ref_weights.py's
deterministic weights and input); onnxruntime on ``cfggen export``; OpenCV's darknet importer (it has every
layer these cfgs use). Stage sums are compared where a darknet layer holds a whole module output: its
channels are torchvision's in another order, which a sum does not see.
"""
from __future__ import annotations

import os
import re
import shlex

import pytest

from cfggen.generate import default_filename, generate
from cfggen.scale.shufflenet import REPEATS, WIDTHS, stage_plan
from cfggen.standalone import compose
from conftest import needs_shared, run_cli

GENERATED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "generated_cfgs")
MODELS = {"x0.5": "shufflenet_v2_x0_5", "x1.0": "shufflenet_v2_x1_0", "x1.5": "shufflenet_v2_x1_5",
          "x2.0": "shufflenet_v2_x2_0"}


# ------------------------------------------------------------------------------------------------
# the split and shuffle, on channel labels (no numbers needed)

def torchvision_x2s(units: int, half: int) -> list[set]:
    """The channels each stride-1 unit's branch2 reads in torchvision, as (origin, channel) labels."""
    def labels(o):
        return [(o, k) for k in range(half)]

    def shuffle(p, q):
        return [c for pair in zip(p, q) for c in pair]

    y, x2s = shuffle(labels(0), labels(1)), [set()]
    for u in range(1, units):
        x2s.append(set(y[half:]))
        y = shuffle(y[:half], labels(u + 1))
    return x2s


@pytest.mark.parametrize("units, half", [(4, 58), (8, 116), (4, 24), (8, 122), (4, 488)])
def test_the_pieces_give_every_unit_torchvision_x2(units, half):
    plan = stage_plan(units, half)
    x2s = torchvision_x2s(units, half)
    for u in range(1, units):
        pieces = plan.into(u)
        got = [(p.origin, k) for p in pieces for k in p.channels]
        assert len(got) == half and set(got) == x2s[u]
        # cols[i] is the position in torchvision's x2 of darknet's channel i: a permutation
        assert sorted(plan.x2_cols[u]) == list(range(half))
    # every conv output channel goes exactly one way
    for pieces in plan.pieces:
        assert sorted(k for p in pieces for k in p.channels) == list(range(half))
    assert sorted(plan.end_cols) == list(range(2 * half))


def test_two_halving_routes_would_not_be_torchvision():
    """The construction that keeps a unit's two halves as layers and splits them with
    ``[route] groups=2`` matches torchvision at the first stride-1 unit only (why the plan uses pieces)."""
    half, x2s = 58, torchvision_x2s(4, 58)
    a, b = [(0, k) for k in range(half)], [(1, k) for k in range(half)]
    matches = []
    for u in range(1, 4):
        x1 = a[:half // 2] + b[:half // 2]
        matches.append(set(a[half // 2:] + b[half // 2:]) == x2s[u])
        a, b = x1, [(u + 1, k) for k in range(half)]
    assert matches == [True, False, False]


def test_no_route_uses_groups():
    """Pieces need plain concatenations only: every reader (pjreddie too) runs the classifier."""
    for width in WIDTHS:
        text = generate(f"shufflenetv2-{width}")
        assert "groups=" not in "".join(s for s in text.split("\n\n") if s.lstrip().startswith("[route]"))


# ------------------------------------------------------------------------------------------------
# parameter counts (the reference layouts)

@needs_shared
@pytest.mark.parametrize("width", list(WIDTHS))
def test_parameters_equal_torchvision_per_stage(width):
    from reference_models import golden, trainable

    from cfggen.api import analyze_text

    g = golden(MODELS[width])
    built = compose(f"shufflenetv2-{width}")
    layers = analyze_text(built.text, sizes="native").network.layers
    marks = built.marks
    cuts = [("conv1", 0, marks["conv1"]), ("stage2", marks["maxpool"] + 1, marks["stage2"]),
             ("stage3", marks["stage2"] + 1, marks["stage3"]), ("stage4", marks["stage3"] + 1, marks["stage4"]),
             ("conv5", marks["conv5"], marks["conv5"]), ("fc", marks["logits"], marks["logits"])]
    for prefix, first, last in cuts:
        ours = sum(layer.params.trainable for layer in layers[first:last + 1])
        assert ours == trainable(g, prefix + "."), prefix
    assert sum(layer.params.trainable for layer in layers) == g["params"]


# ------------------------------------------------------------------------------------------------
# import -> export -> onnxruntime / OpenCV against the goldens

@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """width -> (cfg, weights, marks shifted by the import's normalization layer), made on first use."""
    pytest.importorskip("safetensors")
    folder = tmp_path_factory.mktemp("shufflenet")
    cache = {}

    def get(width: str):
        if width not in cache:
            from reference_models import checkpoint, cli_import
            prefix = str(folder / width)
            err = cli_import(checkpoint(MODELS[width], folder), prefix)
            assert f"torchvision ShuffleNetV2 naming (safetensors), shufflenetv2-{width} inferred" in err
            marks = {k: v + 1 for k, v in compose(f"shufflenetv2-{width}").marks.items()}
            cache[width] = (prefix + ".cfg", prefix + ".weights", marks)
        return cache[width]
    return get


@needs_shared
@pytest.mark.parametrize("width", list(WIDTHS))
def test_logits_and_stages_via_export(imported, width, tmp_path):
    pytest.importorskip("onnxruntime")
    from reference_models import assert_logits, assert_sum, cli_export, golden, raw_input, run_session, stage

    cfg, weights, marks = imported(width)
    names = ["conv1", "maxpool", "stage2", "stage3", "stage4", "conv5", "globalpool"]
    layers = [marks[n] for n in names] + [marks["logits"]]
    session = cli_export(cfg, weights, layers, str(tmp_path / "model.onnx"))
    g = golden(MODELS[width])
    out = run_session(session, raw_input(MODELS[width]), layers)
    assert_logits(out[marks["logits"]], g)
    for name in names:
        assert_sum(out[marks[name]], stage(g, name))


@needs_shared
@pytest.mark.parametrize("width", ["x0.5", "x1.0"])
def test_logits_via_opencv(imported, width):
    pytest.importorskip("cv2")
    from reference_models import assert_logits, assert_sum, golden, opencv_outputs, raw_input, stage

    cfg, weights, marks = imported(width)
    g = golden(MODELS[width])
    out = opencv_outputs(cfg, weights, raw_input(MODELS[width]), [marks["stage4"], marks["logits"]])
    assert_logits(out[marks["logits"]], g)
    assert_sum(out[marks["stage4"]], stage(g, "stage4"))


@needs_shared
def test_detector_backbone_file_and_taps(imported, tmp_path):
    """--head yolo writes the backbone up to the stride-32 stage end as .conv.N; its taps are
    torchvision's stage2/3/4 outputs (at 224, a multiple of 32)."""
    pytest.importorskip("onnxruntime")
    from reference_models import assert_sum, checkpoint, cli_import, golden, run_backbone, stage

    name = MODELS["x1.0"]
    prefix = str(tmp_path / "det")
    err = cli_import(checkpoint(name, tmp_path), prefix, "--head", "yolo", "--classes", "3")
    assert "not used by the yolo head: conv5.0, conv5.1, fc" in err
    taps = {s: t.index + 1 for s, t in compose("shufflenetv2-x1.0", head="yolo").taps.items()}
    (conv,) = [f for f in os.listdir(tmp_path) if f.startswith("det.conv.")]
    assert int(conv.rsplit(".", 1)[1]) == taps[32] + 1
    text = open(prefix + ".cfg", encoding="utf-8").read()
    assert "classes=3" in text and f"holds layers 0-{taps[32]}" in text
    out = run_backbone(name, prefix, tmp_path, taps)      # the backbone alone, with the .conv.N file
    g = golden(name)
    for stride, st in ((8, "stage2"), (16, "stage3"), (32, "stage4")):
        assert_sum(out[taps[stride]], stage(g, st))


@needs_shared
def test_every_tensor_is_checked_before_writing(tmp_path):
    pytest.importorskip("safetensors")
    from safetensors.numpy import save_file
    from reference_models import golden, ref_weights

    rw = ref_weights()
    tensors = rw.make_weights(golden(MODELS["x0.5"])["layout"], 1)
    damaged = dict(tensors)
    damaged["stage3.4.branch2.5.weight"] = damaged["stage3.4.branch2.5.weight"][:, :10]
    path = str(tmp_path / "damaged.safetensors")
    save_file(damaged, path)
    code, _, err = run_cli("import", path, "-o", str(tmp_path / "out"), "--variant", "shufflenetv2-x0.5")
    assert code != 0 and "stage3.4.branch2.5.weight: expected (48, 48, 1, 1)" in err and "found (48, 10, 1, 1)" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not [f for f in os.listdir(tmp_path) if f.startswith("out")]
    extra = dict(tensors, **{"stage9.weight": tensors["fc.bias"]})
    save_file(extra, path)
    code, _, err = run_cli("import", path, "-o", str(tmp_path / "out"))
    assert code != 0 and "unexpected tensor stage9.weight" in err
    save_file(tensors, path)
    code, _, err = run_cli("import", path, "-o", str(tmp_path / "out"), "--variant", "shufflenetv2-x1.0")
    assert code != 0 and "shufflenetv2-x1.0" in err and "found (24, 24, 1, 1)" in err
    code, _, err = run_cli("import", path, "-o", str(tmp_path / "out"), "--classes", "10")
    assert code == 2 and "1000 classes" in err
    assert not [f for f in os.listdir(tmp_path) if f.startswith("out")]


# ------------------------------------------------------------------------------------------------
# build, list, targets

def test_build_writes_the_committed_defaults(capsys):
    for width in WIDTHS:
        for head in ("classifier", "yolo", "yolo-tiny"):
            name = f"shufflenetv2-{width}"
            code, out, err = run_cli("build", name, "--head", head)
            assert code == 0, err
            with open(os.path.join(GENERATED, default_filename(name, head)), encoding="utf-8", newline="") as fh:
                assert fh.read() == out
            assert "loads in: alexeyab, hank-ai, pjreddie" in err


def test_header_command_reproduces_and_mbconv_options_are_refused():
    code, out, _ = run_cli("build", "shufflenet_v2_x1_5", "--head", "yolo-tiny", "--classes", "3", "--size", "320x256")
    assert code == 0
    command = re.search(r"^# generated by cfggen: cfggen (build .*)$", out, re.M).group(1)
    assert command.startswith("build shufflenetv2-x1.5 ") and run_cli(*shlex.split(command))[1] == out
    code, _, err = run_cli("build", "shufflenetv2-x1.0", "--width-mult", "1.2")
    assert code == 2 and "--width-mult" in err and len(err.strip().splitlines()) == 1
    code, _, err = run_cli("build", "shufflenetv2-x1.0", "--head", "yolo", "--size", "300")
    assert code == 2 and "multiples of 32" in err


@pytest.mark.parametrize("head", ["yolo", "yolo-tiny"])
@pytest.mark.parametrize("width", list(WIDTHS))
def test_detectors_validate_at_every_training_size(width, head):
    from cfggen.api import analyze_text
    result = analyze_text(generate(f"shufflenetv2-{width}", head=head, classes=3), sizes="training")
    assert list(result.findings) == []
    assert len(result.sizes) > 1                                        # multi-scale sizes were checked


def test_targets_tell_the_truth():
    code, _, err = run_cli("build", "shufflenetv2-x1.0", "--target", "opencv", "--target", "pjreddie")
    assert code == 0 and "loads in: alexeyab, hank-ai, pjreddie, opencv" in err


def test_list_shows_torchvision_counts():
    code, out, _ = run_cli("list")
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:] if line.strip()}
    counts = {"x0.5": 1366792, "x1.0": 2278604, "x1.5": 3503624, "x2.0": 7393996}
    for width, params in counts.items():
        assert int(rows[f"shufflenetv2-{width}"][3].replace(",", "")) == params
        assert rows[f"shufflenetv2-{width}"][1] == "224x224"
    assert REPEATS == (4, 8, 4)


@needs_shared
def test_a_wrapped_pth_imports_to_the_same_bytes(imported, tmp_path):
    """A .pth (torch.load, weights_only) nested under "state_dict" with DDP's "module." prefix gives the same
    files as the .safetensors."""
    torch = pytest.importorskip("torch")
    from reference_models import cli_import, golden, ref_weights

    rw = ref_weights()
    g = golden(MODELS["x0.5"])
    state = {f"module.{k}": torch.from_numpy(v) for k, v in rw.make_weights(g["layout"], g["seed"]).items()}
    path = str(tmp_path / "shufflenet.pth")
    torch.save({"epoch": 3, "state_dict": state}, path)
    cli_import(path, str(tmp_path / "pth"))
    cfg, weights, _ = imported("x0.5")
    assert open(str(tmp_path / "pth.weights"), "rb").read() == open(weights, "rb").read()
