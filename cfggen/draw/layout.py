"""Layered top-to-bottom layout for darknet networks: long chains with skips. Pure passes, each data in,
data out, deterministic (ties by layer order), integer coordinates:

``rank``   longest path in layer order (every valid reference points back: no cycle step);
``settle`` a node off the main chain moves down while all its out-edges have slack, so a branch
           sits just above the layer that reads it (an FPN lateral, not next to its source);
``spine``  the main chain: the longest path, walked back from the last deepest node; column 0
           (what dot's ``group`` does for a chain);
``order``  every other node takes its first input's column when that cell is free, else the nearest
           free column to the right (branches: heads, CSP splits, FPN paths);
``lanes``  every edge that cannot go straight down (it spans several ranks past other boxes) is split
           off to a side lane left of the spine; lanes are given shortest edge first, each to the
           innermost lane free over its rank interval, so nested skips nest and do not cross;
``route``  orthogonal polylines: straight or one dog-leg between adjacent ranks, through the gaps
           between ranks and the lane for the others.
Text is measured with fixed-width metrics (characters x advance), so no browser or font file is read.
"""
from __future__ import annotations

import bisect
from typing import NamedTuple, Sequence

CHAR_W = 7          # advance of the 11.5px monospace font the SVG uses
LINE_H = 14
PAD_X = 8
PAD_Y = 6
MIN_W = 96
NODESEP = 28        # between columns
RANKSEP = 30        # between ranks (edge labels and lane dog-legs live here)
LANESEP = 9         # between side lanes
MARGIN = 16


def measure(lines: Sequence[str]) -> tuple[int, int]:
    """Box size of a text block in fixed-width metrics."""
    width = (max(map(len, lines)) if lines else 0) * CHAR_W + 2 * PAD_X
    return max(MIN_W, width), len(lines) * LINE_H + 2 * PAD_Y


class Box(NamedTuple):
    x: int
    y: int
    w: int
    h: int
    rank: int
    col: int


class Route(NamedTuple):
    src: int
    dst: int
    points: tuple[tuple[int, int], ...]
    lane: int            # -1: no lane
    back: bool           # a reference to a later layer (a finding): drawn dashed


class Layout(NamedTuple):
    width: int
    height: int
    boxes: tuple[Box, ...]
    routes: tuple[Route, ...]
    lanes: int


def rank(n: int, preds: Sequence[Sequence[int]]) -> tuple[int, ...]:
    ranks = [0] * n
    for v in range(n):
        r = 0
        for u in preds[v]:
            if u < v and ranks[u] + 1 > r:
                r = ranks[u] + 1
        ranks[v] = r
    return tuple(ranks)


def settle(n: int, preds: Sequence[Sequence[int]], ranks: Sequence[int], main: frozenset[int]) -> tuple[int, ...]:
    """Nodes off ``main`` with successors, last first: as low as their earliest successor allows."""
    succ_min = [None] * n
    out = list(ranks)
    for v in range(n - 1, -1, -1):
        low = succ_min[v]
        if v not in main and low is not None and low - 1 > out[v]:
            out[v] = low - 1
        for u in preds[v]:
            if u < v and (succ_min[u] is None or out[v] < succ_min[u]):
                succ_min[u] = out[v]
    return tuple(out)


def spine(n: int, preds: Sequence[Sequence[int]], ranks: Sequence[int]) -> frozenset[int]:
    if not n:
        return frozenset()
    top = max(ranks)
    v = n - 1 - ranks[::-1].index(top)      # the last deepest node
    path = [v]
    while ranks[v] > 0:
        want, best = ranks[v] - 1, -1
        for u in preds[v]:          # the last input one rank up
            if u < v and u > best and ranks[u] == want:
                best = u
        v = best
        path.append(v)
    return frozenset(path)


def order(n: int, preds: Sequence[Sequence[int]], ranks: Sequence[int], main: frozenset[int]) -> tuple[int, ...]:
    """The column of every node."""
    cols = [0] * n
    taken: dict[int, set[int]] = {0: {ranks[v] for v in main}}
    for v in range(n):
        if v in main:
            continue
        first = next((u for u in preds[v] if u < v), None)
        want = 1 if first is None or first in main else cols[first]
        c = want
        r = ranks[v]
        while True:
            ranks_in = taken.get(c)
            if ranks_in is None:
                ranks_in = taken[c] = set()
            if r not in ranks_in:
                break
            c += 1
        ranks_in.add(r)
        cols[v] = c
    return tuple(cols)


def _free_between(col_ranks: dict[int, list[int]], col: int, r0: int, r1: int) -> bool:
    rs = col_ranks.get(col, [])
    k = bisect.bisect_right(rs, r0)
    return k >= len(rs) or rs[k] >= r1


def lanes(edges: Sequence[tuple[int, int]], ranks: Sequence[int], cols: Sequence[int]) -> tuple[dict[int, int], int]:
    """Edge number -> lane, for the edges that cannot go straight; and the number of lanes."""
    col_ranks: dict[int, list[int]] = {}
    for v, c in enumerate(cols):
        col_ranks.setdefault(c, []).append(ranks[v])
    for rs in col_ranks.values():
        rs.sort()
    need = []
    for k, (u, v) in enumerate(edges):
        ru, rv = ranks[u], ranks[v]
        if u < v and (rv == ru + 1 or (cols[u] == cols[v] and _free_between(col_ranks, cols[u], ru, rv))):
            continue
        lo, hi = min(ru, rv), max(ru, rv)
        need.append((hi - lo, lo, hi, k))
    need.sort()
    used: list[list[tuple[int, int]]] = []    # per lane: sorted (lo, hi) intervals
    out: dict[int, int] = {}
    for _, lo, hi, k in need:
        for lane, spans in enumerate(used):
            j = bisect.bisect_left(spans, (lo, hi))
            if (j == 0 or spans[j - 1][1] < lo) and (j == len(spans) or spans[j][0] > hi):
                spans.insert(j, (lo, hi))
                out[k] = lane
                break
        else:
            used.append([(lo, hi)])
            out[k] = len(used) - 1
    return out, len(used)


def layout(sizes: Sequence[tuple[int, int]], edges: Sequence[tuple[int, int]]) -> Layout:
    """Place ``len(sizes)`` boxes (in layer order) and route ``edges`` (src, dst) between them."""
    n = len(sizes)
    preds: list[list[int]] = [[] for _ in range(n)]
    for u, v in edges:
        preds[v].append(u)
    ranks = rank(n, preds)
    main = spine(n, preds, ranks)
    ranks = settle(n, preds, ranks, main)
    cols = order(n, preds, ranks, main)
    lane_of, nlanes = lanes(edges, ranks, cols)
    ncols = max(cols, default=0) + 1
    nranks = max(ranks, default=0) + 1
    col_w = [0] * ncols
    rank_h = [0] * nranks
    for (w, h), c, r in zip(sizes, cols, ranks):
        if w > col_w[c]:
            col_w[c] = w
        if h > rank_h[r]:
            rank_h[r] = h
    left = MARGIN + nlanes * LANESEP + (12 if nlanes else 0)
    col_x = []
    x = left
    for w in col_w:
        col_x.append(x)
        x += w + NODESEP
    rank_y = []
    y = MARGIN
    for h in rank_h:
        rank_y.append(y)
        y += h + RANKSEP
    new = tuple.__new__     # the records' C constructor: a namedtuple's own __new__ is Python code
    boxes = tuple(new(Box, (col_x[cols[v]] + (col_w[cols[v]] - w) // 2, rank_y[ranks[v]], w, h, ranks[v], cols[v]))
                  for v, (w, h) in enumerate(sizes))
    routes = []
    for k, (u, v) in enumerate(edges):
        a, b = boxes[u], boxes[v]
        lane = lane_of.get(k, -1)
        if lane < 0:
            ax, bx = a.x + a.w // 2, b.x + b.w // 2
            if ax == bx or a.col == b.col:
                pts = ((ax, a.y + a.h), (ax, b.y))
            else:
                mid = rank_y[b.rank] - RANKSEP // 2
                pts = ((ax, a.y + a.h), (ax, mid), (bx, mid), (bx, b.y))
            routes.append(new(Route, (u, v, pts, -1, False)))
            continue
        lx = MARGIN + (nlanes - 1 - lane) * LANESEP
        jog = 5 + (lane % 4) * 4
        if a.col == 0:
            sy = a.y + a.h // 2 + 6      # skips leave below the middle of the left side ...
            start = ((a.x, sy), (lx, sy))
        else:
            sx = a.x + 12
            gy = rank_y[a.rank] + rank_h[a.rank] + jog
            start = ((sx, a.y + a.h), (sx, gy), (lx, gy))
        if b.col == 0:
            ty = b.y + b.h // 2 - 6      # ... and arrive above it, so the two never share a segment
            end = ((lx, ty), (b.x, ty))
        else:
            tx = b.x + 12
            gy = rank_y[b.rank] - RANKSEP + jog
            end = ((lx, gy), (tx, gy), (tx, b.y))
        routes.append(new(Route, (u, v, start + end, lane, u >= v)))
    width = (col_x[-1] + col_w[-1] if col_x else left) + MARGIN
    return Layout(width, y - RANKSEP + MARGIN if n else 2 * MARGIN, boxes, tuple(routes), nlanes)
