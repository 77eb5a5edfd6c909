"""Cost of ``validate --data`` on a large dataset against a pure read of the same files.

    python bench/bench_dataset.py [--images 118287] [--boxes 860001] [--repeat 3] [--keep DIR]

Writes a COCO-sized synthetic dataset into a temporary folder (default: 118,287 images, empty image
files; one label file each, 860,001 boxes in all, a few hundred of them wrong in the ways the checks
report), then measures, best of --repeat, wall time (the work runs in forked processes too):

* ``read``: the least any checker must do, in plain Python: stat every image and read every label
  file's bytes (no parsing);
* ``validate -j1`` and ``validate -j2``: ``cfggen validate --data obj.data yolo.cfg --format json``
  through the real command (``cli.main``, in this process; the report goes to a temporary file).

Prints wall and CPU time (this process and its reaped children) and their ratios to ``read``.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from cfggen.cli import main  # noqa: E402

CFG = """[net]
width=416
height=416
channels=3
mosaic=0

[convolutional]
filters=255
size=1
activation=leaky

[yolo]
mask=0,1,2
anchors=10,13,16,30,33,23
num=3
classes=80
"""


def make(root: Path, images: int, boxes: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    img = root / "images" / "train2017"
    lab = root / "labels" / "train2017"
    img.mkdir(parents=True)
    lab.mkdir(parents=True)
    per = [boxes // images + (1 if k < boxes % images else 0) for k in range(images)]
    lines = []
    for k in range(images):
        name = f"{k:012d}"
        (img / f"{name}.jpg").write_bytes(b"")
        rows = []
        for _ in range(per[k]):
            w, h = rng.uniform(0.01, 0.6), rng.uniform(0.01, 0.6)
            x, y = rng.uniform(w / 2, 1 - w / 2), rng.uniform(h / 2, 1 - h / 2)
            rows.append(f"{rng.randrange(80)} {x:.6f} {y:.6f} {w:.6f} {h:.6f}")
        if k % 997 == 1:
            rows.append(f"{80 + k % 3} 0.5 0.5 0.1 0.1")     # class out of range
        if k % 1999 == 2:
            rows.append("0 0.5 0.5 0.1")                      # a short line: the rest is shifted
        (lab / f"{name}.txt").write_text("\n".join(rows) + "\n")
        lines.append(f"{img}/{name}.jpg")
    (root / "train.txt").write_text("\n".join(lines) + "\n")
    (root / "obj.names").write_text("".join(f"c{k}\n" for k in range(80)))
    (root / "backup").mkdir()
    (root / "obj.data").write_text(f"classes=80\ntrain={root}/train.txt\nvalid={root}/train.txt\n"
                                   f"names={root}/obj.names\nbackup={root}/backup/\n")
    (root / "yolo.cfg").write_text(CFG)


def pure_read(root: Path) -> None:
    for line in (root / "train.txt").read_bytes().split(b"\n"):
        if not line:
            continue
        os.stat(line)
        with open(line.replace(b"/images/train2017/", b"/labels/train2017/")[:-4] + b".txt", "rb") as fh:
            fh.read()


def validate(root: Path, jobs: int, out: str) -> None:
    try:
        main(["validate", "--data", str(root / "obj.data"), str(root / "yolo.cfg"), "--format", "json",
              "-o", out, "-j", str(jobs)])
    except SystemExit:
        pass


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed(fn) -> tuple[float, float]:
    """(wall, CPU) seconds; CPU counts this process and its reaped children (the -j workers): steadier
    than wall time on a shared machine, and the honest cost of the work."""
    t, c = time.perf_counter(), _cpu()
    fn()
    return time.perf_counter() - t, _cpu() - c


def main_() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=118287)
    ap.add_argument("--boxes", type=int, default=860001)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", help="build (or reuse) the dataset in this folder instead of a temporary one")
    args = ap.parse_args()
    tmp = None
    if args.keep:
        root = Path(args.keep).resolve()
        if not (root / "obj.data").exists():
            root.mkdir(parents=True, exist_ok=True)
            make(root, args.images, args.boxes)
    else:
        tmp = tempfile.mkdtemp(prefix="cfggen-bench-dataset-")
        root = Path(tmp)
        t = time.perf_counter()
        make(root, args.images, args.boxes)
        print(f"dataset: {args.images} images, {args.boxes} boxes, written in {time.perf_counter() - t:.1f} s")
    out = str(root / "report.json")
    try:
        variants = {"read": lambda: pure_read(root), "validate -j1": lambda: validate(root, 1, out),
                    "validate -j2": lambda: validate(root, 2, out)}
        times = {k: [] for k in variants}
        for _ in range(args.repeat):
            for k, fn in variants.items():   # turns: a busy spell hurts every variant alike
                times[k].append(timed(fn))
        wall = {k: min(w for w, _ in ts) for k, ts in times.items()}
        cpu = {k: min(c for _, c in ts) for k, ts in times.items()}
        print(f"{'':14s} {'wall':>8s} {'ratio':>7s} {'CPU':>8s} {'ratio':>7s}   (best of {args.repeat})")
        for k in times:
            print(f"{k:14s} {wall[k]:7.2f}s {wall[k] / wall['read']:6.2f}x {cpu[k]:7.2f}s "
                  f"{cpu[k] / cpu['read']:6.2f}x")
        size = os.path.getsize(out)
        print(f"report: {size} bytes")
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main_()
