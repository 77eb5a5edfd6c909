"""Device presets for the roofline, and the ``cpu`` preset calibrated on this machine.

A preset is a public peak compute rate, a public memory bandwidth and a per-layer fixed cost. The
roofline reaches a fraction of the peaks (``compute_eff``, ``bandwidth_eff``): darknet's conv is
im2col + GEMM (or cuDNN), which no framework runs at the datasheet rate. Sources and the reasoning
behind the fractions and the fixed costs are in docs/profile.md; the numbers are the datasheets'.

``cpu`` is measured instead: a short microbenchmark (onnxruntime if installed, else numpy) times a
large convolution (compute), a large element-wise add (bandwidth) and a chain of tiny nodes (the
fixed cost per layer), and caches the result under the user cache directory.
"""
from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict, dataclass, replace

from cfggen.errors import UsageError


@dataclass(frozen=True)
class Device:
    name: str
    peak_gflops: float           # fp32
    peak_gflops_fp16: float      # fp16 (tensor cores where the device has them)
    bandwidth_gbs: float
    launch_us: float             # fixed cost per layer (kernel launches, framework dispatch)
    compute_eff: float = 0.6     # fraction of peak compute a layer reaches
    bandwidth_eff: float = 0.75  # fraction of peak bandwidth a layer reaches
    source: str = ""
    depthwise_gflops: float = 0.0   # achievable rate of depthwise convs (no GEMM); 0: the general rate
    exp_gops: float = 0.0           # exp/log/tanh evaluations per ns; 0: free (GPUs' special-function units)
    # measured extra ns per element of each activation as the runtime runs it (the cpu preset calibrated
    # with onnxruntime times the exporter's own activation subgraphs); replaces the exp-rate estimate
    activation_ns: tuple[tuple[str, float], ...] = ()
    # a second memory tier: a layer whose working set (the distinct bytes it reads and writes) is at most
    # cache_mb moves them at cache_gbs instead of bandwidth_gbs (its inputs were written a moment ago by
    # the layers before it and are still in the last-level cache). 0: one tier (the GPU presets)
    cache_mb: float = 0.0
    cache_gbs: float = 0.0

    def activation_cost(self, name: str) -> float | None:
        """Measured extra ns per element of activation ``name``, None when not measured."""
        return dict(self.activation_ns).get(name)

    def gflops(self, precision: str) -> float:
        """Achievable compute in GFLOP/s."""
        peak = self.peak_gflops_fp16 if precision == "fp16" else self.peak_gflops
        return peak * self.compute_eff

    def depthwise(self, precision: str) -> float:
        """Achievable depthwise-conv compute in GFLOP/s (a measured ceiling on the cpu preset)."""
        return self.depthwise_gflops or self.gflops(precision)

    def gbs(self) -> float:
        """Achievable bandwidth in GB/s."""
        return self.bandwidth_gbs * self.bandwidth_eff

    def cache_gbs_achievable(self) -> float:
        """Achievable bandwidth in GB/s for working sets within the cache tier (0: no tier)."""
        return self.cache_gbs * self.bandwidth_eff

    def gbs_for(self, working_bytes: float) -> float:
        """Achievable bandwidth for a layer whose working set is ``working_bytes``."""
        if self.cache_gbs and working_bytes <= self.cache_mb * 1e6:
            return self.cache_gbs_achievable()
        return self.gbs()

    def ridge(self, precision: str) -> float:
        """FLOPs per byte above which a layer is compute-bound."""
        return self.gflops(precision) / self.gbs()


PRESETS: dict[str, Device] = {d.name: d for d in (
    Device("t4", 8100, 65000, 320, 15, source="NVIDIA T4 datasheet: 8.1 TFLOPS FP32, 65 TFLOPS FP16 "
           "(Tensor Cores), 320 GB/s GDDR6"),
    Device("rtx2070", 7500, 59700, 448, 15, source="NVIDIA Turing whitepaper, GeForce RTX 2070 (reference "
           "clocks): 7.5 TFLOPS FP32, 59.7 TFLOPS FP16 Tensor, 448 GB/s"),
    Device("rtx3090", 35600, 71000, 936, 15, source="NVIDIA Ampere GA102 whitepaper, GeForce RTX 3090: "
           "35.6 TFLOPS FP32, 71 TFLOPS FP16 Tensor (FP32 accumulate, dense), 936 GB/s"),
    Device("a100", 19500, 312000, 1555, 12, source="NVIDIA A100 40GB SXM datasheet: 19.5 TFLOPS FP32, "
           "312 TFLOPS FP16 Tensor, 1,555 GB/s HBM2"),
    Device("jetson-nano", 236, 472, 25.6, 40, source="NVIDIA Jetson Nano module datasheet: 472 GFLOPS FP16 "
           "(128 Maxwell cores at 921 MHz; FP32 is half), 25.6 GB/s LPDDR4"),
    Device("jetson-xavier", 1410, 11000, 137, 30, source="NVIDIA Jetson AGX Xavier datasheet: 512 Volta "
           "cores at 1377 MHz (1.41 TFLOPS FP32), 11 TFLOPS FP16 (Tensor Cores), 137 GB/s LPDDR4x"),
)}
ALIASES = {"rtx-2070": "rtx2070", "rtx-3090": "rtx3090", "nano": "jetson-nano", "xavier": "jetson-xavier",
           "agx-xavier": "jetson-xavier"}

CACHE_VERSION = 4


def cache_dir() -> str:
    """$CFGGEN_CACHE_DIR, else $XDG_CACHE_HOME/cfggen, else ~/.cache/cfggen."""
    explicit = os.environ.get("CFGGEN_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "cfggen")


def _machine_key() -> str:
    """What the calibration depends on: CPU model, core count, the backend's version."""
    model = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{platform.node()}|{model}|{os.cpu_count()}|{_backend()[0]}"


def _backend() -> tuple[str, str]:
    """onnxruntime when it and onnx (to build the calibration graphs) are installed, else numpy."""
    try:
        import onnx  # noqa: F401
        import onnxruntime
        return "onnxruntime", onnxruntime.__version__
    except ImportError:
        import numpy
        return "numpy", numpy.__version__


SYSFS_CACHE = "/sys/devices/system/cpu/cpu0/cache"


def last_level_cache_bytes(base: str = SYSFS_CACHE) -> int:
    """The CPU's last-level data (or unified) cache as Linux reports it (sysfs), 0 when it does not."""
    best = (0, 0)
    try:
        entries = os.listdir(base)
    except OSError:
        return 0
    for entry in entries:
        try:
            with open(os.path.join(base, entry, "level")) as fh:
                level = int(fh.read())
            with open(os.path.join(base, entry, "type")) as fh:
                if fh.read().strip() == "Instruction":
                    continue
            with open(os.path.join(base, entry, "size")) as fh:
                text = fh.read().strip().upper()
        except (OSError, ValueError):
            continue
        scale = {"K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}.get(text[-1:], 1)
        try:
            size = int(text.rstrip("KMG")) * scale
        except ValueError:
            continue
        best = max(best, (level, size))
    return best[1]


def _cache_tensor_floats(llc: int) -> int:
    """Floats per tensor of the cache-bandwidth benchmark: three tensors fill a quarter of the last-level
    cache (others share it; the tier applies up to half)."""
    return max(4096, llc // 4 // 3 // 4)


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _ort_clock(threads: int | None):
    """With one intra-op thread onnxruntime runs a graph on the calling thread: its CPU time is the
    work itself, without the time other processes held the core (a shared machine); else wall time."""
    return time.thread_time if threads == 1 else time.perf_counter


def _calibrate_ort(threads: int | None = None) -> tuple[float, float, float, float, float, float]:
    """(GFLOP/s, GB/s, seconds per node, depthwise GFLOP/s, exp G/s, cache GB/s) from tiny ONNX graphs run
    by onnxruntime on the CPU."""
    import numpy as np
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    def session(nodes, inputs, outputs, inits=()):
        graph = helper.make_graph(nodes, "calib", inputs, outputs, list(inits))
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 7
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        if threads:
            opts.intra_op_num_threads = threads
        return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])

    f32 = TensorProto.FLOAT
    rng = np.random.default_rng(0)
    clock = _ort_clock(threads)

    def prepare(nodes, feeds: dict, inits=()):
        """A callable timing one run of a one-output graph over ``feeds``."""
        ins = [helper.make_tensor_value_info(k, f32, list(v.shape)) for k, v in feeds.items()]
        sess = session(nodes, ins, [helper.make_tensor_value_info(nodes[-1].output[0], f32, None)], inits)

        def run() -> float:
            t = clock()
            sess.run(None, feeds)
            return clock() - t
        run()
        return run

    def weight(name, shape):
        return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)

    c, hw = 128, 52                    # compute: a 3x3 conv, 128 -> 128 on 52x52 (a mid-network YOLO layer)
    n = 16 * 1024 * 1024               # bandwidth: add two 16M-float tensors (192 MB moved)
    chain = 64                         # fixed cost: 64 Relu nodes on 1x8x8x8
    dc, dhw = 256, 56                  # depthwise: 3x3, groups = channels = 256 on 56x56
    m = 4 * 1024 * 1024                # exp: a Sigmoid over 4M floats minus a Relu over the same
    cn, links = _cache_tensor_floats(last_level_cache_bytes()), 8   # cache: a chain of 8 Adds, in cache
    ones = np.ones(n, np.float32)
    big = rng.standard_normal(m).astype(np.float32)
    best = _interleaved({
        "conv": prepare([helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1])],
                        {"x": rng.standard_normal((1, c, hw, hw)).astype(np.float32)}, [weight("w", (c, c, 3, 3))]),
        "add": prepare([helper.make_node("Add", ["a", "b"], ["y"])], {"a": ones, "b": ones.copy()}),
        "tiny": prepare([helper.make_node("Relu", [f"t{i}"], [f"t{i + 1}"]) for i in range(chain)],
                        {"t0": np.ones((1, 8, 8, 8), np.float32)}),
        "dw": prepare([helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1], group=dc)],
                      {"x": rng.standard_normal((1, dc, dhw, dhw)).astype(np.float32)}, [weight("w", (dc, 1, 3, 3))]),
        "sigmoid": prepare([helper.make_node("Sigmoid", ["a"], ["y"])], {"a": big}),
        "relu": prepare([helper.make_node("Relu", ["a"], ["y"])], {"a": big}),
        "cached": prepare([helper.make_node("Add", [f"c{i}", "b"], [f"c{i + 1}"]) for i in range(links)],
                          {"c0": np.ones(cn, np.float32), "b": np.ones(cn, np.float32)}),
    })
    per_node = best["tiny"] / chain
    return (2.0 * c * c * 9 * hw * hw / best["conv"] / 1e9, 3 * 4 * n / best["add"] / 1e9, per_node,
            2.0 * dc * 9 * dhw * dhw / best["dw"] / 1e9, _exp_rate(m, best["sigmoid"] - best["relu"]),
            _cache_rate(cn, best["cached"] / links - per_node))


def _calibrate_numpy(threads: int | None = None) -> tuple[float, float, float, float, float, float]:
    import numpy as np

    a = np.ones((1024, 1024), np.float32)
    a @ a
    gflops = 2.0 * 1024 ** 3 / _best(lambda: a @ a, 5) / 1e9
    n = 16 * 1024 * 1024
    x, y, z = np.ones(n, np.float32), np.ones(n, np.float32), np.empty(n, np.float32)
    gbs = 3 * 4 * n / _best(lambda: np.add(x, y, out=z), 5) / 1e9
    small = np.ones(512, np.float32)
    per_node = _best(lambda: [np.maximum(small, 0, out=small) for _ in range(64)], 20) / 64
    e, out = np.ones(4 * 1024 * 1024, np.float32), np.empty(4 * 1024 * 1024, np.float32)
    t_exp = _best(lambda: np.exp(e, out=out), 5) - _best(lambda: np.maximum(e, 0, out=out), 5)
    cn = _cache_tensor_floats(last_level_cache_bytes())
    cx, cy, cz = np.ones(cn, np.float32), np.ones(cn, np.float32), np.empty(cn, np.float32)
    t_cache = _best(lambda: [np.add(cx, cy, out=cz) for _ in range(8)], 10) / 8
    return gflops, gbs, per_node, 0.0, _exp_rate(e.size, t_exp), _cache_rate(cn, t_cache - per_node)


def _calibrate_opencv(threads: int | None = None) -> tuple[float, float, float, float, float, float]:
    """The same measurements through OpenCV's darknet importer (tiny cfgs, initialised weights); no cache
    tier (one memory bandwidth)."""
    import tempfile

    import cv2
    import numpy as np

    if threads:
        cv2.setNumThreads(threads)

    def prepare(cfg_text: str, shape: tuple[int, int, int], layer: str | None = None):
        """A callable timing one forward pass, or one layer of it (``getPerfProfile``) when named."""
        with tempfile.TemporaryDirectory(prefix="cfggen-calib-") as tmp:
            path = os.path.join(tmp, "c.cfg")
            with open(path, "w") as fh:
                fh.write(cfg_text)
            from cfggen.convert.weights import init
            from cfggen.profile import load
            init(load(path), os.path.join(tmp, "c.weights"), seed=1)
            net = cv2.dnn.readNetFromDarknet(path, os.path.join(tmp, "c.weights"))
        net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
        blob = np.ones((1, shape[2], shape[1], shape[0]), np.float32)
        index = list(net.getLayerNames()).index(layer) if layer else None

        def run() -> float:
            net.setInput(blob)
            t = time.perf_counter()
            net.forward()
            wall = time.perf_counter() - t
            if index is not None:
                return net.getPerfProfile()[1].ravel()[index] / cv2.getTickFrequency()
            return wall
        run()
        return run

    c, hw = 128, 52
    w, h, ch = 1024, 1024, 16
    chain = 64
    dc, dhw = 256, 56
    ew, eh, ec = 512, 512, 16
    act = ("[net]\nwidth={w}\nheight={h}\nchannels=4\n[convolutional]\nfilters={c}\nsize=1\n"
           "activation={a}\n")
    best = _interleaved({
        "conv": prepare(f"[net]\nwidth={hw}\nheight={hw}\nchannels={c}\n[convolutional]\nfilters={c}\nsize=3\n"
                        "pad=1\nactivation=linear\n", (hw, hw, c), "conv_0"),
        "add": prepare(f"[net]\nwidth={w}\nheight={h}\nchannels={ch}\n" + "[maxpool]\nsize=1\nstride=1\n" * 2
                       + "[shortcut]\nfrom=-2\nactivation=linear\n", (w, h, ch), "shortcut_2"),
        "tiny": prepare("[net]\nwidth=8\nheight=8\nchannels=8\n" + "[maxpool]\nsize=2\nstride=1\n" * chain,
                        (8, 8, 8)),
        "dw": prepare(f"[net]\nwidth={dhw}\nheight={dhw}\nchannels={dc}\n[convolutional]\nfilters={dc}\n"
                      f"groups={dc}\nsize=3\npad=1\nactivation=linear\n", (dhw, dhw, dc), "conv_0"),
        # exp: OpenCV fuses the activation into the conv, so compare whole passes: logistic vs relu
        "logistic": prepare(act.format(w=ew, h=eh, c=ec, a="logistic"), (ew, eh, 4)),
        "relu": prepare(act.format(w=ew, h=eh, c=ec, a="relu"), (ew, eh, 4)),
    })
    return (2.0 * c * c * 9 * hw * hw / best["conv"] / 1e9, 3 * 4 * w * h * ch / best["add"] / 1e9,
            best["tiny"] / chain, 2.0 * dc * 9 * dhw * dhw / best["dw"] / 1e9,
            _exp_rate(ew * eh * ec, best["logistic"] - best["relu"]), 0.0)


def _interleaved(runs: dict, rounds: int = 12) -> dict[str, float]:
    """Best time of each benchmark over ``rounds`` rounds that run every benchmark once: a busy spell
    on the machine then costs one round of each instead of every round of one."""
    best = {k: float("inf") for k in runs}
    for _ in range(rounds):
        for k, run in runs.items():
            best[k] = min(best[k], run())
    return best


def _exp_rate(n: int, extra_s: float) -> float:
    """exp evaluations per ns from the extra time a logistic takes over a relu on ``n`` floats; 0 (no
    separate ceiling) when the difference is lost in the noise."""
    return n / extra_s / 1e9 if extra_s > 1e-5 else 0.0


def _cache_rate(n: int, seconds: float) -> float:
    """GB/s of an add over ``n`` floats (two read, one written) that stay in cache; 0 (no cache tier)
    when the time is lost in the fixed cost."""
    return 3 * 4 * n / seconds / 1e9 if seconds > 1e-7 else 0.0


def _calibrate_ort_activations(threads: int | None = None) -> tuple[tuple[str, float], ...]:
    """Extra ns per element of each activation darknet computes with exp/log/tanh, as onnxruntime runs
    the subgraph ``cfggen.export`` emits for it (mish: Softplus, Exp, Tanh and two Wheres; gelu: a tanh
    polynomial), over a Relu on the same 4M floats (a Relu is fused into the conv before it).

    Why: the exp-rate model counts darknet's transcendentals (mish three, swish one), but onnxruntime's
    Sigmoid is vectorised and nearly free while its Softplus is not: mish costs ~40x swish there.
    Empty when the exporter is not importable."""
    try:
        import numpy as np
        import onnxruntime as ort
        from onnx import TensorProto, helper

        from cfggen.export.activations import activate
        from cfggen.export.graph import Graph
    except ImportError:
        return ()
    clock = _ort_clock(threads)
    shape = [1, 16, 512, 512]
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)

    def prepare(name: str):
        g = Graph(17)
        y = activate(g, "x", name)
        graph = g.model.graph
        graph.node.extend(g.nodes)
        graph.input.append(helper.make_tensor_value_info("x", TensorProto.FLOAT, shape))
        graph.output.append(helper.make_tensor_value_info(y, TensorProto.FLOAT, None))
        g.model.opset_import.append(helper.make_opsetid("", 17))
        g.model.ir_version = 8
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        if threads:
            opts.intra_op_num_threads = threads
        sess = ort.InferenceSession(g.model.SerializeToString(), opts, providers=["CPUExecutionProvider"])

        def run() -> float:
            t = clock()
            sess.run(None, {"x": x})
            return clock() - t
        run()
        return run

    from cfggen.profile.cost import TRANSCENDENTAL
    names = sorted(TRANSCENDENTAL)
    best = _interleaved({name: prepare(name) for name in ["relu", *names]}, rounds=8)
    return tuple((name, round(max(0.0, best[name] - best["relu"]) / x.size * 1e9, 4)) for name in names)


ACTIVATION_RUNTIMES = {"onnxruntime": _calibrate_ort_activations}

RUNTIMES = {"onnxruntime": _calibrate_ort, "opencv": _calibrate_opencv, "numpy": _calibrate_numpy}


def _runtime_version(runtime: str) -> str:
    import importlib
    module = {"onnxruntime": "onnxruntime", "opencv": "cv2", "numpy": "numpy"}[runtime]
    return getattr(importlib.import_module(module), "__version__", "?")


def calibrate(runtime: str | None = None, threads: int | None = None) -> Device:
    """Measure this machine (a few seconds) with ``runtime`` and return the ``cpu`` device.

    Default runtime: onnxruntime when installed (what ``--measure`` runs), else numpy.
    """
    runtime = runtime or _backend()[0]
    gflops, gbs, per_node, dw, exp, cache_gbs = (float(v) for v in RUNTIMES[runtime](threads))
    # the tier applies up to half the last-level cache (the rest: other processes, weights, the next
    # layer's buffers); no tier when the cache is not faster than memory as measured
    llc = last_level_cache_bytes()
    cache_mb = llc / 2 / 1e6 if cache_gbs > gbs else 0.0
    acts = ACTIVATION_RUNTIMES[runtime](threads) if runtime in ACTIVATION_RUNTIMES else ()
    # the measurements are already achievable rates: efficiencies are 1
    return Device("cpu", round(gflops, 2), round(gflops, 2), round(gbs, 2), round(per_node * 1e6, 2),
                  1.0, 1.0, source=f"measured on this machine with {runtime} {_runtime_version(runtime)} "
                  f"({threads or os.cpu_count()} threads): a 3x3 conv 128->128 on 52x52, a 64 MB streaming op, "
                  "a chain of 64 tiny layers, a 3x3 depthwise conv on 56x56x256, a logistic over 4M floats"
                  + (", the exported exp/log/tanh activations over 4M floats" if acts else "")
                  + (f", adds on {_cache_tensor_floats(llc) * 4 / 1e6:.1f} MB tensors "
                     f"(last-level cache {llc / 2 ** 20:.0f} MiB)" if cache_mb else ""),
                  depthwise_gflops=round(dw, 2), exp_gops=round(exp, 3), activation_ns=acts,
                  cache_mb=round(cache_mb, 2), cache_gbs=round(cache_gbs, 2) if cache_mb else 0.0)


def cpu_device(refresh: bool = False, runtime: str | None = None, threads: int | None = None) -> Device:
    """The calibrated ``cpu`` preset, from the cache when it was measured on this machine."""
    runtime = runtime or _backend()[0]
    path = os.path.join(cache_dir(), f"cpu-calibration-{runtime}{f'-{threads}t' if threads else ''}.json")
    key = _machine_key()
    if not refresh:
        try:
            with open(path) as fh:
                data = json.load(fh)
            if data.get("version") == CACHE_VERSION and data.get("key") == key:
                dev = data["device"]
                return Device(**{**dev, "activation_ns": tuple((str(k), float(v)) for k, v in
                                                               dev.get("activation_ns", ()))})
        except (OSError, ValueError, TypeError, KeyError):
            pass
    device = calibrate(runtime, threads)
    try:
        from cfggen.fileio import write_atomic
        os.makedirs(cache_dir(), exist_ok=True)
        write_atomic(path, json.dumps({"version": CACHE_VERSION, "key": key, "device": asdict(device)}, indent=1))
    except Exception:  # noqa: BLE001 - a cache we cannot write only costs a recalibration next time
        pass
    return device


def resolve(name: str | None, peak_gflops: float | None = None, bandwidth_gbs: float | None = None,
            launch_us: float | None = None) -> Device:
    """--device NAME or --peak-gflops/--bandwidth-gbs (a custom device, efficiencies 1)."""
    if peak_gflops is not None or bandwidth_gbs is not None:
        if name:
            raise UsageError("give either --device or --peak-gflops/--bandwidth-gbs, not both")
        if peak_gflops is None or bandwidth_gbs is None:
            raise UsageError("a custom device needs both --peak-gflops and --bandwidth-gbs")
        if not (peak_gflops > 0 and bandwidth_gbs > 0):
            raise UsageError("--peak-gflops and --bandwidth-gbs must be positive")
        return Device("custom", peak_gflops, peak_gflops, bandwidth_gbs, 0.0 if launch_us is None else launch_us,
                      1.0, 1.0, source="given on the command line")
    key = (name or "cpu").lower()
    key = ALIASES.get(key, key)
    if key == "cpu":
        dev = cpu_device()
    elif key in PRESETS:
        dev = PRESETS[key]
    else:
        raise UsageError(f"unknown device '{name}'", hint="one of: cpu, " + ", ".join(PRESETS))
    return dev if launch_us is None else replace(dev, launch_us=launch_us)
