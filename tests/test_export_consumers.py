"""Second consumers of exported models: OpenCV's ONNX importer agrees with onnxruntime on the forward
goldens' networks; every generated cfg exports and runs; the b0/lite0 classifiers equal OpenCV's own
darknet importer on the same cfg + weights.

OpenCV runs a representative subset of the goldens in CI (one or more per layer family); CFGGEN_SLOW=1
runs every golden that test_export_forward runs.
"""
from __future__ import annotations

import os

import pytest

from conftest import REPO

np = pytest.importorskip("numpy")
pytest.importorskip("onnx", reason="onnx not installed (pip install 'cfggen[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime not installed (pip install 'cfggen[onnx]')")
cv2 = pytest.importorskip("cv2", reason="OpenCV (opencv-python-headless<5) not installed")

from test_export_forward import NAMES, REFUSED, SLOW, golden_case, needs_forward  # noqa: E402

# conv/BN/leaky/maxpool/upsample/yolo; groups route; reorg+region; connected/local/detection; mish/sam/
# reorg3d; swish/scale_channels/avgpool/dropout/softmax; xnor; shortcut channel mismatch; Gaussian_yolo;
# crop/cost; dilation-free csp with new_coords
CI_SUBSET = {"yolov3-tiny", "yolov4-tiny", "yolov2-tiny", "yolov1__tiny-yolo", "yolov4-sam-mish-csp-reorg-bfm",
             "efficientnet_b0", "tiny-yolo_xnor", "enet-coco", "Gaussian_yolov3_BDD", "cifar", "yolov4-csp",
             "yolov3-tiny-prn", "densenet201"}
HUGE = {"cspx-p7-mish", "cspx-p7-mish_hp", "resnet152_trident"}     # compared at 128x128
GENERATED = REPO / "generated_cfgs"
GENERATED_FILES = sorted(GENERATED.glob("*.cfg")) if GENERATED.is_dir() else []


def ort_run(data: bytes, x):
    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    return sess.run(None, {"input": x})


def _opencv_params():
    slow = bool(os.environ.get("CFGGEN_SLOW"))
    for name in NAMES:
        if name in REFUSED or (name in SLOW and not slow) or (name not in CI_SUBSET and not slow):
            continue
        yield name


# loads, but its 75 binarised layers amplify rounding: an input within ~1e-7 of 0 takes the other sign
# in OpenCV than in onnxruntime, and the flips add up (6.5e-2 relative at the softmax). onnxruntime
# agrees with darknet's golden; tiny-yolo_xnor (CI) agrees in both.
OPENCV_DIFFERS = {"darknet53_448_xnor": "xnor sign flips near 0 accumulate over 75 binary layers"}


@needs_forward
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(reason=OPENCV_DIFFERS[n], strict=False))
                                  if n in OPENCV_DIFFERS else n for n in _opencv_params()])
def test_opencv_onnx_agrees_with_onnxruntime(name, tmp_path):
    from cfggen.export import to_onnx
    golden, cfg, weights, x, size = golden_case(name, tmp_path)
    if name in HUGE:        # the comparison needs no golden: a size darknet also runs these at
        size = (128, 128)
        x = np.random.default_rng(0).random((1, x.shape[1], 128, 128), dtype=np.float32)
    model = to_onnx(cfg, weights, size=size)
    weights.unlink()        # pytest keeps the last runs' tmp dirs; weights files are big
    data = model.SerializeToString()
    ref = ort_run(data, x)
    net = cv2.dnn.readNetFromONNX(np.frombuffer(data, np.uint8))
    net.setInput(x)
    got = net.forward([o.name for o in model.graph.output])
    for o, a, b in zip(model.graph.output, got, ref):
        assert a.size == b.size, o.name
        rel = np.abs(a.reshape(-1) - b.reshape(-1)).max() / max(np.abs(b).max(), 1e-12)
        assert rel <= 1e-4, f"{name} {o.name}: OpenCV differs from onnxruntime by {rel:.3g} (relative)"


def _size_for(path) -> tuple[int, int] | None:
    """Generated cfgs above 320x320 (b4-b7) are run at 128x128, as test_opencv does, to keep CI fast."""
    from cfggen.convert.weights import load_network
    network, _ = load_network(str(path))
    return (128, 128) if max(network.width, network.height) > 320 else None


@pytest.mark.skipif(not GENERATED_FILES, reason="no generated_cfgs/")
@pytest.mark.parametrize("path", GENERATED_FILES, ids=[p.name for p in GENERATED_FILES])
def test_generated_cfgs_export_and_run(path):
    from cfggen.export import to_onnx
    from cfggen.export.check import check
    size = _size_for(path)
    model = to_onnx(path, size=size)
    check(model)
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    x = np.random.default_rng(0).random(dims, dtype=np.float32)
    outs = ort_run(model.SerializeToString(), x)
    for o, v in zip(model.graph.output, outs):
        assert np.isfinite(v).all(), o.name
        assert list(v.shape) == [d.dim_value for d in o.type.tensor_type.shape.dim]


@pytest.mark.skipif(not GENERATED_FILES, reason="no generated_cfgs/")
@pytest.mark.parametrize("stem", ["efficientnet-b0", "efficientnet-lite0"])
def test_classifier_equals_opencv_darknet_importer(stem, tmp_path):
    """Same cfg + weights through OpenCV's darknet importer and through export -> onnxruntime.
    OpenCV rejects relu6, so the Lite cfg is compared as a relu copy (same shapes and weights)."""
    from cfggen.convert import weights as w
    from cfggen.export import to_onnx
    text = (GENERATED / f"{stem}.cfg").read_text()
    cfg = tmp_path / f"{stem}.cfg"
    cfg.write_text(text.replace("activation=relu6", "activation=relu"))
    network, _ = w.load_network(str(cfg))
    weights = tmp_path / f"{stem}.weights"
    w.init(network, str(weights), seed=7)
    x = np.random.default_rng(1).random((1, network.channels, network.height, network.width), dtype=np.float32)
    net = cv2.dnn.readNetFromDarknet(str(cfg), str(weights))
    net.setInput(x)
    want = net.forward().reshape(-1)
    got = ort_run(to_onnx(cfg, weights).SerializeToString(), x)[0].reshape(-1)
    assert got.size == want.size == 1000 or got.size == want.size
    rel = np.abs(got - want).max() / np.abs(want).max()
    assert rel <= 1e-4, f"{stem}: export differs from OpenCV's darknet importer by {rel:.3g} (relative)"
    assert np.argmax(got) == np.argmax(want)
