"""Helpers for tests/test_shufflenet.py and tests/test_peleenet.py: the reference-model goldens
(``../shared/golden/reference-models/NAME.json``), their checkpoints rebuilt by ``../shared/tools/ref_weights.py``,
``cfggen import`` / ``cfggen export`` through the CLI, and onnxruntime / OpenCV runs."""
from __future__ import annotations

import importlib.util
import json
import math
import os

import numpy as np

from conftest import SHARED, run_cli

REFERENCE = SHARED / "golden" / "reference-models"
OPENCV_EPS = 1e-6          # OpenCV's darknet importer normalizes with BN eps 1e-6; darknet with 1e-5


def golden(name: str) -> dict:
    with open(REFERENCE / f"{name}.json", encoding="utf-8") as fh:
        return json.load(fh)


def ref_weights():
    spec = importlib.util.spec_from_file_location("ref_weights", SHARED / "tools" / "ref_weights.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def checkpoint(name: str, folder) -> str:
    """The golden's deterministic state dict as a .safetensors file in ``folder``."""
    rw = ref_weights()
    layout, seed = rw.load_golden(str(REFERENCE / f"{name}.json"))
    path = os.path.join(folder, f"{name}.safetensors")
    rw.save_safetensors(rw.make_weights(layout, seed), path)
    return path


def raw_input(name: str):
    return ref_weights().raw_input(golden(name)["seed"])


def trainable(g: dict, prefix: str = "") -> int:
    """Trainable parameters of the golden's layout under ``prefix`` (running stats are buffers)."""
    return sum(math.prod(shape) for key, shape, _ in g["layout"] if key.startswith(prefix)
               and not key.endswith(("running_mean", "running_var", "num_batches_tracked")))


def cli_import(ckpt: str, prefix: str, *args) -> str:
    code, out, err = run_cli("import", ckpt, "-o", prefix, *args)
    assert code == 0, err
    return err


def layer_count(cfg: str) -> int:
    with open(cfg, encoding="utf-8") as fh:
        return sum(1 for line in fh if line.startswith("[") and line.strip() != "[net]")


def cli_export(cfg: str, weights: str, layers, onnx_path: str):
    """``cfggen export --debug-layers`` into ``onnx_path``, opened in onnxruntime (``run_session`` runs it)."""
    import onnxruntime as ort

    code, out, err = run_cli("export", cfg, weights, "-o", onnx_path, "--debug-layers",
                             ",".join(map(str, layers)))
    assert code == 0, err
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    return session


def run_session(session, x, layers) -> dict[int, np.ndarray]:
    names = [f"layer_{i}" for i in layers]
    return dict(zip(layers, session.run(names, {session.get_inputs()[0].name: x})))


def assert_logits(logits, g: dict) -> None:
    """The README's tolerance: |d| <= 5e-5 + 1e-5 |logit| on every logit."""
    ref = np.asarray(g["logits"], np.float64)
    got = np.asarray(logits, np.float64).reshape(-1)
    bad = np.abs(got - ref) > 5e-5 + 1e-5 * np.abs(ref)
    assert not bad.any(), f"{bad.sum()} logits off, max |d| {np.abs(got - ref).max():.3g}"


def stage(g: dict, name: str) -> dict:
    (row,) = [s for s in g["stages"] if s["name"] == name]
    return row


def assert_sum(output, row: dict) -> None:
    """A stage's sum and sum of |x| (invariant under darknet's channel order) to 1e-5 relative."""
    out = np.asarray(output, np.float64)
    assert out.size == math.prod(row["shape"])
    assert abs(out.sum() - row["sum"]) <= 1e-5 * row["sum_abs"], (out.sum(), row["sum"])
    assert abs(np.abs(out).sum() - row["sum_abs"]) <= 1e-5 * row["sum_abs"]


def opencv_outputs(cfg: str, weights: str, x, layers) -> dict[int, np.ndarray]:
    """OpenCV's darknet importer on a copy of the weights whose rolling variances make its BN compute
    darknet's sqrt(var + 1e-5)."""
    import cv2

    from cfggen.convert.weights import layout, load_network

    network, _ = load_network(cfg)
    data = bytearray(open(weights, "rb").read())
    floats = np.frombuffer(data, np.float32, offset=20)
    for span in layout(network, 20, "save"):
        for a in span.arrays:
            if a.name == "rolling_variance":
                floats[(a.offset - 20) // 4:(a.end - 20) // 4] += np.float32(1e-5 - OPENCV_EPS)
    copy = weights + ".opencv"
    with open(copy, "wb") as fh:
        fh.write(data)
    net = cv2.dnn.readNetFromDarknet(cfg, copy)
    names = [[n for n in net.getLayerNames() if n.endswith(f"_{i}")][-1] for i in layers]
    net.setInput(x)
    return dict(zip(layers, net.forward(names)))
