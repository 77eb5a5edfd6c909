"""A faithful re-implementation of darknet's ``detector calc_anchors`` clustering (the baseline to beat).

Reference §13.7: glibc ``srand``/``rand``, a Fisher-Yates shuffle of the box indices whose first K
entries are the initial centres, then Lloyd's loop with ``1 - IoU`` (float32, ties to the lowest index,
a NaN distance never wins) and float32 means summed box by box (an empty cluster, or a mean of exactly
0, keeps its old value), at most 1000 updates; K = 1 does one update first. Centres are then sorted by
float32 area (glibc's qsort is a merge sort: stable). ``avg_iou_loop`` is the report's average-IoU
loop written out scalar by scalar, independent of ``cfggen.dataset.anchors``.

Used by ``tests/test_anchors.py`` and ``bench/bench_anchors.py``; not part of cfggen.
"""
from __future__ import annotations

import numpy as np

F32 = np.float32


class GlibcRand:
    """glibc's ``rand()`` after ``srand(seed)`` (the TYPE_3 additive feedback generator)."""

    def __init__(self, seed: int):
        seed &= 0xFFFFFFFF
        if seed == 0:
            seed = 1
        r = [seed if seed < 2 ** 31 else seed - 2 ** 32]
        for i in range(1, 31):
            prev = r[i - 1]
            hi = int(prev / 127773)            # C division truncates toward zero
            lo = prev - hi * 127773
            word = 16807 * lo - 2836 * hi
            if word < 0:
                word += 2147483647
            r.append(word)
        r = [x & 0xFFFFFFFF for x in r]
        for i in range(31, 34):
            r.append(r[i - 31])
        for i in range(34, 344):
            r.append((r[i - 31] + r[i - 3]) & 0xFFFFFFFF)
        self.r = r[-34:]          # enough history: r[i-31] and r[i-3]

    def __call__(self) -> int:
        r = self.r
        v = (r[-31] + r[-3]) & 0xFFFFFFFF
        r.append(v)
        del r[0]
        return v >> 1


def shuffled_indices(n: int, rand: GlibcRand) -> list[int]:
    """matrix.c ``sample``: for i = n-1 .. 0 swap s[i] with s[rand() % (i+1)]."""
    s = list(range(n))
    for i in range(n - 1, -1, -1):
        j = rand() % (i + 1)
        s[i], s[j] = s[j], s[i]
    return s


def _dist(data: np.ndarray, centres: np.ndarray) -> np.ndarray:
    bw, bh = data[:, 0:1], data[:, 1:2]
    cw, ch = centres[:, 0], centres[:, 1]
    inter = np.minimum(bw, cw) * np.minimum(bh, ch)
    with np.errstate(divide="ignore", invalid="ignore"):
        return F32(1) - inter / ((bw * bh + cw * ch) - inter)


def _expectation(data, centres):
    d = _dist(data, centres)
    idx = np.argmin(np.where(np.isnan(d), np.inf, d), axis=1)
    return np.where(np.isnan(d[:, 0]), 0, idx)     # best_dist starts as centre 0's: NaN never improves


def _maximization(data, assign, centres):
    old = centres.copy()
    new = np.zeros_like(centres)
    for c in range(len(centres)):
        members = data[assign == c]
        if len(members):
            sums = np.cumsum(members, axis=0, dtype=F32)[-1]
            new[c] = sums / F32(len(members))
    new = np.where(new == 0, old, new)
    return new.astype(F32)


def do_kmeans(data: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, int]:
    """(centres in darknet's sorted order, iterations printed). ``data``: float32 (n, 2)."""
    data = data.astype(F32)
    n = len(data)
    if k > n:
        raise ValueError("darknet reads past its index array here (segfault)")
    s = shuffled_indices(n, GlibcRand(seed))
    centres = data[s[:k]].copy()
    assign = np.zeros(n, dtype=np.int64)
    if k == 1:
        centres = _maximization(data, assign, centres)
    i = 0
    while i < 1000:
        new_assign = _expectation(data, centres)
        converged = np.array_equal(new_assign, assign)
        assign = new_assign
        if converged:
            break
        centres = _maximization(data, assign, centres)
        i += 1
    area = centres[:, 0] * centres[:, 1]
    return centres[np.argsort(area, kind="stable")], i


def boxes_from_relative(rel_wh: np.ndarray, width: int, height: int) -> np.ndarray:
    """``truth.w * width`` as darknet computes it: a float32 times an int, in float32."""
    rel = rel_wh.astype(F32)
    return np.stack([rel[:, 0] * F32(width), rel[:, 1] * F32(height)], axis=1)


def avg_iou_loop(boxes, anchors) -> float:
    """calc_anchors' report loop, one float32 operation at a time."""
    total = F32(0)
    for bw, bh in boxes.astype(F32):
        idx, min_dist, best = 0, F32(np.finfo(np.float32).max), F32(0)
        for j, (aw, ah) in enumerate(anchors.astype(F32)):
            mw = bw if bw < aw else aw
            mh = bh if bh < ah else ah
            inter = F32(mw * mh)
            union = F32(F32(bw * bh) + F32(aw * ah)) - inter
            with np.errstate(divide="ignore", invalid="ignore"):
                iou = F32(inter / union)
            d = F32(F32(1) - iou)
            if d < min_dist:
                min_dist, idx, best = d, j, iou
        if not (best > 1 or best < 0):
            total = F32(total + best)
    return float(F32(F32(100) * total) / F32(len(boxes)))
