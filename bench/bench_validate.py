"""Validation speed, side by side with the fastest peer in the same run (issue #14 goals).

    python bench/bench_validate.py [--shared ../shared] [--repeat 15]

The machine is shared: every A/B pair is measured alternately and the best of ``--repeat`` runs is
kept for each side, so the ratios are what to read (the in-process pair also gives the median of its
per-round ratios, the steadier figure when the load changes during the run). Prints:
  * the corpus in one process, all rules, the cfg's own size and every training size, against
    OpenCV DNN's darknet importer loading the same cfgs in-process (cv2.dnn.readNetFromDarknet,
    cfg only: graph building, no checks)                                   goal: ratio <= 1.0
  * the JSON report of the corpus (formatting only, measured separately)
  * the whole `cfggen validate --format json CORPUS` process (default --jobs) against a Python
    process importing cv2 and loading the corpus                          goal: ratio <= 0.8
  * a cold single-file run against `python -c pass`                       goal: <= +60 ms
  * `--sizes` for yolov4 over 32..2048                                     goal: < 0.5 s
  * synthetic cfgs of 1,000 to 10,000 layers                               goal: flat per-layer cost
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


def best(fn, repeat: int, clock=time.perf_counter) -> float:
    times = []
    for _ in range(repeat):
        t = clock()
        fn()
        times.append(clock() - t)
    return min(times)


def pair(fa, fb, repeat: int) -> tuple[float, float, float]:
    """Best-of times of two functions measured alternately (load on a shared machine hits both alike),
    and the median of the per-round ratios a/b (each round's two runs are next to each other in time)."""
    ta, tb = [], []
    for _ in range(repeat):
        for fn, ts in ((fa, ta), (fb, tb)):
            t = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t)
    return min(ta), min(tb), statistics.median(a / b for a, b in zip(ta, tb))


def process(cmd: list[str]):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return lambda: subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=HERE.parent, env=env)


OPENCV_PROCESS = """import sys, glob, cv2
for f in sorted(glob.glob(sys.argv[1] + '/**/*.cfg', recursive=True)):
    try:
        cv2.dnn.readNetFromDarknet(f)
    except cv2.error:
        pass
"""


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
    """Median wall time of a fresh process, as a user runs it (every check, every training size), with
    bytecode caches present (an installed package has them; a source checkout gets them on the first
    run unless PYTHONDONTWRITEBYTECODE is set, so it is unset here and one warm-up run writes them).
    The two commands alternate, so load on a shared machine hits both alike."""
    exe = process([sys.executable, "-m", "cfggen", "validate", str(cfg)])
    base = process([sys.executable, "-c", "pass"])
    exe()
    te, tb = [], []
    for _ in range(runs):
        for fn, ts in ((exe, te), (base, tb)):
            t = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t)
    return statistics.median(te), statistics.median(tb)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(HERE.parent.parent / "shared"))
    ap.add_argument("--repeat", type=int, default=15, help="runs per figure; each figure is the best of them")
    args = ap.parse_args()
    corpus = Path(args.shared) / "corpus" / "darknet"
    files = sorted(corpus.rglob("*.cfg"))
    if not files:
        sys.exit(f"no corpus at {corpus}: pass --shared")
    print(f"corpus: {len(files)} cfgs, {sum(f.stat().st_size for f in files) / 1e6:.1f} MB")

    from cfggen.ir.build import infer, plan
    t_shapes = best(lambda: [infer(plan(read_file(str(f)))) for f in files], args.repeat)
    t_native = best(lambda: validate_all(files, "native"), args.repeat)
    per_file = []
    for f in files:
        t = time.perf_counter()
        analyze(read_file(str(f)), "native")
        per_file.append(time.perf_counter() - t)
    print(f"cfggen validate, whole corpus, native size:          {t_native * 1e3:8.1f} ms "
          f"(median per file {statistics.median(per_file) * 1e3:.2f} ms)")
    print(f"cfggen read + shape inference only (no rules):       {t_shapes * 1e3:8.1f} ms")
    try:
        import cv2  # noqa: F401
    except ImportError:
        sys.exit("OpenCV not installed: pip install 'opencv-python-headless<5' for the side-by-side figures")
    loaded = opencv_load(files)
    t_train, t_cv, paired = pair(lambda: validate_all(files, "training"), lambda: opencv_load(files), args.repeat)
    print(f"cfggen validate, whole corpus, every training size:  {t_train * 1e3:8.1f} ms")
    print(f"OpenCV readNetFromDarknet (cfg only), same corpus:   {t_cv * 1e3:8.1f} ms ({loaded} of {len(files)} loaded)")
    print(f"ratio in-process, all rules, every training size / OpenCV: {t_train / t_cv:.2f}  (goal <= 1.0; "
          f"median of the {args.repeat} paired rounds {paired:.2f})")
    print(f"ratio cfggen native / OpenCV:  {t_native / t_cv:.2f}")
    print(f"ratio cfggen shapes only / OpenCV: {t_shapes / t_cv:.2f}  (OpenCV builds the graph, checks nothing)")

    from cfggen.report import Report, format_json
    report = Report([analyze(read_file(str(f)), "training") for f in files])
    t_json = best(lambda: format_json(report), args.repeat)
    print(f"JSON report of the corpus (formatting only):         {t_json * 1e3:8.1f} ms "
          f"({len(format_json(report)) / 1e6:.1f} MB)")

    cf = process([sys.executable, "-m", "cfggen", "validate", "--format", "json", str(corpus)])
    cv = process([sys.executable, "-c", OPENCV_PROCESS, str(corpus)])
    cf()
    t_proc, t_cvproc, _ = pair(cf, cv, args.repeat)
    print(f"process `cfggen validate --format json CORPUS`: {t_proc * 1e3:.0f} ms; OpenCV process: "
          f"{t_cvproc * 1e3:.0f} ms; ratio {t_proc / t_cvproc:.2f}  (goal <= 0.8, {os.cpu_count()} cores)")
    cf1 = process([sys.executable, "-m", "cfggen", "validate", "--jobs", "1", "--format", "json", str(corpus)])
    t_proc1 = best(cf1, args.repeat)
    print(f"  the same with --jobs 1: {t_proc1 * 1e3:.0f} ms; ratio {t_proc1 / t_cvproc:.2f}")

    cold, base = cold_start(corpus / "yolov4.cfg", 7)
    print(f"cold start `cfggen validate yolov4.cfg`: {cold * 1e3:.0f} ms "
          f"(python -c pass: {base * 1e3:.0f} ms; +{(cold - base) * 1e3:.0f} ms, goal <= +60 ms)")
    heavy = [m for m in ("numpy", "jinja2") if m in _imported_by_validate()]
    print(f"heavy modules imported by validate: {heavy or 'none'}")

    from cfggen.sizes_report import valid_sizes_text
    yolo = analyze(read_file(str(corpus / "yolov4.cfg")), "native")
    t_sizes = best(lambda: valid_sizes_text(yolo, (32, 2048), False), args.repeat)
    print(f"--sizes yolov4.cfg over 32..2048: {t_sizes * 1e3:.1f} ms (goal < 500 ms)")

    print("synthetic networks (parse + validate, native size; CPU time, steadier than wall time on a shared machine):")
    first = None
    for n in (1000, 2500, 5000, 10000):
        text = synthetic(n)
        t = best(lambda: analyze(parse(text), "native"), 3, clock=time.process_time)
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
