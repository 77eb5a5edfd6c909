"""Independent check: OpenCV's own darknet importer (cv2.dnn.readNetFromDarknet) on every committed cfg.

For each file in generated_cfgs/ this writes a .weights file of exactly the size cfggen's validator
expects (20-byte header int32 0,2,5 + uint64 seen=0, then weights_file_floats float32 values at
scale 0.01 so nothing overflows), loads it in OpenCV, runs one forward pass at batch 1 and checks:

* OpenCV's conv + batch-norm blobs hold exactly ``weights_file_floats`` numbers: OpenCV counted the
  parameters from the cfg itself and agrees with cfggen (OpenCV does not reject a short or long
  file, so the count is compared, not the load);
* the output of every ``[convolutional]`` layer has the shape cfggen infers for it;
* each ``[yolo]`` output is (w*h*anchors, classes+5) for cfggen's w x h grid; the classifier
  outputs ``classes`` probabilities.

Three adaptations, all to the copy fed to OpenCV, never to the committed file:

* OpenCV 4.x rejects ``activation=relu6`` ("Unsupported activation"), so Lite and MobileNetV2 cfgs
  are checked with relu6 replaced by relu (same shapes, same parameters);
* OpenCV 4.x ignores ``[shortcut] weights_type=`` (the BiFPN's fast normalized fusion): it adds the
  inputs unweighted and does not read the fusion weights from the .weights file, so every later
  conv would read shifted weights (test_opencv_ignores_weighted_shortcuts pins this). The BiFPN
  detectors are checked with unweighted shortcuts: the same graph and shapes, minus the 2 or 3
  weights per fusion node that tests/test_bifpn.py counts;
* inputs larger than 320x320 (b4-b7) are checked at 128x128, a legal size for every head (a
  multiple of 32), so the test stays fast (a b7 forward at 600x600 takes seconds on a CPU).
"""
from __future__ import annotations

import os
import re
import struct

import pytest

cv2 = pytest.importorskip("cv2", reason="OpenCV (opencv-python-headless<5, extras 'test') not installed")
np = pytest.importorskip("numpy")

from cfggen.api import analyze_text  # noqa: E402

GENERATED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "generated_cfgs")
FILES = sorted(f for f in os.listdir(GENERATED) if f.endswith(".cfg")) if os.path.isdir(GENERATED) else []
FULL_SIZE_LIMIT = 320
CHECK_SIZE = 128


def for_opencv(text: str) -> str:
    text = text.replace("activation=relu6", "activation=relu")
    # OpenCV has no hardtan (MobileNetV3/GhostNet's exact hard-swish; test_mobilenetv3 checks that it
    # refuses it): tanh, also bounded, keeps every shape and weight for this structural comparison
    text = text.replace("activation=hardtan", "activation=tanh")
    text = re.sub(r"^weights_(type|normalization)=.*\n", "", text, flags=re.M)
    width = int(re.search(r"^width=(\d+)$", text, re.M).group(1))
    height = int(re.search(r"^height=(\d+)$", text, re.M).group(1))
    if max(width, height) > FULL_SIZE_LIMIT:
        text = re.sub(r"^width=\d+$", f"width={CHECK_SIZE}", text, count=1, flags=re.M)
        text = re.sub(r"^height=\d+$", f"height={CHECK_SIZE}", text, count=1, flags=re.M)
    return text


def write_weights(path, floats: int) -> None:
    # one random chunk written over and over: generating 66M fresh values for b7 would dominate
    # values in [0.005, 0.01): read as BN variances they never come near 0, where 1/sqrt(var + eps)
    # amplifies enough for deep fused nets (BiFPN) to overflow to inf in [yolo]'s exp under some thread counts
    chunk = np.random.default_rng(0).random(1 << 20, dtype=np.float32) * np.float32(0.005) + np.float32(0.005)
    full, rest = divmod(floats, chunk.size)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<iiiQ", 0, 2, 5, 0))
        for _ in range(full):
            chunk.tofile(fh)
        chunk[:rest].tofile(fh)
    assert os.path.getsize(path) == 20 + 4 * floats


def test_there_are_cfgs_to_check():
    from cfggen.generate import default_cfgs

    assert FILES == sorted(default_cfgs())     # every default, the new families included


def opencv_loads(text: str) -> bool:
    from cfggen.cfg.parse import parse
    from cfggen.targets import check
    return check(parse(text, "net.cfg"), ["opencv"])["opencv"].status == "ok"


@pytest.mark.parametrize("name", FILES)
def test_opencv_agrees_with_cfggen(name, tmp_path):
    with open(os.path.join(GENERATED, name), encoding="utf-8") as fh:
        original = fh.read()
    text = for_opencv(original)
    # OpenCV ignores weights_type (BiFPN's weighted fusion): it builds plain sums, another network than
    # darknet's, whose values prove nothing about ours (and overflow in [yolo]'s exp in some runs); for
    # those files the weight count and every conv's shape are what is compared
    fused = "weights_type=" in original
    result = analyze_text(text, sizes="native")
    network = result.network
    cfg, weights = tmp_path / "net.cfg", tmp_path / "net.weights"
    cfg.write_text(text)
    write_weights(weights, network.totals.weights_file_floats)

    if not opencv_loads(text):      # PeleeNet's [local_avgpool]: cfggen says OpenCV refuses; so must OpenCV
        with pytest.raises(cv2.error):
            cv2.dnn.readNetFromDarknet(str(cfg), str(weights))
        return
    net = cv2.dnn.readNetFromDarknet(str(cfg), str(weights))
    stored = sum(blob.size for layer_name in net.getLayerNames()
                 for layer in [net.getLayer(layer_name)] if layer.type in ("Convolution", "BatchNorm")
                 for blob in layer.blobs)
    assert stored == network.totals.weights_file_floats

    convs = [layer for layer in network.layers if layer.type == "convolutional"]
    yolos = [layer for layer in network.layers if layer.type == "yolo"]
    finals = list(net.getUnconnectedOutLayersNames())
    net.setInput(np.random.default_rng(1).random((1, 3, network.height, network.width), dtype=np.float32))
    outputs = net.forward([f"conv_{layer.index}" for layer in convs] + finals)

    for layer, out in zip(convs, outputs):
        shape = layer.output
        assert out.shape == (1, shape.c, shape.h, shape.w), f"layer {layer.index}"
    results = outputs[len(convs):]
    assert fused or all(np.isfinite(out).all() for out in results)
    if yolos:
        assert finals == [f"yolo_{layer.index}" for layer in yolos]
        for layer, out in zip(yolos, results):
            anchors = len(str(layer.conf["mask"]).split(","))
            classes = layer.conf["classes"]
            assert out.shape == (layer.output.w * layer.output.h * anchors, classes + 5)
    else:
        (probabilities,) = results
        assert probabilities.size == network.layers[-1].outputs == convs[-1].output.c
        assert probabilities.sum() == pytest.approx(1.0, rel=1e-4)        # the softmax ran


def test_opencv_ignores_weighted_shortcuts(tmp_path):
    """Why for_opencv drops weights_type: OpenCV adds unweighted and reads no fusion weights."""
    cfg = "[net]\nwidth=8\nheight=8\nchannels=1\n\n" + "".join(
        "[convolutional]\nfilters=1\nsize=1\nstride=1\npad=0\nactivation=linear\n\n" for _ in range(2)) + \
        "[shortcut]\nfrom=-2\nweights_type=per_feature\nweights_normalization=relu\nactivation=linear\n"
    (tmp_path / "w.cfg").write_text(cfg)
    with open(tmp_path / "w.weights", "wb") as fh:   # conv: bias, weight; conv: bias, weight; 2 fusion weights
        fh.write(struct.pack("<iiiQ", 0, 2, 5, 0) + np.array([0, 1, 0, 2, 3, 1], np.float32).tobytes())
    net = cv2.dnn.readNetFromDarknet(str(tmp_path / "w.cfg"), str(tmp_path / "w.weights"))
    net.setInput(np.ones((1, 1, 8, 8), np.float32))
    out = float(net.forward()[0, 0, 0, 0])
    # darknet: (3 * 2x + 1 * x) / (1e-4 + 4) = 1.75; OpenCV: 2x + x = 3
    assert out == pytest.approx(3.0)
