"""Bench: ``cfggen export`` time and peak memory against moving the weights bytes once with numpy.

For each network (default: yolov4.cfg, 64 M parameters, and the corpus's largest, cspx-p7-mish.cfg), a
real-size weights file is made with ``weights init``; then, in fresh child processes (so peak RSS is
the child's own ``ru_maxrss``), side by side:
  baseline  np.fromfile(weights) + ndarray.tofile(out)            (read + write the same bytes)
  export    cfggen export CFG WEIGHTS -o out.onnx                  (build, stream-write, full ONNX check)
  export-nocheck  to_onnx + save without the checker
Goals: export time <= 3x the baseline, export peak RSS <= 2.5x the weights file size. The RSS of a
child that only imports numpy + onnx (+ onnxruntime for nothing) is printed as the fixed floor.
Then onnxruntime latency (batch 1, 1 thread and default threads, median of --runs) for yolov4-tiny and
the generated EfficientNet-B0 classifier, as information.

    python bench/bench_export.py [--cfg PATH ...] [--runs 20]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("CFGGEN_SHARED", os.path.join(REPO, "..", "shared"))
CORPUS = os.path.join(SHARED, "corpus", "darknet")

CHILD = {
    "baseline": "import numpy as np, sys; a = np.fromfile(sys.argv[1], dtype=np.uint8); a.tofile(sys.argv[2])",
    "floor": "import numpy, onnx, sys",
    "export": "from cfggen.cli import main; import sys; main(['export', sys.argv[3], sys.argv[1], '-o', sys.argv[2]])",
    "export-nocheck": "import sys; from cfggen.export import to_onnx, save; "
                      "save(to_onnx(sys.argv[3], sys.argv[1]), sys.argv[2])",
}


def child(kind: str, weights: str, out: str, cfg: str) -> tuple[float, int]:
    """(wall seconds, peak RSS bytes) of one child process."""
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    os.sync()
    t = time.perf_counter()
    pid = subprocess.Popen([sys.executable, "-c", CHILD[kind], weights, out, cfg], env=env,
                           stdout=subprocess.DEVNULL).pid
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - t
    if status:
        raise SystemExit(f"{kind} child failed with status {status}")
    return wall, usage.ru_maxrss * 1024


def bench_network(cfg: str, folder: str) -> None:
    from cfggen.convert import weights as w
    network, _ = w.load_network(cfg)
    weights = os.path.join(folder, "net.weights")
    w.init(network, weights, seed=1)
    size = os.path.getsize(weights)
    out = os.path.join(folder, "out.bin")
    print(f"\n{os.path.basename(cfg)}: {network.totals.params:,} params, weights file {size / 2**20:,.1f} MiB")
    rows = {}
    for kind in ("floor", "baseline", "export-nocheck", "export"):
        best = None
        for _ in range(2 if kind != "floor" else 1):
            r = child(kind, weights, out, cfg)
            best = r if best is None or r[0] < best[0] else best
        rows[kind] = best
    base_t = rows["baseline"][0]
    print(f"{'step':<16}{'seconds':>9}{'x baseline':>12}{'peak RSS MiB':>14}{'x weights':>11}")
    for kind, (t, rss) in rows.items():
        print(f"{kind:<16}{t:>9.2f}{t / base_t:>12.2f}{rss / 2**20:>14.1f}{rss / size:>11.2f}")
    t, rss = rows["export"]
    print(f"goal: export <= 3x baseline time: {t / base_t:.2f}x {'ok' if t <= 3 * base_t else 'MISSED'}; "
          f"peak RSS <= 2.5x weights: {rss / size:.2f}x {'ok' if rss <= 2.5 * size else 'MISSED'}")
    os.unlink(weights)
    if os.path.exists(out):
        os.unlink(out)


def latency(cfg: str, runs: int) -> None:
    import numpy as np
    import onnxruntime as ort

    from cfggen.export import to_onnx
    model = to_onnx(cfg).SerializeToString()
    shape = None
    for threads in (1, 0):
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
        shape = [d if isinstance(d, int) else 1 for d in sess.get_inputs()[0].shape]
        x = np.random.default_rng(0).random(shape, dtype=np.float32)
        sess.run(None, {"input": x})
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            sess.run(None, {"input": x})
            times.append(time.perf_counter() - t)
        label = "1 thread" if threads == 1 else "default threads"
        print(f"onnxruntime {os.path.basename(cfg)} {'x'.join(map(str, shape))} ({label}): "
              f"median {sorted(times)[len(times) // 2] * 1e3:.1f} ms over {runs} runs")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cfg", action="append", help="network(s) to export (default: yolov4, cspx-p7-mish)")
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args(argv)
    sys.path.insert(0, REPO)
    cfgs = args.cfg or [os.path.join(CORPUS, "yolov4.cfg"), os.path.join(CORPUS, "cspx-p7-mish.cfg")]
    with tempfile.TemporaryDirectory(prefix="bench-export-") as folder:
        for cfg in cfgs:
            bench_network(cfg, folder)
    print()
    latency(os.path.join(CORPUS, "yolov4-tiny.cfg"), args.runs)
    latency(os.path.join(REPO, "generated_cfgs", "efficientnet-b0.cfg"), args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
