"""cfggen profile: costs against darknet's own figures, the memory model against darknet's peak RSS
(forward goldens), the training model against figures worked out by hand, and the CLI's outputs."""
from __future__ import annotations

import csv
import io
import json
import os
import statistics
import struct
from pathlib import Path

import pytest

from cfggen.profile import load
from cfggen.profile.core import profile
from cfggen.profile.cost import kinds
from cfggen.profile.devices import PRESETS, Device
from cfggen.profile.memory import fits, inference, training
from tests.conftest import CORPUS, GOLDEN, SHARED, corpus_files, golden_name, needs_shared, run_cli

DATA = Path(__file__).parent / "data" / "profile"
FORWARD = SHARED / "golden" / "darknet-forward"
T4 = PRESETS["t4"]
# a fixed device so that no test depends on this machine's calibration
FLAT = Device("flat", 100.0, 200.0, 10.0, 5.0, 1.0, 1.0)


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    """Keep the cpu calibration cache out of the user's home."""
    monkeypatch.setenv("CFGGEN_CACHE_DIR", str(tmp_path / "cache"))


# ------------------------------------------------------------------------------------------------
# costs

def test_groups_counted_and_kinds():
    net = load(str(DATA / "se_dw.cfg"))
    p = profile(net, FLAT)
    flops = [lp.flops for lp in p.layers]
    # depthwise 3x3 on 16x16x8: (8/8)*8*9 = 72 weights, 2*72*256 MACs*2 -- not 8x that (OpenCV's getFLOPS)
    assert flops[0] == 2 * 72 * 16 * 16
    assert flops[5] == 2 * (8 * 16) * 16 * 16                 # pointwise 8 -> 16
    assert flops[6] == 2 * (16 * 16 * 9) * 8 * 8              # regular 3x3 stride 2
    assert kinds(net) == ["depthwise", "se", "se", "se", "se", "pointwise", "regular", "routing", "routing"]


def test_roofline_arithmetic():
    net = load(str(DATA / "se_dw.cfg"))
    lp = profile(net, FLAT).layers[6]
    # regular conv: reads 16x16x16 input + 2304 weights + 16 biases, writes 8x8x16 (fp32)
    assert lp.bytes_read == 4 * (16 * 16 * 16 + 2304 + 16)
    assert lp.bytes_written == 4 * 8 * 8 * 16
    tc, tm = lp.flops / 100e9, (lp.bytes_read + lp.bytes_written) / 10e9
    assert lp.time_s == pytest.approx(max(tc, tm) + 5e-6)
    assert lp.bound == ("compute" if tc >= tm else "memory")
    half = profile(net, FLAT, precision="fp16").layers[6]
    assert half.bytes_read * 2 == lp.bytes_read


@needs_shared
@pytest.mark.parametrize("path", [p for p in corpus_files() if p.name in (
    "yolov4.cfg", "enet-coco.cfg", "efficientnet_b0.cfg", "yolov3-tiny.cfg", "densenet201.cfg")], ids=lambda p: p.name)
def test_conv_flops_equal_darknets_bflops(path):
    """Darknet prints 2·nweights·out_w·out_h per conv (groups included): our conv FLOPs are the same."""
    golden = json.loads((GOLDEN / golden_name(path)).read_text())
    net = load(str(path))
    p = profile(net, T4)
    convs = [(g, lp) for g, lp in zip(golden["layers"], p.layers) if g["type"] == "convolutional"]
    assert convs
    for g, lp in convs:
        if not g.get("antialiasing") and not g.get("xnor"):
            assert lp.flops / 1e9 == pytest.approx(g["bflops"], rel=1e-6, abs=1e-9), g["index"]


# ------------------------------------------------------------------------------------------------
# memory: inference against darknet's measured peak RSS

def _forward_goldens():
    return sorted(FORWARD.glob("*.json")) if FORWARD.is_dir() else []


@needs_shared
@pytest.mark.skipif(not FORWARD.is_dir(), reason="no forward goldens")
def test_inference_memory_predicts_darknet_peak_rss():
    """maxrss_kb minus the one fitted process baseline, within ±15% for >= 90% of the goldens."""
    from cfggen.commands.profile import PROCESS_BASELINE_MIB

    ratios = {}
    for f in _forward_goldens():
        g = json.loads(f.read_text())
        net = load(str(CORPUS / g["cfg"]), tuple(g["size"]) if g.get("resized") else None)
        measured = g["maxrss_kb"] * 1024 - PROCESS_BASELINE_MIB * 2**20
        ratios[g["cfg"]] = inference(net).total / measured
    assert len(ratios) >= 80
    inside = [n for n, r in ratios.items() if 0.85 <= r <= 1.15]
    assert len(inside) >= 0.9 * len(ratios), sorted(ratios.items(), key=lambda kv: kv[1])[:10]
    assert 0.97 <= statistics.median(ratios.values()) <= 1.03


def test_inference_buffers_follow_darknets_rules():
    net = load(str(DATA / "train_b.cfg"))
    m = inference(net)
    # weights 4+2 and 36+2 floats; outputs 3 x 32; swish conv + mish shortcut keep activation_input
    assert m.groups["weights"] == 4 * (6 + 38)
    assert m.groups["outputs"] == 4 * 3 * 32
    assert m.groups["activation_input"] == 4 * 2 * 32
    assert m.groups["workspace"] == 4 * 4 * 4 * 9 * 2     # the 3x3 conv's im2col; the 1x1 needs none
    assert "deltas" not in m.groups and "updates" not in m.groups


# ------------------------------------------------------------------------------------------------
# memory: training, against figures worked out by hand (tests/data/profile/*.cfg)

def test_training_memory_network_a_by_hand():
    """batch 4 / subdivisions 2 -> mini-batch 2.

    conv0 3x3 3->4 BN leaky, 8x8: weights 108, biases/scales/mean/var 4x4, updates 108+4+4,
          mean/variance/mean_delta/variance_delta 4x4, output/delta/x/x_norm 2*256 each  = 2304
    maxpool 2/2 -> 4x4x4: output, delta, indexes 2*64 each                               =  384
    conv2 1x1 4->2: weights 8 + biases 2, updates 10, output/delta 2*32 each             =  148
    workspace: conv0's im2col 8*8*9*3 = 1728; input 2*8*8*3 = 384
    total 2304 + 384 + 148 + 1728 + 384 = 4948 floats = 19792 bytes
    """
    net = load(str(DATA / "train_a.cfg"))
    m = training(net, 4, 2)
    assert m.batch == 2
    assert m.total == 19792
    assert m.groups["workspace"] == 4 * 1728


def test_training_memory_network_b_by_hand():
    """adam=1, batch 1: conv0 1x1 2->2 (4 weights): params 6, updates 6, adam m/v 4+4, bias_m/v 2+2,
    output/delta 32+32 = 88; conv1 3x3 2->2 swish (36 weights): params 38, updates 38, adam 76,
    output/delta/activation_input 3*32 = 248; shortcut mish: output/delta/activation_input = 96;
    workspace 4*4*9*2 = 288; input 32. Total 752 floats = 3008 bytes."""
    net = load(str(DATA / "train_b.cfg"))
    m = training(net, 1, 1)
    assert m.total == 3008
    assert m.groups["optimizer"] == 4 * (12 + 76)


def test_fits_finds_smallest_subdivisions():
    net = load(str(DATA / "train_a.cfg"))
    per_image = training(net, 1, 1).total
    two = training(net, 2, 1).total
    sub, mini = fits(net, 4, two)
    assert sub == 2 and mini == 2
    assert fits(net, 4, per_image - 1) == (None, 0)


# ------------------------------------------------------------------------------------------------
# CLI

def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_cli_text_json_csv(tmp_path):
    cfg = DATA / "se_dw.cfg"
    code, out, err = run_cli("profile", cfg, "--device", "t4")
    assert code == 0, err
    assert "depthwise conv" in out and "squeeze-excitation" in out and "inference memory" in out
    code, out, err = run_cli("profile", cfg, "--device", "t4", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(__file__).parent.parent / "cfggen" / "profile" / "schema.json").read_text())
    jsonschema.validate(doc, schema)
    rec = doc["profiles"][0]
    assert len(rec["layers"]) == 9 and rec["layers"][0]["kind"] == "depthwise"
    assert sum(k["time_share"] for k in rec["by_kind"]) == pytest.approx(1.0)
    code, out, err = run_cli("profile", cfg, "--device", "t4", "--format", "csv", "-o", tmp_path / "p.csv")
    assert code == 0, err
    text = (tmp_path / "p.csv").read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 9 and rows[0]["kind"] == "depthwise"
    assert float(rows[0]["flops"]) == 2 * 72 * 256
    for r in rows:    # every numeric cell is a plain number a spreadsheet reads
        float(r["time_us"]), float(r["time_share"]), int(r["bytes_read"])


def test_cli_plot(tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "roof.png"
    code, out, err = run_cli("profile", DATA / "se_dw.cfg", DATA / "train_a.cfg", "--device", "t4", "--plot", png)
    assert code == 0, err
    assert png.stat().st_size > 10_000
    w, h = _png_size(png)
    assert (w, h) == (1400, 550)


def test_cli_train_and_gpu_memory():
    code, out, err = run_cli("profile", DATA / "train_a.cfg", "--train", "--batch", "4", "--subdivisions", "2",
                             "--gpu-memory", "19892", "--device", "t4")
    # 19,792 bytes at mini-batch 2 (worked out above); mini-batch 3 adds 1,472 floats per image
    assert code == 0, err
    assert "mini-batch 2" in out and "training memory (GPU, mini-batch 2): 19.3 KiB" in out
    assert "subdivisions=2" in out and "largest mini-batch that fits: 2" in out
    assert "not yet checked on a GPU" in out


@pytest.mark.parametrize("args, message", [
    (("--device", "h100"), "unknown device 'h100'"),
    (("--peak-gflops", "100"), "needs both"),
    (("--gpu-memory", "8G"), "need --train"),
    (("--train", "--gpu-memory", "lots"), "is not a size"),
    (("--batch", "0"), "--batch must be at least 1"),
])
def test_cli_usage_errors(args, message):
    code, out, err = run_cli("profile", DATA / "se_dw.cfg", *args)
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_cli_bad_inputs(tmp_path):
    code, out, err = run_cli("profile", tmp_path / "missing.cfg", "--device", "t4")
    assert code == 2 and "no such file" in err and out == ""
    bad = tmp_path / "bad.cfg"
    bad.write_text("[net]\nwidth=8\nheight=8\nchannels=3\n[shortcut]\nfrom=-5\n")
    code, out, err = run_cli("profile", bad, "--device", "t4")
    assert code == 2 and "bad.cfg:5" in err and "darknet cannot build" in err and out == ""
    png = tmp_path / "x.png"
    code, out, err = run_cli("profile", bad, "--device", "t4", "--plot", png)
    assert code == 2 and not png.exists()


def test_custom_device_and_cpu_preset_cache(tmp_path):
    code, out, err = run_cli("profile", DATA / "se_dw.cfg", "--peak-gflops", "1000", "--bandwidth-gbs", "100",
                             "--format", "json")
    assert code == 0, err
    dev = json.loads(out)["profiles"][0]["device"]
    assert dev["name"] == "custom" and dev["peak_gflops"] == 1000


# ------------------------------------------------------------------------------------------------
# the question the issue asks: enet-coco vs yolov4 at 416

@needs_shared
def test_enet_coco_vs_yolov4_explained():
    code, out, err = run_cli("profile", CORPUS / "enet-coco.cfg", CORPUS / "yolov4.cfg", "--size", "416x416",
                             "--device", "t4", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    enet, yolo = doc["profiles"]
    shares = {k["kind"]: k for k in enet["by_kind"]}
    # depthwise + SE: a small share of enet-coco's FLOPs, a large share of its time
    slow = shares["depthwise"]["time_share"] + shares["se"]["time_share"]
    cheap = shares["depthwise"]["flop_share"] + shares["se"]["flop_share"]
    assert slow > 3 * cheap
    flop_ratio = doc["comparison"][1]["flops_ratio"]
    time_ratio = doc["comparison"][1]["time_ratio"]
    assert flop_ratio > 10 and time_ratio < flop_ratio / 2
    sentence = doc["comparison"][1]["explanation"]
    assert "fewer FLOPs" in sentence and ("depthwise" in sentence or "squeeze-excitation" in sentence)


# ------------------------------------------------------------------------------------------------
# measurement backends

def test_opencv_layer_attribution():
    from cfggen.profile.measure import opencv_owners

    names = ["conv_0", "bn_0", "leaky_1", "pool_1", "conv_2", "bn_2", "swish_3", "avgpool_3", "identity_4",
             "shortcut_5", "mish_6"]
    assert opencv_owners(names) == [0, 0, 0, 1, 2, 2, 2, 3, 4, 5, 5]


def test_resized_text_edits_only_the_net_section():
    from cfggen.profile.measure import resized_text

    text = resized_text(str(DATA / "se_dw.cfg"), (32, 24))
    assert "width=32\nheight=24" in text
    assert text.count("width=") == 1 and "filters=8\ngroups=8" in text


def test_measure_opencv_times_every_layer():
    pytest.importorskip("cv2")
    from cfggen.profile.measure import measure_opencv

    m = measure_opencv(str(DATA / "se_dw.cfg"), (16, 16), runs=2, threads=1)
    assert m.backend == "opencv" and m.best_s > 0 and m.best_s <= m.total_s
    assert {0, 5, 6} <= set(m.per_layer_s)     # the three convs are attributed to their darknet layers


def test_measure_onnxruntime_against_export():
    """--measure on the real exporter: every conv of the cfg gets a measured time of its own (the
    exporter's ``L{index}_`` node names map back to darknet layers) and no node time is unattributed."""
    pytest.importorskip("onnxruntime")
    pytest.importorskip("cfggen.export")
    from cfggen import profile as prof

    convs = {lay.index for lay in prof.load(str(DATA / "se_dw.cfg")).layers if lay.type == "convolutional"}
    assert len(convs) == 5
    code, out, err = run_cli("profile", DATA / "se_dw.cfg", "--device", "t4", "--measure", "--format", "json")
    assert code == 0, err
    measured = json.loads(out)["profiles"][0]["measured"]
    assert measured["backend"] == "onnxruntime" and measured["total_s"] > 0
    timed = {int(k) for k in measured["per_layer_s"]}
    assert convs <= timed and timed <= set(range(9))
    assert measured["unattributed_s"] == 0
    code, out, err = run_cli("profile", DATA / "se_dw.cfg", "--device", "t4", "--measure")
    assert code == 0, err
    assert "measured (onnxruntime" in out and "meas. µs" in out
    rows = [line.split() for line in out.splitlines() if line.split()[:2] == ["0", "convolutional"]]
    assert rows and rows[-1][3] != "-"         # the measured column of layer 0 holds a time


def test_measured_node_times_are_medians_over_the_runs():
    """onnxruntime's profile of a warm-up + 3 runs: per node the median of its runs (a 900 µs spike in one
    run and the slow warm-up do not count), summed per darknet layer; a name that occurs twice per run
    (unnamed nodes) sums its two events of each run; other node names are unattributed."""
    from cfggen.profile.measure import node_times

    def ev(name, us):
        return {"cat": "Node", "name": f"{name}_kernel_time", "dur": us}

    events = []
    for run, (a, b, c) in enumerate([(500, 50, 40), (10, 20, 5), (900, 21, 6), (12, 22, 7)]):
        events += [ev("L0_convolutional_conv", a), ev("L0_convolutional_relu", b), ev("L3_shortcut_add", c),
                   ev("", 1 + run), ev("", 2 + run), {"cat": "Session", "name": "x", "dur": 1e6}]
    per_layer, other = node_times(events, runs=3)
    assert per_layer == pytest.approx({0: 12e-6 + 21e-6, 3: 6e-6})
    assert other == pytest.approx((3 + 2 * 2) * 1e-6)     # the runs' sums 5, 7, 9: median 7


def test_measure_without_export_is_one_line_error():
    from cfggen.profile.measure import export_available

    if export_available():
        pytest.skip("cfggen.export is installed")
    code, out, err = run_cli("profile", DATA / "se_dw.cfg", "--device", "t4", "--measure")
    assert code == 2 and "cfggen.export" in err and len(err.strip().splitlines()) == 1


def test_measure_onnxruntime_mechanics_with_a_stand_in_exporter(monkeypatch):
    """The onnxruntime path against the declared export API (to_onnx(cfg, weights_path=None, size=(w, h),
    batch=1) -> ModelProto, input "input"), with a stand-in that names nodes after darknet layers."""
    pytest.importorskip("onnxruntime")
    np = pytest.importorskip("numpy")
    onnx = pytest.importorskip("onnx")
    import sys
    import types

    from onnx import TensorProto, helper, numpy_helper

    from cfggen.profile.measure import measure_onnxruntime

    calls = []

    def to_onnx(cfg_path, weights_path=None, size=(416, 416), batch=1):
        calls.append((cfg_path, weights_path, size, batch))
        w = numpy_helper.from_array(np.ones((8, 1, 3, 3), np.float32), "w0")
        nodes = [helper.make_node("Conv", ["input", "w0"], ["c0"], name="L0_convolutional_conv_1", group=8, pads=[1] * 4),
                 helper.make_node("Relu", ["c0"], ["out"], name="L5_convolutional_relu_2")]
        graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                                                             [batch, 8, size[1], size[0]])],
                                  [helper.make_tensor_value_info("out", TensorProto.FLOAT, None)], [w])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 7
        return model

    fake = types.ModuleType("cfggen.export")
    fake.to_onnx = to_onnx
    monkeypatch.setitem(sys.modules, "cfggen.export", fake)
    m = measure_onnxruntime(str(DATA / "se_dw.cfg"), (16, 16), 1, runs=3)
    assert calls == [(str(DATA / "se_dw.cfg"), None, (16, 16), 1)]
    assert m.backend == "onnxruntime" and m.best_s > 0
    assert set(m.per_layer_s) == {0, 5}
    code, out, err = run_cli("profile", DATA / "se_dw.cfg", "--device", "t4", "--measure", "--format", "json")
    assert code == 0, err
    measured = json.loads(out)["profiles"][0]["measured"]
    assert measured["backend"] == "onnxruntime" and set(measured["per_layer_s"]) == {"0", "5"}


# ------------------------------------------------------------------------------------------------
# devices

def test_cpu_preset_is_calibrated_once_and_cached(tmp_path, monkeypatch):
    from cfggen.profile import devices

    calls = []

    def fake(threads=None):
        calls.append(threads)
        return 50.0, 10.0, 4e-6, 20.0, 0.5, 40.0

    monkeypatch.setitem(devices.RUNTIMES, "numpy", fake)
    monkeypatch.setattr(devices, "_backend", lambda: ("numpy", "0"))
    first = devices.cpu_device()
    second = devices.cpu_device()
    assert calls == [None] and first == second
    assert (first.gflops("fp32"), first.gbs(), first.launch_us, first.depthwise("fp32"), first.exp_gops) == \
        (50.0, 10.0, 4.0, 20.0, 0.5)
    assert (tmp_path / "cache" / "cpu-calibration-numpy.json").is_file()
    devices.cpu_device(refresh=True)
    assert len(calls) == 2
    # measured activation costs survive the JSON cache as the same (frozen, hashable) record
    monkeypatch.setitem(devices.ACTIVATION_RUNTIMES, "numpy", lambda threads=None: (("mish", 20.5),))
    measured = devices.cpu_device(refresh=True)
    assert devices.cpu_device() == measured and measured.activation_cost("mish") == 20.5
    assert measured.activation_cost("swish") is None


def test_measured_activation_cost_replaces_the_exp_rate():
    """A device with a measured per-element activation cost charges activated elements x that cost
    (16x16x8 swish outputs of layer 0 at 100 ns: 204.8 µs) instead of transcendentals / exp rate."""
    net = load(str(DATA / "se_dw.cfg"))
    base = Device("x", 100, 100, 10, 0, 1, 1, exp_gops=1.0)
    measured = Device("x", 100, 100, 10, 0, 1, 1, exp_gops=1.0, activation_ns=(("swish", 100.0),))
    a, b = profile(net, base).layers, profile(net, measured).layers
    assert b[0].time_s - a[0].time_s == pytest.approx(16 * 16 * 8 * (100e-9 - 1e-9))
    assert b[2].time_s - a[2].time_s == pytest.approx(1 * 1 * 2 * (100e-9 - 1e-9))   # the SE squeeze conv
    assert b[3].time_s == a[3].time_s          # logistic: not measured on this device, exp rate as before


def test_every_preset_is_documented_with_its_numbers():
    doc = (Path(__file__).parent.parent / "docs" / "profile.md").read_text()
    for name, dev in PRESETS.items():
        row = next((line for line in doc.splitlines() if line.startswith(f"| `{name}` |")), None)
        assert row is not None, name
        cells = [c.strip().replace(",", "") for c in row.split("|")]
        assert float(cells[2]) == dev.peak_gflops and float(cells[3]) == dev.peak_gflops_fp16
        assert float(cells[4]) == dev.bandwidth_gbs and float(cells[5]) == dev.launch_us
        assert len(cells[6]) > 20    # the cited source


@needs_shared
def test_a_network_darknet_aborts_on_is_refused():
    """resnet50's shortcut shape mismatch is an assert in darknet's parser (its shape golden: error)."""
    code, out, err = run_cli("profile", CORPUS / "resnet50.cfg", "--device", "t4")
    golden = json.loads((GOLDEN / "resnet50.cfg.json").read_text())
    assert golden["status"] == "error"
    assert code == 2 and out == "" and "layer 17 [shortcut]" in err and "darknet aborts" in err


# ------------------------------------------------------------------------------------------------
# element-wise layers: distinct buffers, darknet's in-place activation pass, the cache tier

def test_elementwise_bytes_follow_darknets_forward():
    """hswish.cfg, 8x8x4 maps (256 floats, 1 KiB): a shortcut from=-1 reads the one buffer its input
    already is; a non-linear activation on [shortcut]/[sam]/[scale_channels] is a second, in-place loop
    over the output (read + write again); linear skips it (activate_array: `if (a == LINEAR) {}`)."""
    p = profile(load(str(DATA / "hswish.cfg")), FLAT)
    m = 8 * 8 * 4 * 4
    self_add, sam, add, gate = p.layers[1], p.layers[2], p.layers[3], p.layers[6]
    assert (self_add.bytes_read, self_add.bytes_written) == (m + m, m + m)      # y once; the hardtan pass
    assert (sam.bytes_read, sam.bytes_written) == (2 * m, m)                   # y and layer 1
    assert (add.bytes_read, add.bytes_written) == (2 * m, m)                   # layer 2 and y
    assert (gate.bytes_read, gate.bytes_written) == (m + 4 * 4, m)             # the map and the 1x1x4 gate
    for lp in (self_add, sam, add, gate):
        assert lp.time_s == pytest.approx((lp.bytes_read + lp.bytes_written) / 10e9 + 5e-6)


def test_cache_tier_applies_to_working_sets_that_fit():
    """A layer whose distinct bytes fit cache_mb moves them at cache_gbs; the activation pass re-reads
    the output without adding to the working set. Layer 1 of hswish.cfg: 2 KiB distinct, 4 KiB moved."""
    net = load(str(DATA / "hswish.cfg"))
    fits_ = Device("c", 100.0, 100.0, 10.0, 0.0, 1.0, 1.0, cache_mb=2048 / 1e6, cache_gbs=40.0)
    too_small = Device("c", 100.0, 100.0, 10.0, 0.0, 1.0, 1.0, cache_mb=2047 / 1e6, cache_gbs=40.0)
    assert profile(net, fits_).layers[1].time_s == pytest.approx(4096 / 40e9)
    assert profile(net, too_small).layers[1].time_s == pytest.approx(4096 / 10e9)
    # no tier (the GPU presets): one bandwidth
    assert profile(net, FLAT).layers[1].time_s == pytest.approx(4096 / 10e9 + 5e-6)


def test_exact_hard_swish_costs_its_bytes_not_more():
    """MobileNetV3-Large's exact hard-swish (71 layers: [shortcut] hardtan, [sam], [shortcut]) against
    --hswish approx (swish), on a device without cache tier or fixed cost: the estimated difference is
    the bytes those layers move, counted as darknet's forward moves them (4 + 3 + 3 map passes per
    hard-swish, the first's input read once)."""
    from cfggen.api import analyze_text
    from cfggen.standalone import compose

    exact = analyze_text(compose("mobilenetv3-large").text, sizes="native").network
    flat = Device("flat", 1e6, 1e6, 10.0, 0.0, 1.0, 1.0)
    p = profile(exact, flat)
    trios = [i for i, layer in enumerate(exact.layers) if layer.type == "sam"]
    assert len(trios) == 21       # hard-swish count; 63 element-wise layers + 8 SE shortcuts = 71
    for i in trios:
        m = exact.layers[i].outputs * 4
        assert p.layers[i - 1].bytes_read + p.layers[i - 1].bytes_written == 4 * m
        assert p.layers[i].bytes_read + p.layers[i].bytes_written == 3 * m
        assert p.layers[i + 1].bytes_read + p.layers[i + 1].bytes_written == 3 * m


def test_last_level_cache_from_sysfs(tmp_path):
    """The highest-level data/unified cache of cpu0 (instruction caches skipped; K/M suffixes); 0 without sysfs."""
    from cfggen.profile.devices import last_level_cache_bytes

    for name, level, kind, size in (("index0", 1, "Data", "32K"), ("index1", 1, "Instruction", "32K"),
                                    ("index2", 2, "Unified", "1024K"), ("index3", 3, "Unified", "32768K"),
                                    ("index4", 4, "Instruction", "64M")):
        d = tmp_path / name
        d.mkdir()
        (d / "level").write_text(f"{level}\n")
        (d / "type").write_text(f"{kind}\n")
        (d / "size").write_text(f"{size}\n")
    assert last_level_cache_bytes(str(tmp_path)) == 32 * 1024 * 1024
    assert last_level_cache_bytes(str(tmp_path / "missing")) == 0
