"""Which input sizes a network builds at, by spatial arithmetic alone.

Re-running ``infer`` at every multi-scale training size (or at every size of ``--sizes``) recomputes
parameters, weights-file records, BFLOPs and channels, none of which change with the input size.
Only widths and heights do, and for most layer types what can go wrong at another size is purely
spatial: a map that shrinks to zero or below, or the inputs of a [route], [shortcut], [sam] or
[scale_channels] that stop lining up. ``compile_spatial`` turns a network already built at its own
size into one small function per layer over ``(w, h)``; ``Spatial.check(w, h)`` runs them and
says whether the size is *clean*: every map positive, every multi-input layer lined up. (Callers
that care about more, such as a stride that rounds a map, ask their size rules: ``quiet``.)

A clean size can produce no finding beyond those already made at the cfg's own size, so callers
skip ``infer`` there; any other size is handed to ``infer`` for the exact findings. Networks with
a layer whose checks depend on the size in another way ([connected], [detection], [softmax],
[crop], [local], recurrent layers...), or that darknet cannot build at all (a broken layer, or a
[scale_channels] or [sam] whose channel counts differ, which fails at every size), get ``None``: the
caller then infers every size, as before.
"""
from __future__ import annotations

from operator import attrgetter
from typing import Callable

from cfggen.ir.cnum import cdiv
from cfggen.ir.layers import channels_agree
from cfggen.ir.model import Network

# A compiled network is a flat program: one (kind, a, b, c, d, store) step per layer that can change
# or check the map size, run by one loop (no call, no tuple per layer: ``check`` runs per size, and
# ``--sizes`` asks for thousands). ``store``: the layer's index when a later layer reads its output
# size, else -1. Layers that pass the size through unchanged, unread, and after a first step (whose
# output that step already checked) are left out.
_WINDOW, _BLUR, _SAME, _FIXED, _MUL, _DIV, _ROUTE, _SHORTCUT, _SAM, _SCALE_WH, _SCALE_1 = range(11)


def _window(add: int, sx: int, sy: int, aa: int) -> tuple:
    """Convolution and pooling: ``cdiv(w + add, stride) + 1``; with antialiasing the stride moves to a blur.

    ``add == -1`` at stride 1 (a 3x3 conv with pad=1, any 1x1 conv: most layers of a network) maps
    every positive size to itself, and a size that is not positive has failed at the step before (or,
    at the first step, fails the same test either way): such a step is ``_SAME``, which the compiled
    program leaves out unless its size is read later."""
    if aa:
        k, p = (2, 0) if aa == 2 else (3, 1)
        return _BLUR, add, sx, sy, 2 * p - k
    if add == -1 and sx == 1 and sy == 1:
        return _SAME, 0, 0, 0, 0
    return _WINDOW, add, sx, sy, 0


def _conv(k: dict, refs) -> tuple:
    size = k["size"]
    sx = k["stride_x"] if k["stride_x"] >= 1 else k["stride"]
    sy = k["stride_y"] if k["stride_y"] >= 1 else k["stride"]
    padding = size // 2 if k["pad"] else k["padding"]
    return _window(2 * padding - size, sx, sy, k["antialiasing"])


def _pool(k: dict, refs) -> tuple:
    stride = k["stride"]
    sx = k["stride_x"] if k["stride_x"] is not None else stride
    sy = k["stride_y"] if k["stride_y"] is not None else stride
    size = k["size"] if k["size"] is not None else stride
    padding = k["padding"] if k["padding"] is not None else size - 1
    if k.get("maxpool_depth"):
        return _same(k, refs)
    return _window(padding - size, sx, sy, k.get("antialiasing", 0))


def _same(k: dict, refs) -> tuple:
    return _SAME, 0, 0, 0, 0


def _global(k: dict, refs) -> tuple:
    return _FIXED, 1, 1, 0, 0


def _implicit(k: dict, refs) -> tuple:
    return _FIXED, 1, k["atoms"], 0, 0


def _upsample(k: dict, refs) -> tuple:
    s = k["stride"]
    return (_DIV, -s, 0, 0, 0) if s < 0 else (_MUL, s, 0, 0, 0)


def _reorg(k: dict, refs) -> tuple:
    s = k["stride"]
    return (_MUL, s, 0, 0, 0) if k["reverse"] else (_DIV, s, 0, 0, 0)


def _route(k: dict, refs) -> tuple:
    return _ROUTE, refs[0], refs[1:], 0, 0


def _shortcut(k: dict, refs) -> tuple:
    return _SHORTCUT, refs, 0, 0, 0


def _sam(k: dict, refs) -> tuple:
    return _SAM, refs[0], 0, 0, 0


def _scale_channels(k: dict, refs) -> tuple:
    return (_SCALE_WH if k["scale_wh"] else _SCALE_1), refs[0], 0, 0, 0


# layer type -> step builder. A type missing here has size-dependent checks of another kind.
OPS: dict[str, Callable[[dict, tuple[int, ...]], tuple]] = {
    "convolutional": _conv, "maxpool": _pool, "local_avgpool": _pool, "avgpool": _global,
    "route": _route, "shortcut": _shortcut, "sam": _sam, "scale_channels": _scale_channels,
    "upsample": _upsample, "reorg": _reorg, "reorg3d": _reorg, "implicit": _implicit,
    "dropout": _same, "batchnorm": _same, "activation": _same, "normalization": _same, "empty": _same,
    "yolo": _same, "gaussian_yolo": _same, "region": _same,
}


class Spatial:
    """A network's layers as a size program; ``check`` answers for one input size."""

    __slots__ = ("steps", "n")

    def __init__(self, steps: tuple[tuple, ...], n: int):
        self.steps = steps
        self.n = n

    def check(self, w: int, h: int) -> bool:
        """True when the network builds at ``w x h`` with every map positive and every input lined up."""
        outs: list = [None] * self.n
        for kind, a, b, c, d, store in self.steps:
            if kind == _WINDOW:             # C division is floor division for a non-negative dividend
                x, y = w + a, h + a
                w = x // b + 1 if x >= 0 and b > 0 else cdiv(x, b) + 1
                h = y // c + 1 if y >= 0 and c > 0 else cdiv(y, c) + 1
            elif kind == _SAME:
                pass
            elif kind == _ROUTE:
                w, h = outs[a]
                for r in b:
                    if outs[r] != (w, h):
                        return False
            elif kind == _SHORTCUT:
                for r in a:
                    if outs[r] != (w, h):
                        return False
            elif kind == _MUL:
                w, h = w * a, h * a
            elif kind == _DIV:
                w, h = cdiv(w, a), cdiv(h, a)
            elif kind == _FIXED:
                w, h = a, b
            elif kind == _BLUR:
                ow, oh = w + a + 1, h + a + 1
                if ow <= 0 or oh <= 0:
                    return False
                if store >= 0:
                    outs[store] = (ow, oh)
                w, h = cdiv(ow + d, b) + 1, cdiv(oh + d, c) + 1
                if w <= 0 or h <= 0:
                    return False
                continue
            else:                           # _SAM, _SCALE_WH, _SCALE_1: the output is the source's size
                sw, sh = outs[a]
                if (kind == _SCALE_1 and (w, h) != (1, 1)) or (kind != _SCALE_1 and (sw, sh) != (w, h)):
                    return False
                w, h = sw, sh
            if w <= 0 or h <= 0:
                return False
            if store >= 0:
                outs[store] = (w, h)
        return True

    def check_many(self, sizes) -> list[bool]:
        """``[check(w, h) for w, h in sizes]``, computed a dimension at a time over all the sizes at once.

        Widths and heights never mix in the size program (each step maps w with x-parameters and h
        with y-parameters, and every test compares or bounds them one by one), so a size is clean
        exactly when its width passes the program's x-half and its height the y-half. One list
        comprehension per step over the distinct values replaces one interpreter loop per size (the
        engine asks about ~10 training sizes, ``--sizes`` about thousands). A program with a stride
        that is not positive keeps the scalar ``check`` (its C division would raise)."""
        sizes = list(sizes)
        if not sizes or not self._batchable():
            return [self.check(w, h) for w, h in sizes]
        ws = sorted({w for w, _ in sizes})
        if self._symmetric():
            hs = ws = sorted(set(ws).union(h for _, h in sizes))
            good_w = good_h = self._dim(ws, 0)
        else:
            hs = sorted({h for _, h in sizes})
            good_w, good_h = self._dim(ws, 0), self._dim(hs, 1)
        return [w in good_w and h in good_h for w, h in sizes]

    def _batchable(self) -> bool:
        for kind, a, b, c, d, _ in self.steps:
            if kind in (_WINDOW, _BLUR) and (b <= 0 or c <= 0):
                return False
            if kind == _DIV and a == 0:
                return False
        return True

    def _symmetric(self) -> bool:
        """Whether the x- and y-halves of the program are the same program."""
        for kind, a, b, c, d, _ in self.steps:
            if kind in (_WINDOW, _BLUR) and b != c or kind == _FIXED and a != b:
                return False
        return True

    def _dim(self, values: list[int], axis: int) -> set[int]:
        """The values that pass one half of the program (``axis`` 0: widths, 1: heights)."""
        n = len(values)
        v = list(values)
        bad = [False] * n
        outs: list = [None] * self.n

        def fail(flags):
            for k, f in enumerate(flags):
                if f:
                    bad[k] = True

        for kind, a, b, c, d, store in self.steps:
            if kind == _WINDOW:
                s = c if axis else b
                v = [(x + a) // s + 1 if x + a >= 0 else cdiv(x + a, s) + 1 for x in v]
            elif kind == _SAME:
                pass
            elif kind == _ROUTE:
                v = outs[a]
                for r in b:
                    if outs[r] != v:
                        fail([p != q for p, q in zip(outs[r], v)])
            elif kind == _SHORTCUT:
                for r in a:
                    if outs[r] != v:
                        fail([p != q for p, q in zip(outs[r], v)])
            elif kind == _MUL:
                v = [x * a for x in v]
            elif kind == _DIV:
                v = [cdiv(x, a) for x in v]
            elif kind == _FIXED:
                v = [b if axis else a] * n
            elif kind == _BLUR:
                s = c if axis else b
                o = [x + a + 1 for x in v]
                if min(o) <= 0:
                    fail([x <= 0 for x in o])
                if store >= 0:
                    outs[store] = o
                v = [cdiv(x + d, s) + 1 for x in o]
                if min(v) <= 0:
                    fail([x <= 0 for x in v])
                continue
            else:                           # _SAM, _SCALE_WH, _SCALE_1: the output is the source's size
                src = outs[a]
                if kind == _SCALE_1:
                    if v != [1] * n:
                        fail([x != 1 for x in v])
                elif src != v:
                    fail([p != q for p, q in zip(src, v)])
                v = src
            if min(v) <= 0:
                fail([x <= 0 for x in v])
            if store >= 0:
                outs[store] = v
        return {x for x, b_ in zip(values, bad) if not b_}


# [scale_channels] and [sam] also compare channel counts, which no input size changes
_CHANNELS_CHECKED = ("scale_channels", "sam")


def compile_spatial(net: Network) -> Spatial | None:
    """The size program of ``net`` (built at its own size), or None when it cannot decide alone."""
    layers = net.layers
    read = set()
    for refs in map(_REFS, layers):
        if refs:
            read.update(refs)
    steps = []
    append = steps.append
    # twin layers share one conf dict, and a layer that reads no other layer has a step that depends
    # on its conf alone: one step per conf (keyed by the dict's identity, with its type to be safe)
    by_conf: dict[int, tuple] = {}
    for index, type_, conf, refs, broken in map(_STEP_FIELDS, layers):
        if broken:
            return None
        if refs:
            build = OPS.get(type_)
            if build is None:
                return None
            for r in refs:
                if not 0 <= r < index:
                    return None
            if type_ in _CHANNELS_CHECKED and not channels_agree(type_, conf.get("scale_wh"), layers[index].input.c,
                                                                layers[refs[0]].output.c):
                return None     # darknet asserts at every size: no size builds, which ``infer`` says size by size
            step = build(conf, refs)
        else:
            known = by_conf.get(id(conf))
            if known is not None and known[0] == type_:
                step = known[1]
            else:
                build = OPS.get(type_)
                if build is None:
                    return None
                step = build(conf, refs)
                by_conf[id(conf)] = (type_, step)
        if index in read:
            append(step + (index,))
        elif step[0] != _SAME or not steps:
            append(step + (-1,))
        # else: the size passes through, already checked by the step before, and nobody reads it
    return Spatial(tuple(steps), len(layers))


_REFS = attrgetter("refs")
_STEP_FIELDS = attrgetter("index", "type", "conf", "refs", "broken")
