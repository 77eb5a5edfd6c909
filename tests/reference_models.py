"""Helpers for the reference-model goldens (../shared/golden/reference-models, issue 21; the tests of the
layer-by-layer families: MobileNetV3, GhostNet, ShuffleNetV2, PeleeNet): rebuild a checkpoint with
../shared/tools/ref_weights.py, import it with the real CLI, export the result (``cfggen export`` or
``to_onnx``) and run it in onnxruntime or OpenCV on the reference input; compare logits and the per-stage sums."""
from __future__ import annotations

import functools
import importlib.util
import json
import math
import os

import numpy as np

from conftest import SHARED, run_cli

REFERENCE = SHARED / "golden" / "reference-models"
IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))


@functools.cache
def golden(name: str) -> dict:
    with open(REFERENCE / f"{name}.json", encoding="utf-8") as fh:
        return json.load(fh)


@functools.cache
def ref_weights():
    spec = importlib.util.spec_from_file_location("ref_weights", SHARED / "tools" / "ref_weights.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def checkpoint(name: str, folder) -> str:
    """The reference checkpoint as a .safetensors in ``folder`` (what the reference model ran with)."""
    rw, g = ref_weights(), golden(name)
    path = os.path.join(folder, f"{name}.safetensors")
    rw.save_safetensors(rw.make_weights(g["layout"], g["seed"]), path)
    return path


def raw_input(name: str):
    """The reference's raw [0, 1] image (the imported cfg's layer 0 normalizes it)."""
    return ref_weights().raw_input(golden(name)["seed"])


def trainable(g: dict, prefix: str = "") -> int:
    """Trainable parameters of the golden's layout under ``prefix`` (running stats are buffers)."""
    return sum(math.prod(shape) for key, shape, _ in g["layout"] if key.startswith(prefix)
               and not key.endswith(("running_mean", "running_var", "num_batches_tracked")))


def reference_params(name: str, group) -> dict[str, int]:
    """Trainable parameters of the reference per ``group(key)`` (buffers left out)."""
    out: dict[str, int] = {}
    for key, shape, _ in golden(name)["layout"]:
        if key.endswith(("running_mean", "running_var", "num_batches_tracked")):
            continue
        g = group(key)
        out[g] = out.get(g, 0) + int(np.prod(shape, dtype=np.int64))
    return out


def cfg_params(text: str, ends: dict[str, int]) -> dict[str, int]:
    """Trainable parameters of the cfg's layers per group: a layer belongs to the first group (in
    ``ends`` order, by end layer) whose last layer is at or after it."""
    from cfggen.api import analyze_text
    layers = analyze_text(text, sizes="native").network.layers
    order = sorted(ends.items(), key=lambda kv: kv[1])
    out = {g: 0 for g in ends}
    for layer in layers:
        owner = next((g for g, end in order if layer.index <= end), None)
        if owner is None:
            assert layer.params.trainable == 0, f"layer {layer.index} after the last group"
            continue
        out[owner] += layer.params.trainable
    return out


def cli_import(ckpt: str, prefix: str, *args) -> str:
    """``cfggen import CKPT -o PREFIX ARGS``, which must succeed; returns what it said on stderr."""
    code, out, err = run_cli("import", ckpt, "-o", prefix, *args)
    assert code == 0, err
    return err


def import_and_run(name: str, tmp_path, *options) -> tuple[str, dict]:
    """``cfggen import`` the reference checkpoint; returns (cfg path, weights path)."""
    prefix = str(tmp_path / name)
    cli_import(checkpoint(name, tmp_path), prefix, *options)
    return prefix + ".cfg", prefix + ".weights"


def cli_export(cfg: str, weights: str, layers, onnx_path: str):
    """``cfggen export --debug-layers`` into ``onnx_path``, opened in onnxruntime (``run_session`` runs it)."""
    import onnxruntime as ort

    code, out, err = run_cli("export", cfg, weights, "-o", onnx_path, "--debug-layers",
                             ",".join(map(str, layers)))
    assert code == 0, err
    return ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])


def run_session(session, x, layers) -> dict[int, np.ndarray]:
    names = [f"layer_{i}" for i in layers]
    return dict(zip(layers, session.run(names, {session.get_inputs()[0].name: x})))


def run_backbone(name: str, prefix: str, folder, taps: dict[int, int]) -> dict[int, np.ndarray]:
    """A detector import's backbone alone (``PREFIX.cfg`` cut after layer ``taps[32]``, with its
    ``PREFIX.conv.N``), exported and run on reference ``name``'s input: {tap layer: output}."""
    import re

    (conv,) = [f for f in os.listdir(folder) if f.startswith(os.path.basename(prefix) + ".conv.")]
    sections = re.split(r"\n(?=\[)", open(prefix + ".cfg", encoding="utf-8").read())
    backbone = os.path.join(folder, "backbone.cfg")
    with open(backbone, "w", encoding="utf-8") as fh:
        fh.write("\n".join(sections[:taps[32] + 3]) + "\n")      # header, [net], layers 0..N-1
    layers = list(taps.values())
    session = cli_export(backbone, os.path.join(folder, conv), layers, os.path.join(folder, "b.onnx"))
    return run_session(session, raw_input(name), layers)


def run_onnx(cfg: str, weights: str, layers) -> dict[int, np.ndarray]:
    """The exported model on the reference's raw [0, 1] image (the cfg's layer 0 normalizes it)."""
    return run_layers(cfg, weights, ref_weights().raw_input(golden_seed()), layers)


def run_layers(cfg: str, weights: str, x, layers) -> dict[int, np.ndarray]:
    """``to_onnx`` with ``layers`` as debug outputs, run in onnxruntime (one thread) on ``x`` (1,3,H,W
    float32): {layer: output}."""
    import onnxruntime as ort

    from cfggen.export import to_onnx

    model = to_onnx(cfg, weights, debug_layers=sorted(set(layers)))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    (feed,) = session.get_inputs()
    outs = dict(zip([o.name for o in session.get_outputs()], session.run(None, {feed.name: x})))
    return {i: outs[f"layer_{i}"] for i in layers}


def last_conv(text: str) -> int:
    """The layer index of a cfg text's last ``[convolutional]`` (the logits of these classifiers)."""
    import re

    return max(i for i, t in enumerate(re.findall(r"^\[(\w+)\]", text, re.M)[1:]) if t == "convolutional")


def golden_seed() -> int:
    return 20261206


def _off(got, want) -> np.ndarray:
    """|got - want| per logit, and which are outside the README's |d| <= 5e-5 + 1e-5*|logit|."""
    want = np.asarray(want, np.float64)
    d = np.abs(np.asarray(got, np.float64).reshape(-1) - want)
    return d, d > 5e-5 + 1e-5 * np.abs(want)


def logits_error(got: np.ndarray, name: str) -> tuple[float, bool]:
    """(max |delta|, every logit within the README's tolerance)."""
    d, bad = _off(got, golden(name)["logits"])
    return float(d.max()), not bad.any()


def assert_logits(logits, g: dict) -> None:
    """The README's tolerance on every logit."""
    d, bad = _off(logits, g["logits"])
    assert not bad.any(), f"{bad.sum()} logits off, max |d| {d.max():.3g}"


def stage(g: dict, name: str) -> dict:
    (row,) = [s for s in g["stages"] if s["name"] == name]
    return row


def assert_sum(output, row: dict) -> None:
    """A stage's sum and sum of |x| (invariant under darknet's channel order) to 1e-5 relative."""
    out = np.asarray(output, np.float64)
    assert out.size == math.prod(row["shape"])
    assert abs(out.sum() - row["sum"]) <= 1e-5 * row["sum_abs"], (out.sum(), row["sum"])
    assert abs(np.abs(out).sum() - row["sum_abs"]) <= 1e-5 * row["sum_abs"]


def stage_mismatches(outputs: dict[int, np.ndarray], name: str, where: dict[str, tuple[int, float]]) -> list[str]:
    """Stages whose sum / sum_abs differ from the reference (each output divided by its scale)."""
    bad = []
    for stage in golden(name)["stages"]:
        if stage["name"] not in where:
            continue
        index, scale = where[stage["name"]]
        out = outputs[index].astype(np.float64) / scale
        total, total_abs = float(out.sum()), float(np.abs(out).sum())
        if list(outputs[index].shape[1:]) != stage["shape"][1:] and outputs[index].size != np.prod(stage["shape"]):
            bad.append(f"{stage['name']}: shape {outputs[index].shape} vs {stage['shape']}")
        elif abs(total - stage["sum"]) > 2e-5 * stage["sum_abs"] + 1e-6 or \
                abs(total_abs - stage["sum_abs"]) > 2e-5 * stage["sum_abs"] + 1e-6:
            bad.append(f"{stage['name']}: sum {total} / {total_abs} vs {stage['sum']} / {stage['sum_abs']}")
    return bad


OPENCV_EPS = 1e-6        # OpenCV's darknet importer normalizes BN with eps 1e-6; darknet with 1e-5


def opencv_output(cfg: str, weights: str, layer: int, hardtan_as: str | None = None) -> tuple[str, np.ndarray]:
    """(the cfg OpenCV read, OpenCV's darknet importer's output at ``layer``) on the reference's raw
    image. OpenCV gets a weights copy with every rolling variance raised by 1e-5 - 1e-6 (so its BN
    computes darknet's). ``hardtan_as``: OpenCV has no hardtan, so the cfg is read with this activation
    instead (same layers, same wiring)."""
    if hardtan_as:
        text = open(cfg, encoding="utf-8").read().replace("activation=hardtan", f"activation={hardtan_as}")
        cfg = cfg[:-4] + f"-{hardtan_as}.cfg"
        with open(cfg, "w", encoding="utf-8") as fh:
            fh.write(text)
    out = opencv_outputs(cfg, weights, ref_weights().raw_input(golden_seed()), [layer])
    return cfg, out[layer].reshape(-1)


def opencv_outputs(cfg: str, weights: str, x, layers) -> dict[int, np.ndarray]:
    """OpenCV's darknet importer's outputs at ``layers`` on ``x``, from a copy of the weights whose rolling
    variances make its BN compute darknet's sqrt(var + 1e-5)."""
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


def opencv_against_export(cfg: str, weights: str, layer: int, hardtan_as: str | None = None) -> float:
    """Max |difference| at ``layer`` between OpenCV's darknet importer and ``cfggen export`` in
    onnxruntime (both on the cfg OpenCV read, see ``opencv_output``)."""
    cfg, theirs = opencv_output(cfg, weights, layer, hardtan_as)
    ours = run_onnx(cfg, weights, [layer])[layer].reshape(-1)
    return float(np.abs(theirs - ours).max())
