"""`cfggen anchors` on a COCO-sized label set, and its average IoU against darknet's single start.

1. Speed: a synthetic COCO-sized training set (--files label files, ~7.3 boxes each: ~860k boxes in
   ~118k files by default, some files empty) is written to a temporary folder (deleted afterwards).
   Timed, warm page cache, best of --rounds:
     baseline  a pure read: open + read every label file of the list (Python, one pass);
     read      cfggen's reading of the same files as darknet reads them (``read_train_boxes``);
     anchors   the whole `cfggen anchors DATA --size 416x416 --format json` as a subprocess.
   Printed: each time and its ratio to the baseline.
2. Quality: on synthetic box sets (--boxes boxes each, three shapes of distribution), the average
   IoU darknet would print for darknet's own single-start k-means (``tests/darknet_kmeans.py``, glibc
   rand seeded like srand(seed)) and for `cfggen anchors` (--seed seed), seeds 1..--seeds; the medians,
   and the median of the per-seed differences. --coco-seeds N also runs darknet's k-means on the
   COCO-sized set itself (slow: the shuffle is a Python loop over every box).

Run: python bench/bench_anchors.py [--files 118287] [--rounds 3] [--seeds 7] [--boxes 20000]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "tests"))

from cfggen.dataset import anchors as A  # noqa: E402
from cfggen.dataset.autoanchor import format_anchors  # noqa: E402
from cfggen.dataset.trainboxes import read_train_boxes  # noqa: E402
from cfggen.dataset.files import label_path, read_list  # noqa: E402
from darknet_kmeans import boxes_from_relative, do_kmeans  # noqa: E402


def coco_like(n: int, rng) -> np.ndarray:
    """Relative (w, h): log-normal sizes (many small objects), log-normal aspect ratios."""
    size = np.exp(rng.normal(-2.0, 1.0, n))
    ar = np.exp(rng.normal(0.0, 0.55, n))
    return np.clip(np.stack([size * np.sqrt(ar), size / np.sqrt(ar)], axis=1), 0.002, 1.0)


def bimodal(n: int, rng) -> np.ndarray:
    small = coco_like(n // 2, rng) * 0.3
    large = np.clip(coco_like(n - n // 2, rng) * 3, 0.002, 1.0)
    return np.clip(np.concatenate([small, large]), 0.002, 1.0)


def elongated(n: int, rng) -> np.ndarray:
    size = np.exp(rng.normal(-2.2, 0.7, n))
    ar = np.exp(rng.choice([-1.2, 0.0, 1.2], n) + rng.normal(0, 0.2, n))
    return np.clip(np.stack([size * np.sqrt(ar), size / np.sqrt(ar)], axis=1), 0.002, 1.0)


def write_dataset(root: str, files: int, rng) -> tuple[str, int]:
    """obj.data + train.txt + ``files`` label files under root/images/train2017 -> labels/train2017."""
    img_dir = os.path.join(root, "images", "train2017")
    lab_dir = os.path.join(root, "labels", "train2017")
    os.makedirs(img_dir)
    os.makedirs(lab_dir)
    counts = rng.poisson(7.3, files)
    counts[rng.random(files) < 0.01] = 0                  # COCO has about 1% images without objects
    total = int(counts.sum())
    rel = coco_like(total, rng)
    xy = rng.uniform(0.05, 0.95, (total, 2))
    cls = rng.integers(0, 80, total)
    lines = [f"{c} {x:.6f} {y:.6f} {w:.6f} {h:.6f}\n" for c, (x, y), (w, h) in zip(cls, xy, rel)]
    entries = []
    at = 0
    for i, c in enumerate(counts):
        name = f"{i:012d}"
        with open(os.path.join(lab_dir, name + ".txt"), "w") as fh:
            fh.write("".join(lines[at:at + c]))
        at += c
        entries.append(os.path.join(img_dir, name + ".jpg"))
    train = os.path.join(root, "train.txt")
    with open(train, "w") as fh:
        fh.write("".join(e + "\n" for e in entries))
    data = os.path.join(root, "obj.data")
    with open(data, "w") as fh:
        fh.write(f"classes=80\ntrain={train}\nnames={root}/coco.names\nbackup={root}\n")
    return data, total


def best_of(rounds: int, fn):
    best = float("inf")
    value = None
    for _ in range(rounds):
        t = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t)
    return best, value


def pure_read(train: str) -> int:
    """The baseline: read every label file's bytes, nothing else (the list read and mapped first)."""
    total = 0
    for e in read_list(train):
        with open(label_path(e.path), "rb") as fh:
            total += len(fh.read())
    return total


def speed(args) -> str:
    rng = np.random.default_rng(2026)
    root = tempfile.mkdtemp(prefix="cfggen-bench-anchors-")
    try:
        t = time.perf_counter()
        data, total = write_dataset(root, args.files, rng)
        print(f"wrote {args.files} label files, {total} boxes in {time.perf_counter() - t:.1f} s ({root})")
        train = os.path.join(root, "train.txt")
        pure_read(train)                                        # warm the page cache
        t_base, nbytes = best_of(args.rounds, lambda: pure_read(train))
        t_read, tb = best_of(args.rounds, lambda: read_train_boxes(data))
        assert len(tb.wh) == total
        cmd = [sys.executable, "-m", "cfggen", "anchors", data, "--size", "416x416", "--format", "json"]
        env = dict(os.environ, PYTHONPATH=REPO)

        def run():
            out = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if out.returncode:
                raise SystemExit(out.stderr)
            return out.stdout
        t_all, out = best_of(args.rounds, run)
        px = tb.pixels(416, 416)
        t_search, res = best_of(1, lambda: A.search(px, 9, np.random.default_rng(0), width=416))
        lines = [
            f"COCO-sized set: {args.files} label files, {total} boxes, {nbytes / 1e6:.1f} MB (best of {args.rounds})",
            f"  baseline pure read (open+read every file) {t_base:7.2f} s   1.00x",
            f"  cfggen read as darknet reads             {t_read:7.2f} s   {t_read / t_base:.2f}x",
            f"  search alone (in process)                {t_search:7.2f} s   {t_search / t_base:.2f}x",
            f"  `cfggen anchors` whole command           {t_all:7.2f} s   {t_all / t_base:.2f}x",
            f"  anchors {format_anchors(res.anchors, 416)}, "
            f"avg IoU {res.avg_iou.printed} %",
        ]
        if args.coco_seeds:
            dk = []
            for seed in range(1, args.coco_seeds + 1):
                dk.append(A.darknet_avg_iou(px, do_kmeans(px, 9, seed)[0]).percent)
            lines.append(f"  darknet single start on this set, seeds 1..{args.coco_seeds}: median "
                         f"{statistics.median(dk):.2f} % (runs {', '.join(f'{v:.2f}' for v in dk)}); "
                         f"cfggen {res.avg_iou.printed} %")
        return "\n".join(lines)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def quality(args) -> str:
    lines = [f"average IoU (darknet's figure), cfggen vs darknet's single-start k-means, {args.boxes} boxes, "
             f"9 anchors at 416x416, seeds 1..{args.seeds}:"]
    for k, (name, gen) in enumerate((("coco-like", coco_like), ("bimodal", bimodal), ("elongated", elongated))):
        rel = gen(args.boxes, np.random.default_rng(100 + k))
        px = boxes_from_relative(rel.round(6), 416, 416)
        dk, ours = [], []
        for seed in range(1, args.seeds + 1):
            dk.append(A.darknet_avg_iou(px, do_kmeans(px, 9, seed)[0]).percent)
            ours.append(A.search(px, 9, np.random.default_rng(seed), width=416).avg_iou.percent)
        diff = statistics.median(o - d for o, d in zip(ours, dk))
        lines.append(f"  {name:10s} darknet median {statistics.median(dk):6.2f} % (min {min(dk):.2f}, max "
                     f"{max(dk):.2f})   cfggen median {statistics.median(ours):6.2f} % (min {min(ours):.2f})   "
                     f"median gain {diff:+.2f} points, cfggen >= darknet in {sum(o >= d for o, d in zip(ours, dk))}"
                     f"/{len(dk)} seeds")
    return "\n".join(lines)


def main() -> None:
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))     # a killed run still deletes its temp folder
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=118_287)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seeds", type=int, default=7)
    ap.add_argument("--boxes", type=int, default=20_000)
    ap.add_argument("--coco-seeds", type=int, default=0)
    ap.add_argument("--skip-speed", action="store_true")
    args = ap.parse_args()
    if not args.skip_speed:
        print(speed(args), flush=True)
    print(quality(args))


if __name__ == "__main__":
    main()
