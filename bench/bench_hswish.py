"""Bench: what the exact hard-swish construction costs, and MobileNetV3-Large against MixNet-S (issue 21).

For mobilenetv3-large, mobilenetv3-small and ghostnet with each --hswish (exact: hardtan, the default; relu:
relu and fixed 1x1 convs, import-only; approx: swish + logistic), and mixnet-s, at 224x224, batch 1:
layers, BFLOPs and parameters (cfggen's validator), estimated time (``cfggen profile``'s cpu preset,
calibrated in this run with one onnxruntime thread, as the measurement runs), and measured onnxruntime
latency (the network ``cfggen export`` builds, one thread, the networks' runs interleaved round by round):
best and median wall time of ``--runs``, and the median CPU time of the calling thread, which runs the
whole graph (steadier on a shared machine). Ratios are against mobilenetv3-large (exact), measured in
the same run.

    python bench/bench_hswish.py [--runs 30]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

NETS = (("mobilenetv3-large", "exact"), ("mobilenetv3-large", "relu"), ("mobilenetv3-large", "approx"),
        ("mixnet-s", None), ("mobilenetv3-small", "exact"), ("mobilenetv3-small", "relu"),
        ("mobilenetv3-small", "approx"), ("ghostnet", "exact"), ("ghostnet", "relu"), ("ghostnet", "approx"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    import numpy as np
    import onnxruntime as ort

    from cfggen.api import analyze_text
    from cfggen.export import to_onnx
    from cfggen.generate import generate
    from cfggen.standalone import compose
    import tempfile

    from cfggen.profile.core import profile
    from cfggen.profile.devices import cpu_device

    # the same runtime and thread count as the measurement below, measured afresh (the machine's state now)
    device = cpu_device(refresh=True, runtime="onnxruntime", threads=1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, hswish in NETS:
            # relu (fixed layers) is import-only in the CLI; its structure is compose's with fixed_ok
            text = compose(name, hswish=hswish, fixed_ok=True).text if hswish else generate(name)
            path = os.path.join(tmp, f"{name}-{hswish}.cfg")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
            net = analyze_text(text, sizes="native").network
            estimate = profile(net, device).time_s * 1e3
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            session = ort.InferenceSession(to_onnx(path).SerializeToString(), options,
                                           providers=["CPUExecutionProvider"])
            rows.append({"name": f"{name}" + (f" ({hswish})" if hswish else ""), "layers": len(net.layers),
                         "bflops": net.totals.bflops, "params": net.totals.params, "estimate": estimate,
                         "session": session, "times": [], "cpu": []})
        x = np.random.default_rng(0).random((1, 3, 224, 224), dtype=np.float32)
        for row in rows:                              # warm-up
            feed = row["session"].get_inputs()[0].name
            row["session"].run(None, {feed: x})
        for _ in range(args.runs):                    # interleaved: load changes hit every network alike
            for row in rows:
                feed = row["session"].get_inputs()[0].name
                t, c = time.perf_counter(), time.thread_time()
                row["session"].run(None, {feed: x})
                row["times"].append(time.perf_counter() - t)
                # one intra-op thread runs the graph on this thread: its CPU time leaves out the time
                # other processes held the core (steadier than wall time on a shared machine)
                row["cpu"].append(time.thread_time() - c)
    base = rows[0]
    print(f"{'network':<29} {'layers':>6} {'BFLOPs':>7} {'params':>10} {'est. ms':>8} {'best ms':>8} "
          f"{'median ms':>9} {'cpu med.':>8} {'best/base':>9}")
    for row in rows:
        best, median = min(row["times"]) * 1e3, statistics.median(row["times"]) * 1e3
        print(f"{row['name']:<29} {row['layers']:>6} {row['bflops']:>7.3f} {row['params']:>10,} "
              f"{row['estimate']:>8.2f} {best:>8.2f} {median:>9.2f} {statistics.median(row['cpu']) * 1e3:>8.2f} "
              f"{best / (min(base['times']) * 1e3):>9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
