"""MobileNetV3-Large/-Small (geffnet 1.0.2 ``_gen_mobilenet_v3``, the same network as torchvision's
``mobilenet_v3_*``) as darknet layers, written by ``scale.sequential.Writer``.

The block table is geffnet's ``arch_def`` (timm notation, here as tuples); widths follow geffnet's
rounding: block outputs ``round_channels(c * mult, 8)``, expansions ``make_divisible(in * e, 8)``, the SE
squeeze ``make_divisible(mid * 0.25, 8)`` (of the block's mid channels), the stem ``round_channels(16)``
and the last 1x1 conv ``round_channels(960 | 576)``; the head conv (1280 | 1024) keeps its width.
Every module is named as geffnet names it (``blocks.S.J.conv_pw``, ...): the importer maps other
namings (torchvision) onto these.
"""
from __future__ import annotations

from dataclasses import dataclass

from cfggen.scale.rounding import round_filters
from cfggen.scale.sequential import Writer, exact_notes, stage_taps

BATCH = None          # cfggen's EfficientNet recipe
DROPOUT = 0.2


def make_divisible(v: float, divisor: int = 8) -> int:
    """geffnet/torchvision ``make_divisible``: nearest multiple, never below ``divisor`` or 90% of v."""
    return round_filters(v, 1.0, divisor)


@dataclass(frozen=True)
class Row:
    """One block string: type ds/ir/cn, repeats, kernel, stride (first repeat), expansion, out, SE, act."""

    kind: str
    repeats: int
    kernel: int
    stride: int
    expand: float
    out: int
    se: bool
    act: str            # "relu" or "hard_swish"


R, H = "relu", "hard_swish"
LARGE = (
    (Row("ds", 1, 3, 1, 1, 16, False, R),),
    (Row("ir", 1, 3, 2, 4, 24, False, R), Row("ir", 1, 3, 1, 3, 24, False, R)),
    (Row("ir", 3, 5, 2, 3, 40, True, R),),
    (Row("ir", 1, 3, 2, 6, 80, False, H), Row("ir", 1, 3, 1, 2.5, 80, False, H),
     Row("ir", 2, 3, 1, 2.3, 80, False, H)),
    (Row("ir", 2, 3, 1, 6, 112, True, H),),
    (Row("ir", 3, 5, 2, 6, 160, True, H),),
    (Row("cn", 1, 1, 1, 1, 960, False, H),),
)
SMALL = (
    (Row("ds", 1, 3, 2, 1, 16, True, R),),
    (Row("ir", 1, 3, 2, 4.5, 24, False, R), Row("ir", 1, 3, 1, 3.67, 24, False, R)),
    (Row("ir", 1, 5, 2, 4, 40, True, H), Row("ir", 2, 5, 1, 6, 40, True, H)),
    (Row("ir", 2, 5, 1, 3, 48, True, H),),
    (Row("ir", 3, 5, 2, 6, 96, True, H),),
    (Row("cn", 1, 1, 1, 1, 576, False, H),),
)


@dataclass(frozen=True)
class Arch:
    title: str
    stages: tuple
    features: int       # conv_head width (not width-scaled in geffnet)
    params: int         # reference parameter count at width 1.0, 1000 classes


ARCHS = {"mobilenetv3-large": Arch("MobileNetV3-Large", LARGE, 1280, 5_483_032),
         "mobilenetv3-small": Arch("MobileNetV3-Small", SMALL, 1024, 2_542_856)}


@dataclass(frozen=True)
class BlockInfo:
    name: str           # geffnet module path, "blocks.2.1"
    kind: str
    kernel: int
    stride: int
    inp: int
    mid: int
    out: int
    se: int             # squeeze width, 0: none
    act: str
    residual: bool
    out_stride: int
    stage: int


def blocks(arch: Arch, width_mult: float = 1.0) -> tuple[int, list[BlockInfo]]:
    """(stem width, every block with its widths), as geffnet's builder computes them."""
    stem = make_divisible(16 * width_mult)
    channels, stride, out = stem, 2, []
    for s, stage in enumerate(arch.stages):
        j = 0
        for row in stage:
            for n in range(row.repeats):
                st = row.stride if n == 0 else 1
                stride *= st
                o = make_divisible(row.out * width_mult)
                mid = channels if row.kind == "ds" else make_divisible(channels * row.expand) \
                    if row.kind == "ir" else o
                se = make_divisible(mid * 0.25) if row.se else 0
                residual = row.kind != "cn" and st == 1 and channels == o
                out.append(BlockInfo(f"blocks.{s}.{j}", row.kind, row.kernel, st, channels, mid, o, se, row.act,
                                     residual, stride, s))
                channels, j = o, j + 1
    return stem, out


def backbone(w: Writer, b):
    """Stem and blocks (the last 1x1 conv only for the classifier), for ``cfggen.standalone.compose``."""
    from cfggen.standalone import Backbone
    arch = ARCHS[b.family.name]
    ends, infos = write_backbone(w, arch, b.width_mult, b.hswish, b.spec.detector)
    taps = stage_taps(ends)
    size = b.family.name.rsplit("-", 1)[1]
    reference = f"geffnet 1.0.2 mobilenetv3_{size}_100 / torchvision mobilenet_v3_{size}"
    return Backbone(taps, infos[-1].out, f"{arch.title}: width {b.width_mult}, resolution {b.resolution},",
                    exact_notes(b, taps, reference, True))


def classifier(w: Writer, b, backbone) -> None:
    write_classifier(w, ARCHS[b.family.name], b.hswish, b.classes, DROPOUT)


def write_backbone(w: Writer, arch: Arch, width_mult: float, hswish: str, detector: bool
                   ) -> tuple[dict[int, tuple[int, BlockInfo]], list[BlockInfo]]:
    """Stem and blocks (the last 1x1 conv only for the classifier); returns the stage end at each
    total stride (layer index, block) and the blocks."""
    stem, infos = blocks(arch, width_mult)
    w.comment(f"==== stem: 3x3 conv, stride 2, 3 -> {stem}, hard-swish")
    w.conv_act(stem, H, hswish, size=3, stride=2, module="conv_stem", bn_module="bn1")
    w.mark("stem")
    ends: dict[int, tuple[int, BlockInfo]] = {}
    stage = -1
    for b in infos:
        if b.kind == "cn" and detector:
            break
        if b.stage != stage:
            stage = b.stage
            w.comment(f"==== stage {b.stage + 1} (blocks.{b.stage}): output stride {b.out_stride}")
        p = b.name
        x = w.last
        se = f", SE {b.se}" if b.se else ""
        w.block(b.stage + 1, int(p.rsplit(".", 1)[1]) + 1,
                f"{p} {b.kind} k{b.kernel} s{b.stride}, {b.inp} -> {b.mid} -> {b.out}{se}, {b.act}"
                + (", residual" if b.residual else ""))
        if b.kind == "cn":
            w.conv_act(b.out, b.act, hswish, module=f"{p}.conv", bn_module=f"{p}.bn1")
        else:
            if b.kind == "ir":
                w.conv_act(b.mid, b.act, hswish, module=f"{p}.conv_pw", bn_module=f"{p}.bn1")
                dw_bn, last_conv, last_bn = f"{p}.bn2", f"{p}.conv_pwl", f"{p}.bn3"
            else:
                dw_bn, last_conv, last_bn = f"{p}.bn1", f"{p}.conv_pw", f"{p}.bn2"
            w.conv_act(b.mid, b.act, hswish, size=b.kernel, stride=b.stride, groups=b.mid,
                       module=f"{p}.conv_dw", bn_module=dw_bn)
            if b.se:
                w.se(w.last, b.se, f"{p}.se", hswish)
            # a residual block's output stays at its input's scale (the add needs one scale)
            w.conv(b.out, module=last_conv, bn_module=last_bn,
                   out_scale=w.scales[x] if b.residual else 1.0)
            if b.residual:
                w.add(x)
        w.mark(p)
        stage_name = p.rsplit(".", 1)[0]
        w.mark(stage_name)
        if b.kind != "cn":
            ends[b.out_stride] = (w.last, b)
    return ends, infos


def write_classifier(w: Writer, arch: Arch, hswish: str, classes: int, dropout: float) -> None:
    w.comment(f"==== head: global average pool, 1x1 conv -> {arch.features} (bias), hard-swish, dropout "
              f"{dropout}, {classes} classes")
    w.avgpool()
    w.mark("global_pool")
    w.conv_act(arch.features, H, hswish, bn=False, module="conv_head", linear_2d=True)
    if hswish != "approx":
        w.mark("conv_head", w.activated)
    w.mark("act2")
    w.dropout(dropout)
    w.fc(classes, "classifier")
