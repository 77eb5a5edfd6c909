"""Measured latency on this machine, per layer where the runtime tells.

``onnxruntime``: the network exported by ``cfggen.export.to_onnx`` runs with per-node profiling;
node times are summed per darknet layer (the exporter names every node ``L{index}_{type}_...``; a
node without that prefix, e.g. one onnxruntime inserted, is counted as unattributed). ``opencv``: OpenCV's darknet importer
(``cv2.dnn.readNetFromDarknet``) with ``cfggen weights init`` weights, whose ``getPerfProfile`` gives
per-layer times; the bench uses it while the exporter is not installed.
"""
from __future__ import annotations

import json
import os
import re
import statistics
import tempfile
import time
from dataclasses import dataclass

from cfggen.errors import UsageError


@dataclass(frozen=True)
class Measured:
    backend: str
    total_s: float                 # median wall time of one forward pass
    best_s: float                  # fastest run (least disturbed by other processes)
    per_layer_s: dict[int, float]  # darknet layer index -> seconds (what the runtime attributes)
    runs: int
    unattributed_s: float = 0.0    # per run: node time the runtime reports under no darknet layer
    nodes_s: float = 0.0           # per run: all node time of the profiled session


def export_available() -> bool:
    try:
        import cfggen.export  # noqa: F401
    except ImportError:
        return False
    return True


_INDEX = re.compile(r"(\d+)")
_EXPORT_NODE = re.compile(r"L(\d+)_")


def _export_layer_of(node_name: str) -> int | None:
    """The darknet layer of an exported node: ``cfggen.export`` prefixes each with ``L{index}_``."""
    m = _EXPORT_NODE.match(node_name)
    return int(m.group(1)) if m else None


def _layer_of(node_name: str) -> int | None:
    m = _INDEX.search(node_name)
    return int(m.group(1)) if m else None


def node_times(events: list, runs: int) -> tuple[dict[int, float], float]:
    """(darknet layer -> seconds, unattributed seconds) per run from onnxruntime's profile ``events`` of
    ``runs`` + 1 sequential runs."""
    # runs + 1 sequential runs (the first a warm-up, dropped): per node name its time in each run (a
    # name that occurs k times per run, e.g. unnamed nodes, sums its k events of that run), and the
    # median over the runs, so that a run another process interrupted does not count
    per_node: dict[str, list[float]] = {}
    for ev in events:
        if ev.get("cat") != "Node" or not str(ev.get("name", "")).endswith("_kernel_time"):
            continue
        per_node.setdefault(ev["name"][: -len("_kernel_time")], []).append(ev.get("dur", 0) * 1e-6)
    per_layer: dict[int, float] = {}
    unattributed = 0.0
    for node, durations in per_node.items():
        k = max(1, len(durations) // (runs + 1))
        per_run = [sum(durations[j:j + k]) for j in range(0, len(durations) - k + 1, k)]
        t = statistics.median(per_run[1:] or per_run)
        idx = _export_layer_of(node)
        if idx is None:
            unattributed += t
        else:
            per_layer[idx] = per_layer.get(idx, 0.0) + t
    return per_layer, unattributed


def measure_onnxruntime(cfg_path: str, size: tuple[int, int], batch: int = 1, runs: int = 10,
                        weights_path: str | None = None, threads: int | None = None) -> Measured:
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError:
        raise UsageError("--measure needs onnxruntime", hint="pip install 'cfggen[onnx]'") from None
    try:
        from cfggen.export import to_onnx
    except ImportError:
        raise UsageError("--measure needs cfggen export (cfggen.export), which is not installed") from None
    model = to_onnx(cfg_path, weights_path, size=size, batch=batch).SerializeToString()

    def session(profile_prefix: str | None):
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        if threads:
            opts.intra_op_num_threads = threads
        if profile_prefix:
            # layout transforms and fusions rename nodes; basic optimisation keeps one node per op
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
            opts.enable_profiling = True
            opts.profile_file_prefix = profile_prefix
        return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])

    with tempfile.TemporaryDirectory(prefix="cfggen-profile-") as tmp:
        sess = session(None)     # the wall time: full optimisation, as a deployment runs it
        inp = sess.get_inputs()[0]
        shape = [d if isinstance(d, int) else batch for d in inp.shape]
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        sess.run(None, {inp.name: x})
        walls = []
        for _ in range(runs):
            t = time.perf_counter()
            sess.run(None, {inp.name: x})
            walls.append(time.perf_counter() - t)
        prof = session(os.path.join(tmp, "ort"))
        for _ in range(runs + 1):
            prof.run(None, {inp.name: x})
        with open(prof.end_profiling()) as fh:
            events = json.load(fh)
    per_layer, unattributed = node_times(events, runs)
    return Measured("onnxruntime", statistics.median(walls), min(walls), per_layer, runs, unattributed,
                    sum(per_layer.values()) + unattributed)


def opencv_runner(cfg_path: str, size: tuple[int, int], weights_path: str | None = None,
                  threads: int | None = None):
    """OpenCV's darknet importer at ``size`` (the cfg is copied with [net] width/height replaced).

    Returns (run, owners): ``run()`` does one forward pass and returns (seconds, per-layer ticks).
    """
    try:
        import cv2
        import numpy as np
    except ImportError:
        raise UsageError("OpenCV measurement needs opencv-python-headless") from None
    from cfggen import profile as prof
    from cfggen.convert import weights as wconv

    net_ir = prof.load(cfg_path, size)
    with tempfile.TemporaryDirectory(prefix="cfggen-profile-") as tmp:
        cfg = os.path.join(tmp, "net.cfg")
        with open(cfg, "w") as fh:
            fh.write(resized_text(cfg_path, size))
        if weights_path is None:
            weights_path = os.path.join(tmp, "net.weights")
            wconv.init(net_ir, weights_path, seed=1)
        net = cv2.dnn.readNetFromDarknet(cfg, weights_path)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    if threads:
        cv2.setNumThreads(threads)
    blob = np.random.default_rng(0).random((1, net_ir.channels, size[1], size[0]), dtype=np.float32)
    freq = cv2.getTickFrequency()

    def run() -> tuple[float, list[float]]:
        net.setInput(blob)
        t = time.perf_counter()
        net.forward()
        wall = time.perf_counter() - t
        return wall, [x / freq for x in net.getPerfProfile()[1].ravel()]

    run()
    return run, opencv_owners(net.getLayerNames())


def measure_opencv(cfg_path: str, size: tuple[int, int], runs: int = 10, weights_path: str | None = None,
                   threads: int | None = None) -> Measured:
    run, owners = opencv_runner(cfg_path, size, weights_path, threads)
    walls, per = [], {}
    for _ in range(runs):
        wall, layer_s = run()
        walls.append(wall)
        one: dict[int, float] = {}
        for idx, t in zip(owners, layer_s):
            if idx is not None:
                one[idx] = one.get(idx, 0.0) + t
        for idx, t in one.items():
            per.setdefault(idx, []).append(t)
    return Measured("opencv", statistics.median(walls), min(walls), {i: statistics.median(v) for i, v in per.items()},
                    runs)


# OpenCV names a conv's fused activation after the *next* index (conv_0, bn_0, leaky_1, pool_1)
_OPENCV_ACTIVATIONS = ("leaky", "relu", "relu6", "swish", "mish", "logistic", "sigmoid", "tanh", "elu", "selu",
                       "gelu", "hard_mish", "hardswish", "linear")


def opencv_owners(names) -> list[int | None]:
    """The darknet layer each of OpenCV's layers belongs to (activations go to the layer before)."""
    owners: list[int | None] = []
    last = None
    for name in names:
        prefix = name.rstrip("0123456789").rstrip("_")
        if prefix in _OPENCV_ACTIVATIONS and last is not None:
            owners.append(last)
            continue
        last = _layer_of(name)
        owners.append(last)
    return owners


def resized_text(cfg_path: str, size: tuple[int, int]) -> str:
    """The cfg with the first [net] width= and height= replaced (as the forward goldens do)."""
    with open(cfg_path, encoding="utf-8", errors="replace") as fh:
        lines = fh.read().split("\n")
    done = set()
    in_net = False
    for i, line in enumerate(lines):
        s = line.replace(" ", "").replace("\t", "")
        if s.startswith("["):
            if in_net:
                break
            in_net = s.startswith("[net]") or s.startswith("[network]")
            continue
        if not in_net or s.startswith(("#", ";")):
            continue
        key = s.split("=", 1)[0]
        if key in ("width", "height") and key not in done:
            lines[i] = f"{key}={size[0] if key == 'width' else size[1]}"
            done.add(key)
    return "\n".join(lines)
