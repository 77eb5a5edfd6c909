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
[crop], [local], recurrent layers...), or that darknet cannot build at all, get ``None``: the
caller then infers every size, as before.
"""
from __future__ import annotations

from typing import Callable

from cfggen.ir.cnum import cdiv
from cfggen.ir.model import Network

# (w, h, outs) -> (out_w, out_h, next_w, next_h); None when the layer breaks at this size.
# ``outs`` holds every earlier layer's (out_w, out_h).
Op = Callable[[int, int, list], "tuple[int, int, int, int, bool] | None"]


def _window(add: int, sx: int, sy: int, aa: int) -> Op:
    """Convolution and pooling: ``cdiv(w + add, stride) + 1``; with antialiasing the stride moves to a blur."""
    if aa:
        k, p = (2, 0) if aa == 2 else (3, 1)
        badd = 2 * p - k

        def blurred(w, h, outs):
            ow, oh = cdiv(w + add, 1) + 1, cdiv(h + add, 1) + 1
            return ow, oh, cdiv(ow + badd, sx) + 1, cdiv(oh + badd, sy) + 1
        return blurred

    if sx > 0 and sy > 0:
        def window_fast(w, h, outs):   # C division is floor division for a non-negative dividend
            a, b = w + add, h + add
            ow = a // sx + 1 if a >= 0 else cdiv(a, sx) + 1
            oh = b // sy + 1 if b >= 0 else cdiv(b, sy) + 1
            return ow, oh, ow, oh
        return window_fast

    def window(w, h, outs):
        ow, oh = cdiv(w + add, sx) + 1, cdiv(h + add, sy) + 1
        return ow, oh, ow, oh
    return window


def _conv(k: dict, refs) -> Op:
    size = k["size"]
    sx = k["stride_x"] if k["stride_x"] >= 1 else k["stride"]
    sy = k["stride_y"] if k["stride_y"] >= 1 else k["stride"]
    padding = size // 2 if k["pad"] else k["padding"]
    return _window(2 * padding - size, sx, sy, k["antialiasing"])


def _pool(k: dict, refs) -> Op:
    stride = k["stride"]
    sx = k["stride_x"] if k["stride_x"] is not None else stride
    sy = k["stride_y"] if k["stride_y"] is not None else stride
    size = k["size"] if k["size"] is not None else stride
    padding = k["padding"] if k["padding"] is not None else size - 1
    if k.get("maxpool_depth"):
        return _same(k, refs)
    return _window(padding - size, sx, sy, k.get("antialiasing", 0))


def _same(k: dict, refs) -> Op:
    return lambda w, h, outs: (w, h, w, h)


def _global(k: dict, refs) -> Op:
    return lambda w, h, outs: (1, 1, 1, 1)


def _implicit(k: dict, refs) -> Op:
    atoms = k["atoms"]
    return lambda w, h, outs: (1, atoms, 1, atoms)


def _upsample(k: dict, refs) -> Op:
    s = k["stride"]
    if s < 0:
        return lambda w, h, outs: (cdiv(w, -s), cdiv(h, -s), cdiv(w, -s), cdiv(h, -s))
    return lambda w, h, outs: (w * s, h * s, w * s, h * s)


def _reorg(k: dict, refs) -> Op:
    s = k["stride"]
    if k["reverse"]:
        return lambda w, h, outs: (w * s, h * s, w * s, h * s)
    return lambda w, h, outs: (cdiv(w, s), cdiv(h, s), cdiv(w, s), cdiv(h, s))


def _route(k: dict, refs) -> Op:
    first, rest = refs[0], refs[1:]

    def route(w, h, outs):
        fw, fh = outs[first]
        for r in rest:
            if outs[r] != (fw, fh):
                return None
        return fw, fh, fw, fh
    return route


def _shortcut(k: dict, refs) -> Op:
    def shortcut(w, h, outs):
        for r in refs:
            if outs[r] != (w, h):
                return None
        return w, h, w, h
    return shortcut


def _sam(k: dict, refs) -> Op:
    src = refs[0]

    def sam(w, h, outs):
        sw, sh = outs[src]
        return (sw, sh, sw, sh) if (sw, sh) == (w, h) else None
    return sam


def _scale_channels(k: dict, refs) -> Op:
    src, wh = refs[0], k["scale_wh"]

    def scale_channels(w, h, outs):
        sw, sh = outs[src]
        ok = (w, h) == (sw, sh) if wh else (w, h) == (1, 1)
        return (sw, sh, sw, sh) if ok else None
    return scale_channels


# layer type -> op builder. A type missing here has size-dependent checks of another kind.
OPS: dict[str, Callable[[dict, tuple[int, ...]], Op]] = {
    "convolutional": _conv, "maxpool": _pool, "local_avgpool": _pool, "avgpool": _global,
    "route": _route, "shortcut": _shortcut, "sam": _sam, "scale_channels": _scale_channels,
    "upsample": _upsample, "reorg": _reorg, "reorg3d": _reorg, "implicit": _implicit,
    "dropout": _same, "batchnorm": _same, "activation": _same, "normalization": _same, "empty": _same,
    "yolo": _same, "gaussian_yolo": _same, "region": _same,
}


class Spatial:
    """A network's layers as spatial functions; ``check`` answers for one input size."""

    __slots__ = ("ops",)

    def __init__(self, ops: tuple[Op, ...]):
        self.ops = ops

    def check(self, w: int, h: int) -> bool:
        """True when the network builds at ``w x h`` with every map positive and every input lined up."""
        outs: list = []
        append = outs.append
        for op in self.ops:
            r = op(w, h, outs)
            if r is None:
                return False
            ow, oh, w, h = r
            if ow <= 0 or oh <= 0 or w <= 0 or h <= 0:
                return False
            append((ow, oh))
        return True


def compile_spatial(net: Network) -> Spatial | None:
    """The spatial functions of ``net`` (built at its own size), or None when they cannot decide alone."""
    ops = []
    for layer in net.layers:
        build = OPS.get(layer.type)
        if build is None or layer.broken:
            return None
        if layer.refs and any(not 0 <= r < layer.index for r in layer.refs):
            return None
        ops.append(build(layer.conf, layer.refs))
    return Spatial(tuple(ops))
