"""Bench: does ``cfggen profile``'s estimated time rank networks the way this machine does?

For >= 20 corpus and generated networks at one common input size (default 256x256, batch 1, CPU),
measure the latency of a forward pass and compare ranks (Spearman) with
  - the estimated time of ``cfggen profile`` with the calibrated ``cpu`` preset, and
  - the BFLOPs (the baseline: what darknet prints).
Target: Spearman(estimate, measured) >= 0.9 and > Spearman(BFLOPs, measured). Also: profiling the
whole corpus (estimates only, every cfg darknet builds) in one process, target < 1 s.

Besides the first ``--limit`` corpus and generated networks, the set always holds issue 21's families
(``FAMILIES``: MobileNetV3-Large/Small with the exact hard-swish and ``--hswish approx``, GhostNet,
ShuffleNetV2 1.0x, PeleeNet, MixNet-S), each at the same size; the Spearman figures are printed for the
whole set and for the first ``--limit`` alone (the set the README's earlier figures used).

Latency comes from onnxruntime on the network ``cfggen.export.to_onnx`` exports when that module is
importable, else from OpenCV's darknet importer (``cv2.dnn.readNetFromDarknet``) with weights from
``cfggen weights init``. The cpu preset is calibrated in the same run with the same runtime (with
onnxruntime: also each exp/log/tanh activation's exported subgraph).

    python bench/bench_profile.py [--size 256] [--runs 5] [--max-bflops 25] [--only-corpus-time]
                                  [--no-families] [--json rows.json]
"""
from __future__ import annotations

import argparse
import glob
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
SHARED = os.environ.get("CFGGEN_SHARED", os.path.join(HERE, "..", "..", "shared"))
CORPUS = os.path.join(SHARED, "corpus", "darknet")
GENERATED = os.path.join(HERE, "..", "generated_cfgs")

# layer types OpenCV's importer and a common input size both handle
UNSUPPORTED = {"connected", "local", "detection", "rnn", "gru", "lstm", "crnn", "conv_lstm", "history",
               "cost", "contrastive", "implicit", "gaussian_yolo", "crop", "normalization", "blank"}


# (generated network, --hswish) always in the set, after the --limit others
FAMILIES = (("mobilenetv3-large", "exact"), ("mobilenetv3-large", "approx"), ("mobilenetv3-small", "exact"),
            ("mobilenetv3-small", "approx"), ("ghostnet", "exact"), ("shufflenetv2-x1.0", None),
            ("peleenet", None), ("mixnet-s", None))


def family_cfgs(tmp: str) -> list[str]:
    """FAMILIES written as cfgs into ``tmp`` (named NAME.cfg, NAME-approx.cfg)."""
    from cfggen.generate import generate

    out = []
    for name, hswish in FAMILIES:
        text = generate(name, hswish=hswish)
        path = os.path.join(tmp, f"{name}{'' if hswish in (None, 'exact') else '-' + hswish}.cfg")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        out.append(path)
    return out


def ranks(xs: list[float]) -> list[float]:
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    r = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return r


def spearman(a: list[float], b: list[float]) -> float:
    ra, rb = ranks(a), ranks(b)
    ma, mb = statistics.fmean(ra), statistics.fmean(rb)
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    return cov / (sum((x - ma) ** 2 for x in ra) * sum((y - mb) ** 2 for y in rb)) ** 0.5


def corpus_time() -> None:
    """Estimates for every corpus cfg darknet builds, in this process, against the validator's own
    parse + shape inference of the same files (the baseline, measured in the same run). CPU time is
    shown beside wall time: on a shared machine it is the steadier figure."""
    from cfggen.cfg.parse import read_file
    from cfggen.ir.build import infer, plan
    from cfggen.profile import load
    from cfggen.profile.core import profile
    from cfggen.profile.devices import PRESETS
    from cfggen.profile.memory import inference

    files = sorted(glob.glob(os.path.join(CORPUS, "**", "*.cfg"), recursive=True))
    dev = PRESETS["t4"]

    def timed(fn) -> tuple[float, float, int]:
        best_wall = best_cpu = float("inf")
        for _ in range(3):
            w0, c0 = time.perf_counter(), time.process_time()
            n = fn()
            best_wall = min(best_wall, time.perf_counter() - w0)
            best_cpu = min(best_cpu, time.process_time() - c0)
        return best_wall, best_cpu, n

    def baseline() -> int:
        for f in files:
            infer(plan(read_file(f)))
        return len(files)

    def estimates(with_memory: bool):
        def run() -> int:
            done = 0
            for f in files:
                try:
                    net = load(f)
                except Exception:  # noqa: BLE001 - cfgs darknet cannot build are skipped, as the command reports
                    continue
                profile(net, dev, os.path.basename(f))
                if with_memory:
                    inference(net)
                done += 1
            return done
        return run

    bw, bc, n = timed(baseline)
    ew, ec, done = timed(estimates(False))
    mw, mc, _ = timed(estimates(True))
    print(f"corpus: {len(files)} cfgs, {done} buildable (best of 3)")
    print(f"  parse + infer (validator baseline)   {bw:.3f} s wall  {bc:.3f} s cpu")
    print(f"  profile estimates                    {ew:.3f} s wall  {ec:.3f} s cpu  ({ec / bc:.2f}x the baseline)  "
          f"{'OK' if ew < 1 else 'over'} the 1 s target")
    print(f"  estimates + inference memory         {mw:.3f} s wall  {mc:.3f} s cpu  ({mc / bc:.2f}x the baseline)")


def _qualifying(files: list[str], size: tuple[int, int], max_bflops: float) -> list:
    from cfggen.profile import load

    out = []
    for f in files:
        try:
            net = load(f, size)
        except Exception:  # noqa: BLE001 - not buildable at this size
            continue
        if any(layer.type in UNSUPPORTED for layer in net.layers) or net.channels != 3:
            continue
        if any(layer.conf.get("xnor") for layer in net.layers):
            continue   # neither OpenCV nor ONNX runs bit-packed xnor convs: they would time float convs
        if net.totals.bflops <= max_bflops:
            out.append((f, net))
    return out


def candidates(size: tuple[int, int], max_bflops: float):
    """Corpus and generated networks that qualify, alternating between the two lists."""
    corpus = _qualifying(sorted(glob.glob(os.path.join(CORPUS, "*.cfg"))), size, max_bflops)
    generated = _qualifying(sorted(glob.glob(os.path.join(GENERATED, "*.cfg"))), size, max_bflops)
    n = max(len(corpus), len(generated))
    for i in range(n):
        yield from (lst[i] for lst in (corpus, generated) if i < len(lst))


def _ort_runner(m, path: str, size: tuple[int, int], threads: int):
    """One onnxruntime forward pass of the exported network (no profiling: wall time only)."""
    import numpy as np
    import onnxruntime as ort
    from cfggen.export import to_onnx

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.intra_op_num_threads = threads
    sess = ort.InferenceSession(to_onnx(path, size=size, batch=1).SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    x = np.random.default_rng(0).random([d if isinstance(d, int) else 1 for d in inp.shape], dtype=np.float32)

    def run():
        # one intra-op thread: onnxruntime runs the whole graph on this thread, so its CPU time is the
        # forward pass's own work, without the time other processes held the core (wall time has both)
        t, c = time.perf_counter(), time.thread_time()
        sess.run(None, {inp.name: x})
        return time.perf_counter() - t, [], time.thread_time() - c
    run()
    return run


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--runs", type=int, default=7, help="rounds over all networks")
    ap.add_argument("--max-bflops", type=float, default=12.0)
    ap.add_argument("--limit", type=int, default=32, help="at most this many networks")
    ap.add_argument("--only-corpus-time", action="store_true")
    ap.add_argument("--threads", type=int, default=1, help="runtime threads for calibration and measurement")
    ap.add_argument("--no-families", action="store_true", help="without issue 21's FAMILIES")
    ap.add_argument("--json", metavar="FILE", help="also write the per-network rows to FILE")
    args = ap.parse_args()
    corpus_time()
    if args.only_corpus_time:
        return 0
    from cfggen.profile.core import profile
    from cfggen.profile.devices import cpu_device
    from cfggen.profile import measure as m

    size = (args.size, args.size)
    use_ort = m.export_available()
    backend = "onnxruntime (cfggen.export)" if use_ort else "OpenCV dnn (readNetFromDarknet)"
    # one thread, in calibration and measurement alike: on a shared 2-core machine a second thread's
    # stalls add noise per layer (and darknet's own forward is single-threaded)
    # calibrated afresh in this run (the same machine state as the measurements), then cached
    dev = cpu_device(refresh=True, runtime="onnxruntime" if use_ort else "opencv", threads=args.threads)
    print(f"latency backend: {backend}; cpu preset: {dev.gflops('fp32'):.1f} GFLOP/s, {dev.gbs():.1f} GB/s "
          f"({dev.cache_gbs:.1f} GB/s up to {dev.cache_mb:g} MB), "
          f"{dev.launch_us:.1f} µs per layer, depthwise {dev.depthwise('fp32'):.1f} GFLOP/s, "
          f"exp {dev.exp_gops:.3f} G/s ({dev.source})")
    if dev.activation_ns:
        print("  activations, extra ns per element as onnxruntime runs the exported subgraph: "
              + ", ".join(f"{k} {v:.2f}" for k, v in dev.activation_ns))
    # load every network first, then time them round-robin: a busy spell on the machine then slows
    # one round of every network instead of all the rounds of a few; each network keeps its best round
    import tempfile
    tmp = tempfile.TemporaryDirectory(prefix="cfggen-bench-profile-")
    families = [] if args.no_families else _qualifying(family_cfgs(tmp.name), size, float("inf"))
    family_names = {f for f, _ in families}
    entries = []
    seen = set()
    limited = 0
    for group, limit in ((candidates(size, args.max_bflops), args.limit), (families, None)):
        for f, net in group:
            if limit is not None and len(entries) >= limit:
                break
            key = (len(net.layers), round(net.totals.bflops, 3))
            if key in seen:          # identical networks (e.g. yolov3 vs yolov3-voc at this size) count once
                continue
            seen.add(key)
            try:
                if use_ort:
                    run = _ort_runner(m, f, size, args.threads)
                else:
                    run = m.opencv_runner(f, size, threads=args.threads)[0]
            except Exception as exc:  # noqa: BLE001 - a runtime that rejects a network: report and go on
                print(f"  skip {os.path.basename(f)}: {type(exc).__name__}: {str(exc).splitlines()[0][:100]}")
                continue
            entries.append((os.path.basename(f), net, run))
            limited += f not in family_names
    best = [float("inf")] * len(entries)
    best_cpu = [float("inf")] * len(entries)
    for _ in range(args.runs):
        for i, (_, _, run) in enumerate(entries):
            out = run()
            best[i] = min(best[i], out[0])
            if len(out) > 2:
                best_cpu[i] = min(best_cpu[i], out[2])
    have_cpu = use_ort and args.threads == 1
    rows = []
    for (name, net, _), t, tc in zip(entries, best, best_cpu):
        p = profile(net, dev, name)
        rows.append((name, net.totals.bflops, p.time_s, t, len(net.layers), tc))
        print(f"  {name:<40} {net.totals.bflops:>7.2f} BFLOPs  est {p.time_s * 1e3:>8.2f} ms  "
              f"measured {t * 1e3:>8.2f} ms" + (f" (cpu {tc * 1e3:>8.2f} ms)" if have_cpu else "")
              + f" (best of {args.runs} rounds)  ({len(net.layers)} layers)")
    if args.json:
        import json
        with open(args.json, "w") as fh:
            json.dump([{"name": r[0], "bflops": r[1], "estimate_s": r[2], "wall_s": r[3], "layers": r[4],
                        "cpu_s": r[5] if have_cpu else None, "family": i >= limited}
                       for i, r in enumerate(rows)], fh, indent=1)
    bf = [r[1] for r in rows]
    est = [r[2] for r in rows]
    meas = [r[3] for r in rows]
    s_est, s_bf = spearman(est, meas), spearman(bf, meas)
    print(f"\n{len(rows)} networks at {size[0]}x{size[1]}, batch 1")
    print(f"Spearman(estimated time, measured) = {s_est:.3f}   (target >= 0.9)")
    print(f"Spearman(BFLOPs, measured)         = {s_bf:.3f}   (baseline; estimate must beat it)")
    if have_cpu:
        cpu = [r[5] for r in rows]
        print(f"with the forward pass's CPU time instead of wall time (steadier on a shared machine): "
              f"estimate {spearman(est, cpu):.3f}, BFLOPs {spearman(bf, cpu):.3f}")
    if limited < len(rows):
        first = slice(0, limited)
        line = (f"the first {limited} alone (without the families): estimate {spearman(est[first], meas[first]):.3f}, "
                f"BFLOPs {spearman(bf[first], meas[first]):.3f}")
        if have_cpu:
            line += (f"; CPU time: estimate {spearman(est[first], cpu[first]):.3f}, "
                     f"BFLOPs {spearman(bf[first], cpu[first]):.3f}")
        print(line)
    re, rm = ranks(est), ranks(meas)
    worst = sorted(range(len(rows)), key=lambda i: -abs(re[i] - rm[i]))[:5]
    print("worst-ranked networks (estimated rank vs measured wall-time rank, est/measured time):")
    for i in worst:
        print(f"  {rows[i][0]:<40} rank {re[i]:>4.0f} vs {rm[i]:>4.0f}   {est[i] / meas[i]:.2f}x")
    ok = s_est >= 0.9 and s_est > s_bf
    print("result:", "OK" if ok else "target missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
