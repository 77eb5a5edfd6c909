"""input-not-stride-multiple: an input size that is not a multiple of the network's total stride.

*Why*: each stride-2 layer rounds an odd map up, so a 400x400 input reaches the 32x-downsampled
level as 13x13 instead of 12.5x12.5, and an `[upsample]` back to 26x26 then meets the 25x25 map it is
routed or added to: darknet zeroes the `[route]` or aborts on the `[shortcut]` (then that error,
DN203/DN201, is the one finding, with the size to use in its hint). Even when nothing breaks, the grid of a `[yolo]`/`[region]` head
no longer lines up with the image (darknet only warns). Reported at the cfg's own size and at every
multi-scale training size (`resize_step` must then be a multiple of the total stride).

*Severity*: a warning: darknet runs; only the grid alignment suffers. When a route or shortcut
breaks at that size, DN203/DN201 report the error and name this cause, and this finding is not
repeated there.

**FAIL**
    [net]
    width=400
    height=400
    ... (a YOLO network with total stride 32)
**PASS**
    [net]
    width=416
    height=416

*Fix safety*: not fixable automatically (choose the nearest multiple).
"""
from __future__ import annotations

import math
from operator import itemgetter

from cfggen.lint.model import Diagnostic
from cfggen.lint.rules._base import RuleContext, at, facts
from cfggen.lint.training import training_head

CODE, NAME, SEVERITY, SCOPE = "DN219", "input-not-stride-multiple", "warning", "size"
SUMMARY = "input width/height not a multiple of the total stride"

_FLAT = ("avgpool", "connected", "rnn", "lstm", "gru", "softmax", "cost", "detection", "contrastive", "implicit",
         "crop", "blank")
_HEADS = ("yolo", "gaussian_yolo", "region", "detection")


def _strides(layer) -> tuple[int, int] | None:
    k = layer.conf
    if layer.type in ("convolutional", "maxpool", "local_avgpool"):
        s = k.get("stride") or 0
        sx, sy = k.get("stride_x"), k.get("stride_y")
        if layer.type == "convolutional":
            sx = sx if sx >= 1 else s
            sy = sy if sy >= 1 else s
        else:
            sx = sx if sx is not None else s
            sy = sy if sy is not None else s
        return sx, sy
    if layer.type in ("local", "crnn", "conv_lstm", "reorg", "reorg3d"):
        s = k.get("stride") or 0
        return s, s
    return None


# the layer types ``max_scale`` treats apart; every other type keeps its input's downsampling
_SPECIAL = frozenset(_FLAT + ("route", "sam", "scale_channels", "upsample", "reorg", "reorg3d", "convolutional",
                              "maxpool", "local_avgpool", "local", "crnn", "conv_lstm"))
_X, _Y = itemgetter(0), itemgetter(1)
_ONE = (1.0, 1.0)


def max_scale(net) -> tuple[float, float]:
    """Per axis, the largest factor by which a layer's output is downsampled relative to the network
    input (1.0 when no layer has a map). Per layer that factor is its input's, times its strides, or
    None after a layer without a map; a [route]/[sam]/[scale_channels] takes its source's.

    One pass over every layer: [convolutional] (most layers) is tested first and inlines ``_strides``,
    a stride of 1 keeps the input's factor as it is (x * 1 is x), and the types that keep their input's
    factor are one set lookup. A layer's factor is either one it computes (kept in ``made``) or one
    an earlier layer had, or the input's (1, 1): the maxima are taken over those few."""
    out: list[tuple[float, float] | None] = []
    append = out.append
    made: list[tuple[float, float]] = []     # the factors computed by a stride, in order
    new = made.append
    cur: tuple[float, float] | None = _ONE
    for layer in net.layers:
        t = layer.type
        if t == "convolutional":
            k = layer.conf
            st = k.get("stride") or 0
            sx, sy = k.get("stride_x"), k.get("stride_y")
            sx = sx if sx >= 1 else st
            sy = sy if sy >= 1 else st
            if cur is None or sx <= 0 or sy <= 0:
                cur = None
            elif sx != 1 or sy != 1:
                cur = (cur[0] * sx, cur[1] * sy)
                new(cur)
        elif t not in _SPECIAL:
            pass   # cur stays
        elif t in _FLAT:
            cur = None
        elif t == "route" or t == "sam" or t == "scale_channels":
            cur = out[layer.refs[0]] if layer.refs and 0 <= layer.refs[0] < len(out) else None
        elif t == "upsample":
            st = layer.conf["stride"]
            cur = None if cur is None or st == 0 else (
                (cur[0] / st, cur[1] / st) if st > 0 else (cur[0] * -st, cur[1] * -st))
            if cur is not None:
                new(cur)
        elif t == "reorg" or t == "reorg3d":
            st = layer.conf["stride"]
            cur = None if cur is None or st <= 0 else (
                (cur[0] / st, cur[1] / st) if layer.conf["reverse"] else (cur[0] * st, cur[1] * st))
            if cur is not None:
                new(cur)
        else:
            st = _strides(layer)
            if st is None:
                pass
            elif cur is None or st[0] <= 0 or st[1] <= 0:
                cur = None
            else:
                cur = (cur[0] * st[0], cur[1] * st[1])
                new(cur)
        append(cur)
    if out and out[0] is _ONE:
        made.append(_ONE)   # the layers before the first change carry the input's factor
    return max(map(_X, made), default=1.0), max(map(_Y, made), default=1.0)


def total_stride(net, doc) -> tuple[int, int] | None:
    memo = facts(doc).memo
    cached = memo.get("total_stride")
    if cached is None:
        sx, sy = max_scale(net)
        whole = all(math.isfinite(v) and v < 2**31 and abs(v - round(v)) < 1e-9 for v in (sx, sy))
        cached = (int(round(sx)), int(round(sy))) if whole else (0, 0)
        memo["total_stride"] = cached
    return cached if cached[0] > 1 or cached[1] > 1 else None


def quiet(ctx: RuleContext, size: tuple[int, int]) -> bool:
    """True when ``check`` at ``size`` would report nothing: it is a multiple of the total stride
    (``ctx`` is the cfg's own size; the engine skips inferring such sizes)."""
    net = ctx.net
    if not net.layers or any(layer.broken for layer in net.layers[:1]):
        return True
    stride = total_stride(net, ctx.doc)
    return stride is None or (size[0] % stride[0] == 0 and size[1] % stride[1] == 0)


def check(ctx: RuleContext):
    net = ctx.net
    if not net.layers or any(layer.broken for layer in net.layers[:1]):
        return
    stride = total_stride(net, ctx.doc)
    if stride is None:
        return
    w, h = net.width, net.height
    sx, sy = stride
    if w % sx == 0 and h % sy == 0:
        return
    first_round, broken = _consequences(net)
    heads = any(layer.type in _HEADS for layer in net.layers)
    if broken is None and not heads:
        return  # a classifier that pools globally: nothing goes wrong
    parts = []
    if first_round is not None:
        layer, before, after = first_round
        parts.append(f"layer {layer.index} [{layer.section.name}] rounds {before} to {after}")
    if broken is not None:
        layer, what = broken
        parts.append(f"layer {layer.index} [{layer.section.name}] then {what}")
    elif heads:
        parts.append("the detection grid no longer lines up with the image (darknet only warns)")
    bad = [f"width={w}"] * (w % sx != 0) + [f"height={h}"] * (h % sy != 0)
    total = f"{sx}" if sx == sy else f"{sx}x{sy}"
    near = f"{_near(w, sx)}x{_near(h, sy)}"
    net_section = ctx.doc.net
    related = ((broken[0].line, f"layer {broken[0].index} breaks here"),) if broken is not None else ()
    if ctx.size is None:
        key = "width" if w % sx else "height"
        line, col = at(net_section, key)
        msg = f"{' and '.join(bad)} not a multiple of the network's total stride {total}: " + "; ".join(parts)
        hint = f"use a multiple of {total}, e.g. {near}"
    else:
        head = training_head(net)
        opt = net_section.get("resize_step")
        line, col = (opt.line, opt.col) if opt is not None else at(head.section, "random") if head else at(net_section)
        msg = (f"multi-scale training resizes the network to {w}x{h}, not a multiple of its total stride {total}: "
               + "; ".join(parts))
        hint = f"make resize_step= (and width/height) multiples of {total}"
    yield Diagnostic(CODE, msg, line=line, col=col, size=ctx.size, related=related, hint=hint,
                     extra={"breaks": broken[0].index} if broken is not None else {})


def _near(v: int, s: int) -> int:
    return max(s, (v + s // 2) // s * s)


def _consequences(net):
    first_round = None
    for layer in net.layers:
        st = _strides(layer)
        if st is not None and first_round is None and min(layer.input) > 0:
            i = layer.input
            if (st[0] > 1 and i.w % st[0]) or (st[1] > 1 and i.h % st[1]):
                o = layer.next
                first_round = (layer, f"{i.w}x{i.h}", f"{o.w}x{o.h}")
        broken = _breaks(net, layer)
        if broken:
            return first_round, (layer, broken)
    return first_round, None


def _breaks(net, layer) -> str | None:
    t = layer.type
    if t not in ("route", "shortcut", "sam", "scale_channels") or not layer.refs:
        return None
    srcs = [net.layers[r] for r in layer.refs if 0 <= r < layer.index]
    if not srcs:
        return None
    if t == "route":
        a = srcs[0].output
        for s in srcs[1:]:
            if (s.output.w, s.output.h) != (a.w, a.h):
                return f"concatenates maps of different sizes ({a.w}x{a.h} and {s.output.w}x{s.output.h})"
        return None
    i = layer.input
    for s in srcs:
        o = s.output
        if t == "scale_channels" and not layer.conf["scale_wh"]:
            continue
        if (o.w, o.h) != (i.w, i.h):
            verb = "adds" if t == "shortcut" else "multiplies"
            return f"{verb} maps of different sizes ({i.w}x{i.h} and {o.w}x{o.h})"
    return None
