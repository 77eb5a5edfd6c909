"""GhostNet (huawei-noah Efficient-AI-Backbones ``ghostnet_pytorch/ghostnet.py``) as darknet layers.

Ghost module (output ``oup``): primary 1x1 conv to ``ceil(oup/2)`` + BN (+ReLU), cheap depthwise 3x3 on
its output + BN (+ReLU), ``[route]`` of the two (every ``oup`` is a multiple of 4, so nothing is cut).
Bottleneck: ghost1 (ReLU) -> stride 2 only: depthwise kxk + BN -> SE -> ghost2 (linear) -> + shortcut
(identity, or depthwise kxk stride s + BN, 1x1 + BN). SE squeezes ``_make_divisible(mid/4, 4)`` and
gates with hard-sigmoid (``sequential.Writer.se``). Widths: ``_make_divisible(c * width, 4)``.
Module names are the reference's (``blocks.S.0.ghost1.primary_conv.0``, ...).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from cfggen.errors import GenerateError
from cfggen.scale.rounding import round_filters
from cfggen.scale.sequential import Writer, exact_notes, stage_taps

# (kernel, exp, out, se, stride) per block, one tuple per ``blocks.S`` stage (the reference's cfgs)
CFGS = (
    ((3, 16, 16, False, 1),),
    ((3, 48, 24, False, 2),),
    ((3, 72, 24, False, 1),),
    ((5, 72, 40, True, 2),),
    ((5, 120, 40, True, 1),),
    ((3, 240, 80, False, 2),),
    ((3, 200, 80, False, 1), (3, 184, 80, False, 1), (3, 184, 80, False, 1), (3, 480, 112, True, 1),
     (3, 672, 112, True, 1)),
    ((5, 672, 160, True, 2),),
    ((5, 960, 160, False, 1), (5, 960, 160, True, 1), (5, 960, 160, False, 1), (5, 960, 160, True, 1)),
)
FEATURES = 1280          # conv_head
PARAMS = 5_182_508       # reference, width 1.0, 1000 classes
TITLE = "GhostNet"
REFERENCE = "huawei-noah Efficient-AI-Backbones ghostnet_pytorch (GhostNet 1.0x)"
BATCH = None             # cfggen's EfficientNet recipe
DROPOUT = 0.2


def divisible(v: float, divisor: int = 4) -> int:
    return round_filters(v, 1.0, divisor)


@dataclass(frozen=True)
class GhostBlock:
    name: str
    kernel: int
    stride: int
    inp: int
    mid: int
    out: int
    se: int
    out_stride: int
    stage: int

    @property
    def identity(self) -> bool:
        return self.inp == self.out and self.stride == 1


def blocks(width_mult: float = 1.0) -> tuple[int, list[GhostBlock], int]:
    """(stem width, the bottlenecks, width of the last 1x1 conv)."""
    stem = divisible(16 * width_mult)
    channels, stride, out = stem, 2, []
    exp = 16
    for s, stage in enumerate(CFGS):
        for j, (k, exp, c, se, st) in enumerate(stage):
            stride *= st
            o, mid = divisible(c * width_mult), divisible(exp * width_mult)
            out.append(GhostBlock(f"blocks.{s}.{j}", k, st, channels, mid, o, divisible(mid * 0.25) if se else 0,
                                  stride, s))
            channels = o
    return stem, out, divisible(exp * width_mult)


def _ghost(w: Writer, oup: int, relu: bool, module: str) -> int:
    init = math.ceil(oup / 2)
    if oup % 2:      # the reference keeps the first oup of 2*init channels; darknet cannot cut a route
        raise GenerateError(f"{module}: an odd ghost module width {oup} cannot be built exactly")
    act = "relu" if relu else "linear"
    w.comment(f"{module.rsplit('.', 1)[1]}: ghost module -> {oup}: 1x1 conv -> {init}, depthwise 3x3 on it, "
              f"concatenated ({act})")
    primary = w.conv(init, activation=act, module=f"{module}.primary_conv.0", bn_module=f"{module}.primary_conv.1")
    w.conv(init, size=3, groups=init, activation=act, module=f"{module}.cheap_operation.0",
           bn_module=f"{module}.cheap_operation.1")
    return w.route(primary, w.last)


def backbone(w: Writer, b):
    """The network up to blocks.9 (classifier) or the stride-32 stage end, for ``cfggen.standalone.compose``."""
    from cfggen.standalone import Backbone
    ends, infos = write_backbone(w, b.width_mult, b.hswish, b.spec.detector)
    taps = stage_taps(ends)
    return Backbone(taps, infos[-1].out, f"{TITLE}: width {b.width_mult}, resolution {b.resolution},",
                    exact_notes(b, taps, REFERENCE, False))


def classifier(w: Writer, b, backbone) -> None:
    write_classifier(w, b.classes, DROPOUT)


def write_backbone(w: Writer, width_mult: float, hswish: str, detector: bool):
    stem, infos, last = blocks(width_mult)
    w.comment(f"==== stem: 3x3 conv, stride 2, 3 -> {stem}, relu")
    w.conv(stem, size=3, stride=2, activation="relu", module="conv_stem", bn_module="bn1")
    w.mark("stem")
    ends = {}
    for b in infos:
        p = b.name
        x = w.last
        w.block(b.stage + 1, int(p.rsplit(".", 1)[1]) + 1,
                f"{p} ghost bottleneck k{b.kernel} s{b.stride}, {b.inp} -> {b.mid} -> {b.out}"
                + (f", SE {b.se}" if b.se else "") + (", identity shortcut" if b.identity else ", projection shortcut"))
        _ghost(w, b.mid, True, f"{p}.ghost1")
        if b.stride > 1:
            w.comment(f"depthwise {b.kernel}x{b.kernel} stride {b.stride}, BN, no activation")
            w.conv(b.mid, size=b.kernel, stride=b.stride, groups=b.mid, module=f"{p}.conv_dw", bn_module=f"{p}.bn_dw")
        if b.se:
            w.se(w.last, b.se, f"{p}.se", hswish)
        main = _ghost(w, b.out, False, f"{p}.ghost2")
        if b.identity:
            w.add(x)
        else:
            w.comment(f"shortcut: depthwise {b.kernel}x{b.kernel} stride {b.stride} + 1x1 -> {b.out} on the block input")
            w.route(x)
            w.conv(b.inp, size=b.kernel, stride=b.stride, groups=b.inp, module=f"{p}.shortcut.0",
                   bn_module=f"{p}.shortcut.1")
            w.conv(b.out, module=f"{p}.shortcut.2", bn_module=f"{p}.shortcut.3")
            w.add(main)
        w.mark(p)
        w.mark(p.rsplit(".", 1)[0])
        ends[b.out_stride] = (w.last, b)
    if not detector:
        w.comment(f"==== blocks.9: 1x1 conv {infos[-1].out} -> {last}, relu")
        w.conv(last, activation="relu", module="blocks.9.0.conv", bn_module="blocks.9.0.bn1")
        w.mark("blocks.9")
    return ends, infos


def write_classifier(w: Writer, classes: int, dropout: float = 0.2) -> None:
    w.comment(f"==== head: global average pool, 1x1 conv -> {FEATURES} (bias), relu, dropout {dropout}, "
              f"{classes} classes")
    w.avgpool()
    w.mark("global_pool")
    w.conv(FEATURES, bn=False, activation="relu", module="conv_head")
    w.mark("conv_head+act2")
    w.dropout(dropout)
    w.fc(classes, "classifier")
