"""Bench: ``weights check``, ``extract`` and ``init`` on a 66 M-parameter network vs plain numpy I/O.

Target: each operation within 2x of moving the same bytes once with numpy, measured in the same run:
  init    vs  ndarray.tofile() of the same number of bytes to a new file
  check   vs  np.fromfile() of the whole file
  extract vs  np.fromfile(count=k) + ndarray.tofile() of the k floats extract writes
Every figure is the best of ``--repeat`` rounds; baseline and operation alternate within a round (and
which goes first alternates between rounds) so both see the same machine state, and pending writes are
flushed (``os.sync``, untimed) before each timed step so no step pays for another's writeback. CPU
seconds (user+system of this process, all threads) are shown too: on a busy machine they say more than
wall time. Outputs go to a temp folder that is deleted at the end.

    python bench/bench_weights.py [--cfg PATH] [--repeat 5] [--strict]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np


def network_cfg(path: str | None, folder: str) -> tuple[str, str]:
    """The cfg to bench: --cfg, else the generated EfficientNet-B7 classifier, else yolov4.cfg."""
    if path:
        return path, os.path.basename(path)
    try:
        from cfggen.generate import generate
        text, name = generate("b7"), "efficientnet-b7 classifier (cfggen.generate)"
    except Exception:  # noqa: BLE001 - the generator is optional here
        shared = os.environ.get("CFGGEN_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
        fallback = os.path.join(shared, "corpus", "darknet", "yolov4.cfg")
        return fallback, "yolov4.cfg (generator not importable)"
    out = os.path.join(folder, "b7.cfg")
    with open(out, "w") as fh:
        fh.write(text)
    return out, name


def timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of fn(), after flushing other writes to disk."""
    os.sync()
    t, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t, time.process_time() - c


def remove(*paths: str) -> None:
    for p in paths:
        if os.path.exists(p):
            os.unlink(p)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cfg", help="cfg to bench (default: the generated EfficientNet-B7 classifier)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--limit", type=float, default=2.0, help="ratio that counts as too slow")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a ratio is over --limit")
    args = ap.parse_args(argv)

    from cfggen.convert import weights as w

    folder = tempfile.mkdtemp(prefix="cfggen-bench-")
    try:
        cfg, name = network_cfg(args.cfg, folder)
        network, _ = w.load_network(cfg)
        floats = network.totals.weights_file_floats
        nbytes = 20 + 4 * floats
        keep = max(i for i, layer in enumerate(network.layers) if layer.records)   # drop the last weighted layer
        kept = w.expected_size(network, upto=keep)
        print(f"network: {name}: {len(network.layers)} layers, {network.totals.params:,} parameters, "
              f"{floats:,} floats in .weights = {nbytes / 2**20:.1f} MiB")
        print(f"extract: layers 0-{keep - 1} = {kept / 2**20:.1f} MiB; {args.repeat} rounds, best of each\n")

        data = np.full(floats, 0.5, dtype=np.float32)          # the baseline's bytes (made once, untimed)
        base, weights, part, copy = (os.path.join(folder, n) for n in
                                     ("base.bin", "net.weights", "part.weights", "copy.bin"))
        times: dict[str, list[tuple[float, float]]] = {k: [] for k in ("write", "init", "read", "check", "copy",
                                                                         "extract", "naive")}
        spans = w.layout(network, mode="save")
        report = None

        def do_check():
            nonlocal report
            report = w.check(weights, network)

        def baseline_copy():
            np.fromfile(base, dtype=np.float32, count=(kept - 20) // 4).tofile(copy)

        def naive_init():
            """Context, not a target: the plain numpy way (float32 uniforms per array, then one write)."""
            rng = np.random.default_rng(1)
            out = np.empty(floats, np.float32)
            at = 0
            for span in spans:
                for a in span.arrays:
                    part = out[at:at + a.count]
                    if a.name == "weights":
                        bound = np.float32(np.sqrt(6.0 / max(1, w._fan_in(network.layers[a.layer], a))))
                        rng.random(out=part, dtype=np.float32)
                        part *= 2 * bound
                        part -= bound
                    else:
                        part[:] = w._CONSTANT[a.name]
                    at += a.count
            with open(copy, "wb") as fh:
                fh.write(w.darknet_header().pack())
                out.tofile(fh)

        steps = {"naive": naive_init, "write": lambda: data.tofile(base), "init": lambda: w.init(network, weights, seed=1),
                 "read": lambda: np.fromfile(base, dtype=np.float32), "check": do_check,
                 "copy": baseline_copy, "extract": lambda: w.extract(weights, network, keep, part)}
        pairs = (("write", "init"), ("read", "check"), ("copy", "extract"), ("naive",))
        for r in range(args.repeat):
            remove(base, weights, part, copy)
            for pair in pairs:
                for key in (pair if r % 2 == 0 else pair[::-1]):
                    if key in ("read", "copy") and not os.path.exists(base):
                        data.tofile(base)
                    if key in ("check", "extract") and not os.path.exists(weights):
                        w.init(network, weights, seed=1)
                    times[key].append(timed(steps[key]))
            assert report is not None and report.fits, report and report.message
            assert os.path.getsize(part) == kept
            remove(copy)
        remove(base, weights, part, copy)

        rows = [("init", "write once (tofile)", "init", "ref_write"),
                ("check", "read once (fromfile)", "check", "ref_read"),
                ("extract", "read+write once", "extract", "ref_copy")]
        rows = [(a, b, c, d.replace("ref_", "")) for a, b, c, d in rows]
        print(f"{'operation':<9} {'best s':>7} {'median':>7} {'cpu s':>6}   {'baseline':<21} {'best s':>7} "
              f"{'median':>7} {'cpu s':>6}  {'ratio':>6} {'cpu ratio':>9}")
        worst = 0.0
        for label, base_label, op, ref in rows:
            wall_op, wall_ref = [t for t, _ in times[op]], [t for t, _ in times[ref]]
            cpu_op, cpu_ref = min(c for _, c in times[op]), min(c for _, c in times[ref])
            ratio = min(wall_op) / min(wall_ref)
            worst = max(worst, ratio)
            print(f"{label:<9} {min(wall_op):>7.3f} {statistics.median(wall_op):>7.3f} {cpu_op:>6.3f}   "
                  f"{base_label:<21} {min(wall_ref):>7.3f} {statistics.median(wall_ref):>7.3f} {cpu_ref:>6.3f}  "
                  f"{ratio:>5.2f}x {cpu_op / cpu_ref:>8.2f}x{'' if ratio <= args.limit else '  SLOW'}")
        naive = min(t for t, _ in times["naive"])
        print(f"context: plain numpy He-init + one write (float32 uniforms) {naive:.3f} s, "
              f"{naive / min(t for t, _ in times['write']):.2f}x the write; cfggen init is "
              f"{min(t for t, _ in times['init']) / naive:.2f}x of it")
        print(f"\n{'ok' if worst <= args.limit else 'over'}: worst wall ratio {worst:.2f}x (limit {args.limit:.1f}x); "
              f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end")
        return 1 if args.strict and worst > args.limit else 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
