"""Bench: what the exact hard-swish construction costs, and MobileNetV3-Large against MixNet-S (issue 21).

For mobilenetv3-large, mobilenetv3-small and ghostnet with each --hswish (exact: hardtan, the default; relu:
relu and fixed 1x1 convs, import-only; approx: swish + logistic), and mixnet-s, at 224x224, batch 1:
layers, BFLOPs and parameters (cfggen's validator), bytes moved and estimated time (``cfggen profile``'s
calibrated cpu preset), and measured onnxruntime latency (the network ``cfggen export`` builds, one thread,
the networks' runs interleaved round by round, best and median of ``--runs``). Ratios are against
mobilenetv3-large (exact), measured in the same run.

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

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, hswish in NETS:
            # relu (fixed layers) is import-only in the CLI; its structure is compose's with fixed_ok
            text = compose(name, hswish=hswish, fixed_ok=True).text if hswish else generate(name)
            path = os.path.join(tmp, f"{name}-{hswish}.cfg")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
            net = analyze_text(text, sizes="native").network
            estimate = _estimate(path)
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            session = ort.InferenceSession(to_onnx(path).SerializeToString(), options,
                                           providers=["CPUExecutionProvider"])
            rows.append({"name": f"{name}" + (f" ({hswish})" if hswish else ""), "layers": len(net.layers),
                         "bflops": net.totals.bflops, "params": net.totals.params, "estimate": estimate,
                         "session": session, "times": []})
        x = np.random.default_rng(0).random((1, 3, 224, 224), dtype=np.float32)
        for row in rows:                              # warm-up
            feed = row["session"].get_inputs()[0].name
            row["session"].run(None, {feed: x})
        for _ in range(args.runs):                    # interleaved: load changes hit every network alike
            for row in rows:
                feed = row["session"].get_inputs()[0].name
                t = time.perf_counter()
                row["session"].run(None, {feed: x})
                row["times"].append(time.perf_counter() - t)
    base = rows[0]
    print(f"{'network':<29} {'layers':>6} {'BFLOPs':>7} {'params':>10} {'est. ms':>8} {'best ms':>8} "
          f"{'median ms':>9} {'best/base':>9}")
    for row in rows:
        best, median = min(row["times"]) * 1e3, statistics.median(row["times"]) * 1e3
        print(f"{row['name']:<29} {row['layers']:>6} {row['bflops']:>7.3f} {row['params']:>10,} "
              f"{row['estimate']:>8.2f} {best:>8.2f} {median:>9.2f} {best / (min(base['times']) * 1e3):>9.2f}")
    return 0


def _estimate(path: str) -> float:
    """``cfggen profile``'s estimated ms on the calibrated cpu preset."""
    import json
    import subprocess
    out = subprocess.run([sys.executable, "-m", "cfggen", "profile", "--format", "json", path],
                         capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.path.dirname(HERE)}).stdout
    return float(json.loads(out)["profiles"][0]["totals"]["time_s"]) * 1e3


if __name__ == "__main__":
    sys.exit(main())
