"""Anchors from label boxes: darknet's yardstick, Ultralytics' yardstick, and a better search.

Boxes are ``(w, h)`` pairs in network-input pixels, float32 as darknet's ``calc_anchors`` makes them
(``w_rel * width``, reference §13.7). Two figures are reported for any anchor set:

* darknet's **average IoU** (``darknet_avg_iou``): every box against its nearest anchor by
  ``1 - IoU`` of the two rectangles at a common corner, ties to the lowest index, float32 throughout,
  summed one box at a time in float32, an IoU outside [0, 1] left out of the sum but kept in the
  divisor, ``100 * sum / boxes`` in float32 — what ``avg IoU = %2.2f %`` prints;
* Ultralytics' **BPR** and **AAT** at a ratio threshold ``thr`` (``ratio_metrics``): a box fits an anchor
  when the smallest of w/aw, aw/w, h/ah, ah/h exceeds ``1/thr`` (yolov5 ``utils/autoanchor.py``).

The search (``search``) maximises one named objective, the average IoU: ``starts`` k-means runs with
darknet's distance and update (random boxes as darknet starts, alternating with k-means++ seeding by
the same distance), the best ``CLIMBS`` of them each climbed by yolov5's mutation rule (p 0.9, sigma
0.1, factors clipped to [0.3, 3], a floor of 2 px; a child replaces its parent only if the objective
rises), the best climb then polished one anchor coordinate at a time. Candidates (best start, best
climb, polished) are rounded as written to the cfg and scored with darknet's figure on every box; the
highest wins. One ``numpy.random.Generator`` drives everything, so a seed gives the same anchors every
time. The inner loops run on weighted summaries of the boxes (equal boxes merged; above a limit,
boxes binned on a fine log-size grid, each bin its boxes' mean and count): ``SEARCH_LIMIT`` points for
the starts and climbs, ``SUMMARY_LIMIT`` for the polish.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

F32 = np.float32
FLT_MAX = np.finfo(np.float32).max
SUMMARY_LIMIT = 20_000       # the summary candidates are polished on
CLIMBS = 4                   # how many of the best k-means starts climb
SEARCH_LIMIT = 4_000         # the coarser one the starts and the long climb run on
# the how-to's mask rule: YOLOv4's first head (stride 8) takes the anchors smaller than 30x30, the second
# (stride 16) those smaller than 60x60, the third the rest -- 3.75 strides, per head, for any stride
MASK_STRIDES = 3.75


# ------------------------------------------------------------------------------------------------
# the two yardsticks

def iou_wh(boxes: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """IoU of every box with every anchor, rectangles at a common corner, in the dtype of the inputs
    (float32 inputs: darknet's float arithmetic, operation for operation). Shape (boxes, anchors)."""
    bw, bh = boxes[:, 0:1], boxes[:, 1:2]
    aw, ah = anchors[:, 0], anchors[:, 1]
    inter = np.minimum(bw, aw) * np.minimum(bh, ah)
    union = (bw * bh + aw * ah) - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return inter / union


def nearest(boxes: np.ndarray, anchors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index, IoU) of each box's nearest anchor, darknet's loop run for all boxes at once: the
    distance ``1 - IoU`` in float32, starting from FLT_MAX, an anchor taken only when strictly nearer
    (ties to the lowest index; a NaN distance never wins; no winner: index 0, IoU 0)."""
    b = boxes.astype(F32, copy=False)
    bw, bh = np.ascontiguousarray(b[:, 0]), np.ascontiguousarray(b[:, 1])
    area = bw * bh
    best_d = np.full(len(b), FLT_MAX, F32)
    best = np.zeros(len(b), F32)
    idx = np.zeros(len(b), np.intp)
    with np.errstate(divide="ignore", invalid="ignore"):
        for j, (aw, ah) in enumerate(anchors.astype(F32)):
            inter = np.minimum(bw, aw) * np.minimum(bh, ah)
            iou = inter / ((area + aw * ah) - inter)
            d = F32(1) - iou
            nearer = d < best_d
            best_d = np.where(nearer, d, best_d)
            best = np.where(nearer, iou, best)
            idx[nearer] = j
    return idx, best


@dataclass(frozen=True)
class AvgIou:
    percent: float       # the float32 figure darknet prints with %2.2f
    wrong: int           # boxes whose best IoU was outside [0, 1] (darknet prints "Wrong label" for each)

    @property
    def printed(self) -> str:
        return f"{self.percent:.2f}"


def darknet_avg_iou(boxes: np.ndarray, anchors: np.ndarray) -> AvgIou:
    """darknet's ``avg IoU`` for ``anchors`` over ``boxes`` (reference §13.7 step 5), bit for bit."""
    return _avg_iou(nearest(boxes, anchors)[1])


def _avg_iou(best: np.ndarray) -> AvgIou:
    """darknet's figure from each box's IoU with its nearest anchor (``nearest``)."""
    n = len(best)
    if n == 0:
        raise ValueError("no boxes")
    ok = (best <= 1) & (best >= 0)
    # float32, one box at a time: cumsum adds in order (numpy's sum would pair up, unlike darknet's loop)
    total = np.cumsum(np.where(ok, best, F32(0)), dtype=F32)[-1]
    pct = (F32(100) * total) / F32(n)
    return AvgIou(float(pct), int(n - ok.sum()))


@dataclass(frozen=True)
class RatioMetrics:
    thr: float
    bpr: float           # share of boxes whose best anchor fits (ratio above 1/thr)
    aat: float           # mean number of fitting anchors per box


def ratio_metrics(boxes: np.ndarray, anchors: np.ndarray, thr: float = 4.0) -> RatioMetrics:
    """Ultralytics' best possible recall and anchors-above-threshold (yolov5 ``check_anchors``)."""
    return metrics_from_fits(fit_matrix(boxes, anchors, thr), thr)


def metrics_from_fits(fits: np.ndarray, thr: float) -> RatioMetrics:
    return RatioMetrics(thr, float(fits.any(axis=0).mean()), float(fits.sum(axis=0, dtype=np.int64).mean()))


def fit_matrix(boxes: np.ndarray, anchors: np.ndarray, thr: float = 4.0) -> np.ndarray:
    """(anchors, boxes) booleans: yolov5's ratio metric, the smallest of w/aw, aw/w, h/ah, ah/h, above
    ``1/thr`` (float32, as yolov5 computes it on tensors; undefined ratios do not fit)."""
    b = boxes.astype(F32, copy=False)
    bw, bh = np.ascontiguousarray(b[:, 0]), np.ascontiguousarray(b[:, 1])
    limit = F32(1.0 / thr)
    out = np.zeros((len(anchors), len(b)), bool)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for j, (aw, ah) in enumerate(anchors.astype(F32)):
            rw, rh = bw / aw, bh / ah
            x = np.minimum(np.minimum(rw, F32(1) / rw), np.minimum(rh, F32(1) / rh))
            out[j] = x > limit
    return out


def sort_anchors(anchors: np.ndarray) -> np.ndarray:
    """darknet's order (``anchors_data_comparator``): float32 area ascending, equal areas as they came."""
    a = anchors.astype(F32)
    return anchors[np.argsort(a[:, 0] * a[:, 1], kind="stable")]


# ------------------------------------------------------------------------------------------------
# the search

def summaries(boxes: np.ndarray, limits: tuple[int, ...]) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each limit, (points, weights): the boxes with positive finite sides, equal ones merged
    (weight = count); when more than ``limit`` differ, binned on a log2 grid (64 bins per octave,
    halved until the bins fit), each bin its boxes' mean w and h. One sort of the boxes for all limits:
    a coarser grid is built from the finer one's bins (floor(floor(x)/2) = floor(x/2))."""
    b = np.ascontiguousarray(boxes, dtype=F32)
    b = b[np.isfinite(b).all(axis=1) & (b > 0).all(axis=1)]
    if len(b) == 0:
        return [(np.zeros((0, 2)), np.zeros(0)) for _ in limits]
    keys, counts = np.unique(b.view(np.uint64).ravel(), return_counts=True)   # (w, h) float32 pairs as one key
    pts = np.ascontiguousarray(keys).view(F32).reshape(-1, 2).astype(np.float64)
    weights = counts.astype(np.float64)
    levels = [(pts, weights)]
    if len(pts) > min(limits):
        cells = np.floor(np.log2(pts) * 64.0).astype(np.int64)
        sw, sh, n = weights * pts[:, 0], weights * pts[:, 1], weights
        res = 64
        while True:
            cells = cells - cells.min(axis=0)
            key = cells[:, 0] * (int(cells[:, 1].max()) + 1) + cells[:, 1]
            ukey, first, inv = np.unique(key, return_index=True, return_inverse=True)
            inv = inv.ravel()
            cells = cells[first]
            sw, sh, n = (np.bincount(inv, weights=v) for v in (sw, sh, n))
            levels.append((np.stack([sw / n, sh / n], axis=1), n))
            if len(ukey) <= min(limits) or res <= 1:
                break
            cells = cells // 2
            res //= 2
    out = []
    for limit in limits:
        fit = [lv for lv in levels if len(lv[0]) <= limit]
        out.append(fit[0] if fit else levels[-1])
    return out


class _Points:
    """A weighted summary laid out for the search's inner loop: float32 rows, IoU as (anchors, points)
    so that the best anchor per point is a reduction across a few long rows."""

    __slots__ = ("xy", "w", "h", "area", "weights")

    def __init__(self, points: np.ndarray, weights: np.ndarray):
        self.xy = points
        self.w = np.ascontiguousarray(points[:, 0], dtype=F32)[None, :]
        self.h = np.ascontiguousarray(points[:, 1], dtype=F32)[None, :]
        self.area = self.w * self.h
        self.weights = (weights / weights.sum()).astype(F32)

    def iou(self, anchors: np.ndarray) -> np.ndarray:
        """(anchors, points) IoU."""
        a = anchors.astype(F32)
        aw, ah = a[:, 0:1], a[:, 1:2]
        inter = np.minimum(self.w, aw) * np.minimum(self.h, ah)
        return inter / ((self.area + aw * ah) - inter)

    def fitness(self, anchors: np.ndarray) -> float:
        return float(np.maximum.reduce(self.iou(anchors), axis=0) @ self.weights)


def _kmeans(pts: _Points, centres: np.ndarray, max_iter: int = 300) -> np.ndarray:
    """Lloyd's k-means with darknet's distance and update (a centre is the mean w and h of its boxes; an
    empty cluster keeps its centre), weighted, until no assignment changes."""
    c = centres.astype(np.float64).copy()
    k = len(c)
    ww = pts.weights.astype(np.float64)
    sw_all, sh_all = ww * pts.xy[:, 0], ww * pts.xy[:, 1]
    prev = None
    for _ in range(max_iter):
        a = np.argmax(pts.iou(c), axis=0)
        if prev is not None and np.array_equal(a, prev):
            break
        prev = a
        n = np.bincount(a, weights=ww, minlength=k)
        sw = np.bincount(a, weights=sw_all, minlength=k)
        sh = np.bincount(a, weights=sh_all, minlength=k)
        full = n > 0
        c[full, 0] = sw[full] / n[full]
        c[full, 1] = sh[full] / n[full]
    return c


def _random_start(points, weights, k, rng) -> np.ndarray:
    """darknet's start: k distinct boxes drawn at random (here by weight: a merged box counts as many)."""
    return points[rng.choice(len(points), size=k, replace=False, p=weights / weights.sum())]


def _plusplus_start(points, weights, k, rng) -> np.ndarray:
    """k-means++ seeding with the 1 - IoU distance."""
    chosen = [int(rng.choice(len(points), p=weights / weights.sum()))]
    d = 1.0 - iou_wh(points, points[chosen]).max(axis=1)
    for _ in range(1, k):
        p = d * weights
        total = p.sum()
        if not total > 0:
            rest = np.setdiff1d(np.arange(len(points)), chosen)
            chosen.append(int(rng.choice(rest)))
        else:
            chosen.append(int(rng.choice(len(points), p=p / total)))
        d = np.minimum(d, 1.0 - iou_wh(points, points[chosen[-1:]])[:, 0])
    return points[chosen]


def _climb(pts: _Points, anchors, rng, generations=1000, floor=2.0, prob=0.9, sigma=0.1):
    """yolov5's one-parent climb on the objective: each generation multiplies every coordinate, with
    probability ``prob``, by ``1 + u*z*sigma`` (u uniform once per generation, z normal per coordinate),
    clipped to [0.3, 3], redrawn until something changes; anchors floored at ``floor``; the child
    replaces the parent only if the objective rises."""
    best = anchors.astype(np.float64).copy()
    f = pts.fitness(best)
    for _ in range(generations):
        v = np.ones(best.shape)
        while (v == 1).all():
            v = ((rng.random(best.shape) < prob) * rng.random() * rng.standard_normal(best.shape) * sigma
                 + 1).clip(0.3, 3.0)
        child = (best * v).clip(min=floor)
        fc = pts.fitness(child)
        if fc > f:
            f, best = fc, child
    return best, f


_STEPS = ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, -1), (1, -1), (-1, 1))


def polish(points, weights, anchors, floor=2.0, deltas=(0.08, 0.03, 0.01, 0.003), rounds=12):
    """Coordinate search on the objective: one anchor at a time, its w and/or h scaled by 1 +- delta while
    that raises the objective, delta shrinking. Deterministic and cheap: moving anchor j changes only
    column j, so each try costs one column against the best of the others."""
    pts = _Points(points, weights)
    weights = pts.weights
    a = anchors.astype(np.float64).copy()
    iou = pts.iou(a)
    for d in deltas:
        for _ in range(rounds):
            moved = False
            for j in range(len(a)):
                others = np.delete(iou, j, axis=0).max(axis=0) if len(a) > 1 else np.zeros(len(points), F32)
                base = np.dot(np.maximum(others, iou[j]), weights)
                for sw, sh in _STEPS:
                    cand = np.maximum(a[j] * (1 + d * sw, 1 + d * sh), floor)
                    row = pts.iou(cand[None, :])[0]
                    val = np.dot(np.maximum(others, row), weights)
                    if val > base:
                        a[j], iou[j], base, moved = cand, row, val, True
            if not moved:
                break
    return a


@dataclass(frozen=True)
class Search:
    anchors: np.ndarray          # (k, 2), rounded as written to the cfg, darknet's order
    avg_iou: AvgIou              # darknet's figure for exactly these anchors over every box
    starts: int
    generations: int
    objective: str = "darknet average IoU"
    nearest: np.ndarray | None = None   # each box's anchor (index into ``anchors``), as darknet assigns it


def round_anchors(anchors: np.ndarray, width: int) -> np.ndarray:
    """The values written to ``anchors=``: whole pixels when the network is wider than 32 (darknet's
    ``%3.0f``; at least 1), else 4 decimals (its ``%2.4f``)."""
    if width > 32:
        return np.maximum(np.round(anchors), 1.0)
    return np.maximum(np.round(anchors, 4), 1e-4)


def search(boxes: np.ndarray, k: int, rng: np.random.Generator, *, width: int = 416, starts: int = 24,
           generations: int = 1000) -> Search:
    """The best anchors found for ``boxes`` (k of them): see the module docstring."""
    (points, weights), (fine, fine_w) = summaries(boxes, (SEARCH_LIMIT, SUMMARY_LIMIT))
    if len(points) < k:
        n = len(points)
        raise ValueError(f"only {n} distinct usable box size{'s' * (n != 1)} for {k} anchors")
    floor = min(2.0, float(points.min()))
    pts = _Points(points, weights)
    runs = []
    for s in range(starts):
        start = (_random_start if s % 2 == 0 else _plusplus_start)(points, weights, k, rng)
        c = _kmeans(pts, start)
        runs.append((pts.fitness(c), s, c))
    runs.sort(key=lambda t: (-t[0], t[1]))
    candidates = [runs[0][2]]
    climbed = [_climb(pts, c, rng, generations, floor) for _, _, c in runs[:CLIMBS]]
    best = max(climbed, key=lambda t: t[1])[0]     # the best few starts climb; the best climb goes on
    candidates.append(best)
    candidates.append(polish(fine, fine_w, best, floor=floor))
    # scored on every box, as written: the one darknet would report the higher figure for
    scored = []
    for c in candidates:
        a = sort_anchors(round_anchors(c, width))
        idx, best = nearest(boxes, a)
        scored.append((_avg_iou(best), idx, a))
    figure, idx, anchors = max(scored, key=lambda t: t[0].percent)     # a tie keeps the earlier candidate
    return Search(anchors, figure, starts, generations, nearest=idx)


# ------------------------------------------------------------------------------------------------
# masks

@dataclass(frozen=True)
class HeadSplit:
    layer: int                   # the head's layer index
    stride: int
    mask: tuple[int, ...]        # indices into the sorted anchors
    limit: float | None          # anchors with area below limit**2 (None: the rest)


def split_masks(anchors: np.ndarray, heads: list[tuple[int, int]]) -> list[HeadSplit]:
    """The how-to's mask rule (reference §13.8) for heads given as (layer index, stride), anchors in
    darknet's order: the finest head takes the anchors smaller than 3.75 strides squared (30x30 at
    stride 8), the next finest those smaller than its own limit (60x60 at stride 16), the coarsest the
    rest. Heads of equal stride get the same anchors. A head may get none (the caller warns)."""
    strides = sorted({s for _, s in heads})
    area = anchors[:, 0].astype(np.float64) * anchors[:, 1]
    group: dict[int, list[int]] = {s: [] for s in strides}
    for i, a in enumerate(area):
        for s in strides[:-1]:
            if a < (MASK_STRIDES * s) ** 2:
                group[s].append(i)
                break
        else:
            group[strides[-1]].append(i)
    return [HeadSplit(layer, s, tuple(group[s]), MASK_STRIDES * s if s != strides[-1] else None)
            for layer, s in heads]
