"""Bench: ``cfggen import`` of an EfficientNet-B7 (66 M parameters) from ``.safetensors``.

Goals, measured in the same run:
  time      import  vs  reading the checkpoint once + writing the same bytes with numpy   (<= 2x)
  peak RSS  import  vs  the checkpoint's size on disk                                     (<= 2.5x)

The checkpoint is a random-init B7 state dict in timm/geffnet naming, written with safetensors' numpy
API (no torch needed). Times are the best of ``--repeat`` rounds, baseline and import alternating, with
pending writes flushed (``os.sync``, untimed) before each timed step; CPU seconds are shown too (on a
busy machine they say more than wall time). Peak RSS is each job's own peak in a fresh
subprocess (its VmHWM; Python, numpy and safetensors included: what a user's process holds). Outputs go
to a temp folder that is deleted at the end.

    python bench/bench_import.py [--variant b7] [--repeat 5] [--strict]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_checkpoint(path: str, variant: str) -> int:
    """A random-init timm-named state dict of ``variant``; returns its tensor count."""
    from safetensors.numpy import save_file

    from cfggen.convert.efficientnet import NAMINGS, plan_convs, scaled

    backbone, head = plan_convs(NAMINGS["timm"], scaled(variant), 1000)
    rng = np.random.default_rng(0)
    state: dict[str, np.ndarray] = {}
    for conv in backbone + head:
        for name, shape in conv.tensors():
            shape = tuple(1000 if d == -1 else d for d in shape)
            if name.endswith("running_var"):
                state[name] = rng.uniform(0.5, 2.0, shape).astype(np.float32)
            else:
                state[name] = (rng.standard_normal(shape, dtype=np.float32) * np.float32(0.05))
    save_file(state, path)
    return len(state)


BASELINE = """
import sys
from safetensors import safe_open
with safe_open(sys.argv[1], framework="numpy") as f, open(sys.argv[2], "wb") as out:
    for key in f.keys():
        f.get_tensor(key).tofile(out)
"""

IMPORT = """
import sys
from cfggen.convert.efficientnet import import_checkpoint
import_checkpoint(sys.argv[1], sys.argv[2], measure=False)
"""

# VmHWM (the peak of this process image), not ru_maxrss: Linux carries ru_maxrss across exec, so a
# child forked from this bench (which holds the checkpoint it just wrote) would report the bench's peak
RSS = """
import json, resource, sys
job = sys.argv[1]
sys.argv = sys.argv[1:]
exec(compile(open(job).read(), job, "exec"), {"__name__": "__main__"})
try:
    with open("/proc/self/status") as fh:
        kib = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
except OSError:
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(kib))
"""


def baseline(src: str, dst: str) -> None:
    from safetensors import safe_open

    with safe_open(src, framework="numpy") as f, open(dst, "wb") as out:
        for key in f.keys():
            f.get_tensor(key).tofile(out)


def timed(fn, outputs=()) -> tuple[float, float]:
    """(wall, CPU) seconds of fn(), its previous outputs deleted and pending writes flushed first
    (untimed): both jobs then write a new file, neither pays for freeing the last round's."""
    for path in outputs:
        if os.path.exists(path):
            os.unlink(path)
    os.sync()
    t, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t, time.process_time() - c


def peak_rss(folder: str, script: str, *args: str) -> int:
    """Peak resident set (bytes) of ``script`` run alone in a fresh interpreter."""
    job = os.path.join(folder, "job.py")
    with open(job, "w") as fh:
        fh.write(script)
    runner = os.path.join(folder, "rss.py")
    with open(runner, "w") as fh:
        fh.write(RSS)
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, runner, job, *args], check=True, capture_output=True, text=True,
                         env=env)
    return int(json.loads(out.stdout.strip().splitlines()[-1])) * 1024     # Linux: KiB


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", default="b7")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    args = ap.parse_args(argv)
    sys.path.insert(0, REPO)
    from cfggen.convert.efficientnet import import_checkpoint

    folder = tempfile.mkdtemp(prefix="cfggen-bench-import-")
    try:
        ckpt = os.path.join(folder, f"efficientnet_{args.variant}.safetensors")
        tensors = make_checkpoint(ckpt, args.variant)
        size = os.path.getsize(ckpt)
        print(f"checkpoint: efficientnet-{args.variant}, timm naming, {tensors} tensors, "
              f"{size / 2**20:.1f} MiB (.safetensors)")
        best = {"baseline": (1e9, 1e9), "import": (1e9, 1e9)}
        copy, out = os.path.join(folder, "copy.bin"), os.path.join(folder, "out")
        jobs = {"baseline": (lambda: baseline(ckpt, copy), (copy,)),
                "import": (lambda: import_checkpoint(ckpt, out, measure=False), (out + ".cfg", out + ".weights"))}
        for r in range(args.repeat):
            order = ("baseline", "import") if r % 2 == 0 else ("import", "baseline")
            for name in order:
                wall, cpu = timed(*jobs[name])
                best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
        out_size = os.path.getsize(os.path.join(folder, "out.weights"))
        print(f"output: {out_size / 2**20:.1f} MiB .weights; best of {args.repeat} rounds\n")
        print(f"{'job':<34} {'wall s':>8} {'CPU s':>8}")
        print(f"{'baseline: read once + numpy write':<34} {best['baseline'][0]:>8.2f} {best['baseline'][1]:>8.2f}")
        print(f"{'cfggen import':<34} {best['import'][0]:>8.2f} {best['import'][1]:>8.2f}")
        ratio = best["import"][0] / best["baseline"][0]
        cpu_ratio = best["import"][1] / max(best["baseline"][1], 1e-9)
        print(f"{'ratio':<34} {ratio:>7.2f}x {cpu_ratio:>7.2f}x   (goal <= 2x)\n")

        rss_import = peak_rss(folder, IMPORT, ckpt, os.path.join(folder, "rss-out"))
        rss_base = peak_rss(folder, BASELINE, ckpt, os.path.join(folder, "rss-copy.bin"))
        print(f"{'peak RSS':<34} {'MiB':>8} {'x ckpt':>8}")
        print(f"{'baseline (context)':<34} {rss_base / 2**20:>8.1f} {rss_base / size:>7.2f}x")
        print(f"{'cfggen import':<34} {rss_import / 2**20:>8.1f} {rss_import / size:>7.2f}x   (goal <= 2.5x)")
        ok = ratio <= 2.0 and rss_import / size <= 2.5
        print("\nall goals met" if ok else "\ngoal missed")
        return 0 if ok or not args.strict else 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
