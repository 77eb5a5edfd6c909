"""Validation speed, side by side with the fastest peer in the same run.

    python bench/bench_validate.py [--shared ../shared] [--repeat 5]

Prints: the whole corpus validated in one process (native size, and every multi-scale size), the
per-file median, OpenCV DNN's darknet importer loading the same cfgs without weights
(cv2.dnn.readNetFromDarknet, cfg only: graph building, no shape checks), the ratio cfggen / OpenCV,
the cold-start time of `cfggen validate yolov4.cfg` as a fresh process (against `python -c pass`),
and the cost of synthetic cfgs of 1,000 to 10,000 layers (per-layer cost should stay flat).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from cfggen.cfg import parse, read_file  # noqa: E402
from cfggen.lint.engine import analyze  # noqa: E402


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def validate_all(files, sizes):
    for f in files:
        analyze(read_file(str(f)), sizes)


def opencv_load(files):
    import cv2
    ok = 0
    for f in files:
        try:
            cv2.dnn.readNetFromDarknet(str(f))
            ok += 1
        except cv2.error:
            pass
    return ok


def synthetic(n_layers: int) -> str:
    """A YOLO-like chain: conv / conv / shortcut blocks with routes, n_layers sections."""
    out = ["[net]", "width=416", "height=416", "channels=3", "", "[convolutional]", "filters=32", "size=3",
           "pad=1", "batch_normalize=1", "activation=leaky"]
    i = 1
    while i < n_layers:
        for block in (["[convolutional]", "filters=32", "size=1", "activation=leaky"],
                      ["[convolutional]", "filters=32", "size=3", "pad=1", "batch_normalize=1", "activation=mish"],
                      ["[shortcut]", "from=-3", "activation=linear"],
                      ["[route]", "layers=-1,-3"],
                      ["[convolutional]", "filters=32", "size=1", "activation=leaky"]):
            if i >= n_layers:
                break
            out += [""] + block
            i += 1
    return "\n".join(out) + "\n"


def cold_start(cfg: Path, runs: int) -> tuple[float, float]:
    """Median wall time of a fresh process, as a user runs it: with bytecode caches present (an installed
    package has them; a source checkout gets them on the first run unless PYTHONDONTWRITEBYTECODE is set,
    so it is unset here and one warm-up run writes them)."""
    exe = [sys.executable, "-m", "cfggen", "validate", "--native-only", str(cfg)]
    base = [sys.executable, "-c", "pass"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(exe, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=HERE.parent, env=env)

    def median(cmd):
        ts = []
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=HERE.parent, env=env)
            ts.append(time.perf_counter() - t)
        return statistics.median(ts)
    return median(exe), median(base)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(HERE.parent.parent / "shared"))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    corpus = Path(args.shared) / "corpus" / "darknet"
    files = sorted(corpus.rglob("*.cfg"))
    if not files:
        sys.exit(f"no corpus at {corpus}: pass --shared")
    print(f"corpus: {len(files)} cfgs, {sum(f.stat().st_size for f in files) / 1e6:.1f} MB")

    from cfggen.ir.build import infer, plan
    t_shapes = best(lambda: [infer(plan(read_file(str(f)))) for f in files], args.repeat)
    t_native = best(lambda: validate_all(files, "native"), args.repeat)
    t_train = best(lambda: validate_all(files, "training"), args.repeat)
    per_file = []
    for f in files:
        t = time.perf_counter()
        analyze(read_file(str(f)), "native")
        per_file.append(time.perf_counter() - t)
    print(f"cfggen validate, whole corpus, native size:          {t_native * 1e3:8.1f} ms "
          f"(median per file {statistics.median(per_file) * 1e3:.2f} ms)")
    print(f"cfggen validate, whole corpus, every training size:  {t_train * 1e3:8.1f} ms")
    print(f"cfggen read + shape inference only (no rules):       {t_shapes * 1e3:8.1f} ms")
    try:
        import cv2  # noqa: F401
        loaded = opencv_load(files)
        t_cv = best(lambda: opencv_load(files), args.repeat)
        print(f"OpenCV readNetFromDarknet (cfg only), same corpus:   {t_cv * 1e3:8.1f} ms ({loaded} of {len(files)} loaded)")
        print(f"ratio cfggen native / OpenCV:  {t_native / t_cv:.2f}  (goal < 1.0)")
        print(f"ratio cfggen training / OpenCV: {t_train / t_cv:.2f}")
        print(f"ratio cfggen shapes only / OpenCV: {t_shapes / t_cv:.2f}  (OpenCV builds the graph, checks nothing)")
    except ImportError:
        print("OpenCV not installed: pip install 'opencv-python-headless<5' for the side-by-side figure")

    cold, base = cold_start(corpus / "yolov4.cfg", 7)
    print(f"cold start `cfggen validate yolov4.cfg`: {cold * 1e3:.0f} ms "
          f"(python -c pass: {base * 1e3:.0f} ms; ratio {cold / base:.2f})")
    heavy = [m for m in ("numpy", "jinja2") if m in _imported_by_validate()]
    print(f"heavy modules imported by validate: {heavy or 'none'}")

    print("synthetic networks (parse + validate, native size):")
    first = None
    for n in (1000, 2500, 5000, 10000):
        text = synthetic(n)
        t = best(lambda: analyze(parse(text), "native"), 3)
        per = t / n * 1e6
        first = first or per
        print(f"  {n:6d} layers: {t * 1e3:8.1f} ms  {per:6.1f} us/layer  (x{per / first:.2f} of 1,000-layer cost)")


def _imported_by_validate() -> set[str]:
    code = ("import sys, runpy; sys.argv=['cfggen','validate','--help'];\n"
            "from cfggen import cli\nimport cfggen.commands.validate, cfggen.lint.engine, cfggen.report\n"
            "print(' '.join(sorted(m for m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=HERE.parent).stdout
    return set(out.split())


if __name__ == "__main__":
    main()
