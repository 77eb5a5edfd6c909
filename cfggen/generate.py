"""``generate()``: an EfficientNet variant (or a custom block list) as Darknet cfg text.

Pipeline: variant -> (width, depth, resolution) -> block strings -> decode -> scale -> Network ->
templates (net, stem, mbconv over all blocks, head) -> text. The templates are in ``templates/``.

The committed ``generated_cfgs/`` (every variant x head at defaults) is regenerated with::

    python -m cfggen.generate --write generated_cfgs
"""
from __future__ import annotations

import math
import os
import sys
from collections import Counter
from dataclasses import dataclass, replace
from typing import Iterable, NamedTuple, Sequence

from cfggen.errors import GenerateError, UsageError
from cfggen.scale import VARIANTS, Block, BlockArgs, Network, decode_list, encode, get_variant, scale
from cfggen.scale.bifpn import (EFFICIENTDET, STRIDE as BIFPN_STRIDE, Compound, efficientdet_anchors,
                                get_compound, layout, parse_levels)
from cfggen.scale.mixconv import ConvPlan
from cfggen.scale.rounding import round_filters
from cfggen.scale.variants import CUSTOM, Variant

ACTIVATIONS = ("swish", "relu6", "leaky", "mish", "relu")
DETECTOR_STRIDE = 32          # the deepest yolo output; detector inputs must be multiples of it
IMAGENET_TRAIN_IMAGES = 1_281_167
DEFAULT_COMPOUND = EFFICIENTDET["d0"]     # BiFPN width and repeats for --neck bifpn on any backbone

# Reference anchors in pixels, with the input size they were made for; scaled to the cfg's input.
YOLOV4_ANCHORS = ((12, 16), (19, 36), (40, 28), (36, 75), (76, 55), (72, 146), (142, 110), (192, 243),
                  (459, 401))                                                       # yolov4.cfg, 608
YOLOV4_TINY_ANCHORS = ((10, 14), (23, 27), (37, 58), (81, 82), (135, 169), (344, 319))  # yolov4-tiny, 416


@dataclass(frozen=True)
class Tap:
    """A backbone feature map a detector head reads: the last layer of a stage."""

    index: int            # absolute layer index (routes name it as yolov4.cfg names its backbone)
    description: str      # for the cfg comment


@dataclass(frozen=True)
class Head:
    name: str
    template: str
    classes: int                          # default --classes
    batch: int                            # default [net] batch ...
    minibatch: int                        # ... and images per forward pass (batch / subdivisions)
    taps: tuple[int, ...] = ()            # strides of the backbone stage ends the head reads
    widths: tuple[int, ...] = ()          # neck widths at width_mult 1.0, one per tap
    anchors: tuple[tuple[int, int], ...] = ()
    anchor_size: int = 0                  # the square input the reference anchors belong to
    masks: tuple[tuple[int, ...], ...] = ()

    @property
    def detector(self) -> bool:
        return bool(self.anchors)


HEADS: dict[str, Head] = {
    # batch 4096 is the recipe's (lr 0.256); 128 subdivisions of 32 images fit one GPU at B0
    "classifier": Head("classifier", "head-classifier.cfg.j2", classes=1000, batch=4096, minibatch=32),
    # neck widths double at b7 (width 2.0) to yolov4.cfg's 128/256/512
    "yolo": Head("yolo", "head-yolo.cfg.j2", classes=80, batch=64, minibatch=4, taps=(8, 16, 32),
                 widths=(64, 128, 256), anchors=YOLOV4_ANCHORS, anchor_size=608,
                 masks=((0, 1, 2), (3, 4, 5), (6, 7, 8))),
    # ... and to yolov3-tiny.cfg's 128/256
    "yolo-tiny": Head("yolo-tiny", "head-yolo-tiny.cfg.j2", classes=80, batch=64, minibatch=4, taps=(16, 32),
                      widths=(64, 128), anchors=YOLOV4_TINY_ANCHORS, anchor_size=416,
                      masks=((0, 1, 2), (3, 4, 5))),
}


@dataclass(frozen=True)
class ClassifierRecipe:
    """TF EfficientNet training (docs/efficientnet.md section 7) for a given batch size."""

    batch: int
    kind: str = "classifier"
    epoch_images: int = IMAGENET_TRAIN_IMAGES
    epochs: int = 350
    warmup_epochs: int = 5

    @property
    def iterations_per_epoch(self) -> int:
        return math.ceil(self.epoch_images / self.batch)

    @property
    def learning_rate(self) -> str:
        return f"{0.016 * self.batch / 256:.6g}"   # linear scaling: 0.256 at batch 4096

    @property
    def step(self) -> int:
        return round(2.4 * self.iterations_per_epoch)   # x0.97 every 2.4 epochs, staircase

    @property
    def burn_in(self) -> int:
        return self.warmup_epochs * self.iterations_per_epoch

    @property
    def max_batches(self) -> int:
        return self.epochs * self.iterations_per_epoch


@dataclass(frozen=True)
class DetectorRecipe:
    """AlexeyAB's rule for custom detectors: 2000 iterations per class, at least 6000."""

    classes: int
    kind: str = "detector"

    @property
    def max_batches(self) -> int:
        return max(6000, 2000 * self.classes)

    @property
    def steps(self) -> tuple[int, int]:
        return (self.max_batches * 8 // 10, self.max_batches * 9 // 10)


# --- option parsing (library and CLI share it) ----------------------------------------------------

def parse_size(size: str | int | Sequence[int]) -> tuple[int, int]:
    """``"416x320"`` / ``"416"`` / ``416`` / ``(416, 320)`` -> (width, height)."""
    if isinstance(size, int):
        dims: Sequence[object] = (size, size)
    elif isinstance(size, str):
        parts = size.lower().replace(",", "x").split("x")
        dims = parts * 2 if len(parts) == 1 else parts
    else:
        dims = tuple(size)
    try:
        width, height = (int(str(d).strip()) for d in dims)
    except ValueError:
        raise UsageError(f"--size {size!r}: expected WIDTHxHEIGHT, e.g. 416x416") from None
    if width < 1 or height < 1:
        raise UsageError(f"--size {size!r}: width and height must be positive")
    return width, height


def parse_anchors(anchors: str | Sequence[float] | Sequence[Sequence[float]], count: int
                  ) -> tuple[tuple[float, float], ...]:
    """``"10,14, 23,27, ..."`` or a flat / paired sequence -> ``count`` (w, h) pairs in pixels."""
    if isinstance(anchors, str):
        try:
            flat = [float(v) for v in anchors.replace(" ", "").split(",") if v]
        except ValueError:
            raise UsageError(f"--anchors {anchors!r}: expected comma-separated numbers") from None
    else:
        flat = [float(v) for a in anchors for v in (a if isinstance(a, (tuple, list)) else (a,))]
    if len(flat) != 2 * count:
        raise UsageError(f"--anchors: this head uses {count} anchors, so {2 * count} numbers "
                         f"(width,height pairs); got {len(flat)}")
    if min(flat) <= 0:
        raise UsageError("--anchors: every anchor width and height must be positive")
    return tuple(zip(flat[0::2], flat[1::2]))


def scale_anchors(anchors: Iterable[tuple[int, int]], reference: int, size: tuple[int, int]
                  ) -> tuple[tuple[int, int], ...]:
    """Keep each anchor's size relative to the image: pixels scale with the input size."""
    width, height = size
    return tuple((max(1, int(w * width / reference + 0.5)), max(1, int(h * height / reference + 0.5)))
                 for w, h in anchors)


def format_anchor(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def default_subdivisions(batch: int, minibatch: int) -> int:
    """The fewest passes per iteration that keep each pass at ``minibatch`` images or fewer."""
    return next(d for d in range(1, batch + 1) if batch % d == 0 and batch // d <= minibatch)


def detector_size(resolution: int, stride: int = 32) -> int:
    """The nearest multiple of ``stride`` (halves round up: 240 -> 256, 380 -> 384)."""
    return max(stride, stride * int(resolution / stride + 0.5))


def conv_out(n: int, kernel: int, stride: int) -> int:
    """Darknet's output size with pad=1 (padding kernel//2)."""
    return (n + 2 * (kernel // 2) - kernel) // stride + 1


def count_layers(text: str) -> int:
    """Layers in rendered cfg text: every section header (comments never start with '[')."""
    return sum(1 for line in text.splitlines() if line.startswith("[") and line != "[net]")


def format_values(values) -> str:
    """``0.485,0.456,0.406``: per-channel numbers as a cfg comment or ``cfggen import`` note writes them."""
    return ",".join(f"{v:g}" for v in values)


def input_normalize(mean, std) -> str:
    """The input-normalization layer ``cfggen import`` puts in front of the stem: (x - mean) / std."""
    from cfggen.render import render
    return render("input-normalize.cfg.j2", mean=format_values(mean), std=format_values(std))


# --- generate ------------------------------------------------------------------------------------

NECKS = ("pan", "bifpn")   # pan: the yolo head's own FPN+PAN; bifpn: EfficientDet's (scale/bifpn.py)


@dataclass(frozen=True)
class Neck:
    """The BiFPN settings of a detector (``kind="pan"``: the yolo head's own neck, no settings)."""

    kind: str = "pan"
    width: int = 0
    repeats: int = 0
    levels: tuple[int, ...] = ()
    compound: Compound | None = None     # an EfficientDet row (d0..d7)

    @property
    def stride(self) -> int:
        return BIFPN_STRIDE if self.kind == "bifpn" else DETECTOR_STRIDE


def _neck(variant, head, neck, bifpn_width, bifpn_repeats, levels, compound
          ) -> tuple[str | None, str, Neck]:
    """Resolve d0..d7 / --compound / --neck into (backbone variant, head, Neck)."""
    row = None
    if compound is not None:
        if variant is not None:
            raise UsageError("--compound PHI picks the EfficientDet variant (d0..d7) itself: give no variant")
        if f"d{compound}" not in EFFICIENTDET:
            raise UsageError(f"--compound {compound}: expected 0..7 (EfficientDet D0-D7)")
        row = EFFICIENTDET[f"d{compound}"]
    elif variant is not None:
        row = get_compound(variant)
    if row is not None:
        variant, head, neck = row.backbone, head or "yolo", neck or "bifpn"
        if neck != "bifpn":
            raise UsageError(f"{row.name} is an EfficientDet detector: its neck is the BiFPN")
    head, neck = head or "classifier", neck or "pan"
    if neck not in NECKS:
        raise UsageError(f"unknown neck {neck!r}; expected one of {', '.join(NECKS)}")
    if neck == "pan":
        given = [flag for flag, value in (("--bifpn-width", bifpn_width), ("--bifpn-repeats", bifpn_repeats),
                                          ("--levels", levels)) if value is not None]
        if given:
            raise UsageError(f"{', '.join(given)} only apply with --neck bifpn")
        return variant, head, Neck()
    if head != "yolo":
        raise UsageError(f"--neck bifpn builds its own yolo heads on the BiFPN levels: use --head yolo "
                         f"(got --head {head})")
    width = bifpn_width if bifpn_width is not None else (row.width if row else DEFAULT_COMPOUND.width)
    repeats = bifpn_repeats if bifpn_repeats is not None else (row.repeats if row else DEFAULT_COMPOUND.repeats)
    if width < 1:
        raise UsageError(f"--bifpn-width must be positive (got {width})")
    if repeats < 1:
        raise UsageError(f"--bifpn-repeats must be at least 1 (got {repeats})")
    return variant, head, Neck("bifpn", width, repeats, parse_levels(levels or "3-5"), row)


def generate(variant: str | None = "b0", head: str | None = None, classes: int | None = None,
             size: str | int | Sequence[int] | None = None, activation: str | None = None,
             se: bool = True, anchors: str | Sequence[float] | None = None, batch: int | None = None,
             subdivisions: int | None = None, blocks: str | Sequence[str | BlockArgs] | None = None,
             width_mult: float | None = None, depth_mult: float | None = None,
             resolution: int | None = None, neck: str | None = None, bifpn_width: int | None = None,
             bifpn_repeats: int | None = None, levels: str | None = None, compound: int | None = None,
             hswish: str | None = None) -> str:
    """Darknet cfg text for a variant: EfficientNet ``b0``..``b7``, ``lite0``..``lite4``, ``mixnet-s``/``-m``/
    ``-l``, ``mobilenetv2``, or an EfficientDet-style detector ``d0``..``d7`` (= ``compound=PHI``);
    ``mobilenetv3-large``/``-small``, ``ghostnet``, ``shufflenetv2-x0.5``..``-x2.0`` and ``peleenet`` are built
    layer by layer by ``cfggen.standalone`` (``hswish``: ``exact`` or ``approx``, for the first three).

    ``variant=None`` builds a custom network from ``blocks`` (default: the B0 baseline) scaled by
    ``width_mult``/``depth_mult`` at ``resolution``; with a variant, those override its values.
    ``head`` defaults to the classifier (``yolo`` for d0..d7); ``neck="bifpn"`` replaces the yolo
    head's FPN+PAN by EfficientDet's BiFPN (``bifpn_width``, ``bifpn_repeats``, ``levels="3-7"``).
    Bad input raises ``UsageError`` (options) or ``GenerateError`` (blocks that cannot be built).
    """
    from cfggen.standalone import compose as standalone, hswish_refused, lookup
    if lookup(variant) is not None:
        return standalone(variant, head=head, classes=classes, size=size, activation=activation,
                          width_mult=width_mult, resolution=resolution, hswish=hswish, anchors=anchors, batch=batch,
                          subdivisions=subdivisions, se=se, blocks=blocks, depth_mult=depth_mult, neck=neck,
                          bifpn_width=bifpn_width, bifpn_repeats=bifpn_repeats, levels=levels,
                          compound=compound).text
    if hswish is not None:
        raise hswish_refused()
    return compose(variant, head=head, classes=classes, size=size, activation=activation, se=se,
                   anchors=anchors, batch=batch, subdivisions=subdivisions, blocks=blocks,
                   width_mult=width_mult, depth_mult=depth_mult, resolution=resolution, neck=neck,
                   bifpn_width=bifpn_width, bifpn_repeats=bifpn_repeats, levels=levels,
                   compound=compound).text


@dataclass(frozen=True)
class Composed:
    """A generated cfg with what it was made from: converters (``cfggen import``) map weights onto
    ``net``'s blocks and need the layer indices of the backbone taps."""

    text: str
    net: Network
    taps: dict[int, Tap]          # total stride -> the last backbone layer at that stride
    size: tuple[int, int]
    variant: Variant
    head: Head
    classes: int
    activation: str
    first_layer: int              # index of the stem conv (the number of input layers before it)


def compose(variant: str | None = "b0", head: str | None = None, classes: int | None = None,
            size: str | int | Sequence[int] | None = None, activation: str | None = None,
            se: bool = True, anchors: str | Sequence[float] | None = None, batch: int | None = None,
            subdivisions: int | None = None, blocks: str | Sequence[str | BlockArgs] | None = None,
            width_mult: float | None = None, depth_mult: float | None = None,
            resolution: int | None = None, neck: str | None = None, bifpn_width: int | None = None,
            bifpn_repeats: int | None = None, levels: str | None = None, compound: int | None = None,
            input_layers: str = "", notes: Sequence[str] = ()) -> Composed:
    """``generate`` with its parts. ``input_layers`` is rendered cfg text placed between ``[net]``
    and the stem (every absolute index after it shifts, and the taps say so); ``notes`` are extra
    header lines. Without both, the text is exactly ``generate``'s."""
    named = variant
    variant, head, bifpn = _neck(variant, head, neck, bifpn_width, bifpn_repeats, levels, compound)
    base = get_variant(variant) if variant is not None else CUSTOM
    explicit_activation = activation is not None     # replaces the blocks' own (MixNet's swish) too
    activation = activation or base.rules.activation
    spec, classes = check_common_options(head, activation, classes, resolution)

    stages = decode_list(blocks) if blocks is not None else base.rules.stages
    width_mult = base.width_mult if width_mult is None else width_mult
    depth_mult = base.depth_mult if depth_mult is None else depth_mult
    native = bifpn.compound.resolution if bifpn.compound else base.resolution
    resolution = native if resolution is None else resolution
    net = scale(stages, width_mult, depth_mult, base.rules, se=se)
    if explicit_activation:
        net = replace(net, blocks=tuple(replace(b, activation=None) for b in net.blocks))

    input_size, size_note = _input_size(spec, base, resolution, size, net, bifpn)
    batch, subdivisions = _batching(spec, batch, subdivisions)
    if anchors is not None and not spec.detector:
        raise UsageError("--anchors only applies to the yolo and yolo-tiny heads")
    if bifpn.kind == "bifpn":
        count = 3 * len(bifpn.levels)
        default_anchors = (scale_anchors(spec.anchors, spec.anchor_size, input_size)
                           if bifpn.levels == (3, 4, 5) else efficientdet_anchors(bifpn.levels))
    else:
        count, default_anchors = len(spec.anchors), scale_anchors(spec.anchors, spec.anchor_size, input_size)
    anchor_pairs = parse_anchors(anchors, count) if anchors is not None else default_anchors

    from cfggen.render import render

    command = _command(named, head, classes, size, activation, se, anchors, batch, subdivisions,
                       blocks, width_mult, depth_mult, resolution, base, spec, bifpn, native,
                       (neck, bifpn_width, bifpn_repeats, levels))
    recipe = DetectorRecipe(classes) if spec.detector else ClassifierRecipe(batch)
    header = _header(base, head, classes, stages, net, activation, width_mult, depth_mult, resolution,
                     command, bifpn) + list(notes)
    pieces = [render("net.cfg.j2", header=header,
                     batch=batch, subdivisions=subdivisions, width=input_size[0], height=input_size[1],
                     size_note=size_note, recipe=recipe,
                     resize_step=BIFPN_STRIDE if bifpn.kind == "bifpn" else None)]
    first_layer = count_layers(input_layers)
    pieces.append(input_layers)
    body, taps, first = _render_backbone(net, input_size, activation, render, first_layer)
    pieces.extend(body)
    formatted = [tuple(format_anchor(v) for v in a) for a in anchor_pairs]
    if bifpn.kind == "bifpn":
        plan = layout({stride: tap.index for stride, tap in taps.items()}, first, bifpn.repeats, bifpn.levels)
        pieces.append(render("neck-bifpn.cfg.j2", plan=plan, width=bifpn.width, repeats=bifpn.repeats,
                             activation=activation, classes=classes, det_filters=3 * (classes + 5),
                             anchors=formatted))
        return Composed("".join(pieces), net, taps, input_size, base, spec, classes, activation, first_layer)
    pieces.append(render(
        spec.template, activation=activation, classes=classes, head=net.head, dropout=base.dropout,
        in_filters=net.blocks[-1].out_filters, det_filters=3 * (classes + 5),
        widths=tuple(round_filters(w, width_mult) for w in spec.widths), taps=taps,
        anchors=formatted, masks=spec.masks))
    return Composed("".join(pieces), net, taps, input_size, base, spec, classes, activation, first_layer)


def check_common_options(head: str, activation: str | None, classes: int | None, resolution: int | None
                         ) -> tuple[Head, int]:
    """The checks of the options every generator takes (``activation`` None: the network has no choice of
    one); returns the head and the class count (the head's default when not given)."""
    if head not in HEADS:
        raise UsageError(f"unknown head {head!r}; expected one of {', '.join(HEADS)}")
    spec = HEADS[head]
    if activation is not None and activation not in ACTIVATIONS:
        raise UsageError(f"unknown activation {activation!r}; expected one of {', '.join(ACTIVATIONS)}")
    classes = spec.classes if classes is None else classes
    if classes < 1:
        raise UsageError(f"--classes must be at least 1 (got {classes})")
    if resolution is not None and resolution < 1:
        raise UsageError(f"--resolution must be positive (got {resolution})")
    return spec, classes


def given_size(size, detector: bool, stride: int = DETECTOR_STRIDE, total_stride: int = DETECTOR_STRIDE,
               what: str = "a yolo head", why: str = "the yolo head's deepest stride") -> tuple[int, int]:
    """``--size`` as (width, height), checked: a detector's sides are multiples of ``stride`` (``why``),
    and no side is below the network's total stride."""
    width, height = parse_size(size)
    if detector and (width % stride or height % stride):
        near = f"{detector_size(width, stride)}x{detector_size(height, stride)}"
        raise UsageError(f"--size {width}x{height}: {what} needs width and height that are "
                         f"multiples of {stride} ({why}), e.g. {near}")
    if min(width, height) < total_stride:
        raise UsageError(f"--size {width}x{height}: smaller than the network's total stride "
                         f"{total_stride}")
    return width, height


def _input_size(spec: Head, base: Variant, resolution: int, size, net: Network, neck: Neck
                ) -> tuple[tuple[int, int], str]:
    total_stride = net.blocks[-1].out_stride
    stride = neck.stride
    if spec.detector:
        missing = [s for s in spec.taps if s not in net.stage_ends()]
        if missing or total_stride != max(spec.taps):
            reached = sorted(net.stage_ends())
            raise GenerateError(f"the {spec.name} head taps the "
                                f"stage ends at strides {', '.join(map(str, spec.taps))}; these blocks "
                                f"end stages at strides {', '.join(map(str, reached))}")
    why = "the BiFPN's P7 stride" if neck.kind == "bifpn" else "the yolo head's deepest stride"
    if size is not None:
        what = "a BiFPN detector" if neck.kind == "bifpn" else "a yolo head"
        return given_size(size, spec.detector, stride, total_stride, what, why), ""
    if spec.detector and resolution % stride:
        side = detector_size(resolution, stride)
        return (side, side), (f"input {side}x{side}: {_describe(base)}'s native {resolution} rounded to a "
                              f"multiple of {stride}, {why}")
    return (resolution, resolution), ""


def _batching(spec: Head, batch: int | None, subdivisions: int | None) -> tuple[int, int]:
    batch = spec.batch if batch is None else batch
    if batch < 1:
        raise UsageError(f"--batch must be at least 1 (got {batch})")
    if subdivisions is None:
        subdivisions = default_subdivisions(batch, spec.minibatch)
    if subdivisions < 1 or batch % subdivisions:
        # darknet would silently train with batch // subdivisions images per pass
        raise UsageError(f"--batch {batch} is not divisible by --subdivisions {subdivisions}")
    return batch, subdivisions


class BlockView(NamedTuple):
    """What mbconv.cfg.j2 prints for one block, looked up once here: each attribute a template
    reads costs a Jinja getattr per block. A NamedTuple: ~1,600 of them per set of defaults, and a
    frozen dataclass of 12 fields costs three times as much to build."""

    b: Block
    repeats: int              # blocks of the block's stage part (the part header says "N x MBConv")
    out_w: int
    out_h: int
    activation: str
    k: str                    # kernel sizes, "3" or MixNet's "3.5.7"
    expand: ConvPlan | None   # the block's plans (expand None without an expand conv)
    depthwise: ConvPlan
    project: ConvPlan
    simple: tuple[bool, bool, bool]   # which of expand/depthwise/project is one plain conv
    details: str
    shortcut_from: int        # [shortcut] from=: every layer of the block, plus the [dropout], plus one


def _render_backbone(net: Network, size: tuple[int, int], activation: str, render, first_layer: int = 0
                     ) -> tuple[list[str], dict[int, Tap], int]:
    """Stem and blocks, the stage end at each total stride (what detector heads tap), and the
    index of the first layer after the backbone.

    All blocks render in one template call (a render per block cost more than the blocks'
    text); the layer indices come from the plans (``Block.body_layers``), which the drift test
    and test_taps_are_the_last_layer_of_their_stage pin to the rendered sections.
    """
    width, height = conv_out(size[0], 3, 2), conv_out(size[1], 3, 2)
    stem = render("stem.cfg.j2", filters=net.stem, activation=activation, out_w=width, out_h=height)
    layers = first_layer + count_layers(stem)
    repeats = Counter((b.stage, b.part) for b in net.blocks)
    views: list[BlockView] = []
    ends: dict[int, tuple[int, Block, int, int]] = {}   # total stride -> its last layer, block, size
    for block in net.blocks:
        width, height = conv_out(width, block.kernel, block.stride), conv_out(height, block.kernel, block.stride)
        expand, depthwise, project = block.plans
        body = block.body_layers
        views.append(BlockView(block, repeats[block.stage, block.part], width, height,
                               block.activation or activation, ".".join(map(str, block.kernels)),
                               expand, depthwise, project,
                               (expand is None or expand.single is not None, depthwise.single is not None,
                                project.single is not None),
                               _block_details(block), -(body + 1)))
        layers += body + block.skip     # + the [shortcut]
        ends[block.out_stride] = (layers - 1, block, width, height)
    taps = {stride: Tap(index, f"layer {index}, the end of stage {block.stage}, {w}x{h}x{block.out_filters}")
            for stride, (index, block, w, h) in ends.items()}
    return [stem, render("mbconv.cfg.j2", blocks=views)], taps, layers


def _block_details(b) -> str:
    """The block comment's tail: grouped 1x1 convs, SE width, its own activation, residual."""
    parts = [f"1x1 groups {b.expand_groups}/{b.project_groups}"] if b.expand_groups > 1 or b.project_groups > 1 else []
    parts += [f"SE {b.se_filters}"] if b.se_filters else []
    parts += [b.activation] if b.activation else []
    parts += ["residual"] if b.skip else []
    return "".join(", " + p for p in parts)


def _describe(base: Variant) -> str:
    return base.full_name if base.name != "custom" else "the custom network"


def _header(base: Variant, head: str, classes: int, stages: Sequence[BlockArgs], net: Network,
            activation: str, width_mult: float, depth_mult: float, resolution: int, command: str,
            neck: Neck) -> list[str]:
    name = base.full_name if base.name != "custom" else f"custom {base.rules.title}"
    if neck.kind == "bifpn":
        levels = f"P{neck.levels[0]}-P{neck.levels[-1]}"
        title = f"efficientdet-{neck.compound.name}" if neck.compound else "BiFPN detector"
        name = (f"{title}: {name} backbone + BiFPN (width {neck.width}, {neck.repeats} repeats, P3-P7) + "
                f"yolo heads on {levels}; backbone")
    se = "SE" if any(b.se_filters for b in net.blocks) else "no SE"

    def spell(stage: BlockArgs) -> str:   # as built: without SE when the family or --no-se drops it
        return encode(stage if se == "SE" else replace(stage, se_ratio=None))

    lines = [
        f"{name}: width {float(width_mult)}, depth {float(depth_mult)}, resolution {resolution}, {head} head, "
        f"{classes} classes",
        f"generated by cfggen: {command}",
        f"{len(net.blocks)} MBConv blocks in {len(stages)} stages, {se}, {activation}; stages before "
        f"scaling (TF block strings):",
        *(f"  {spell(s) if isinstance(s, BlockArgs) else ', '.join(map(spell, s))}" for s in stages),
    ]
    if base.rules.drop_connect:
        lines += [
            "residual blocks end in [dropout] + [shortcut]: the dropout stands in for drop-connect, rate",
            f"{base.rules.drop_connect} * block / blocks (elementwise in darknet, per-sample in TF; both "
            f"identity at inference)"]
    if activation == "relu6":
        # relu6 is Lite's and MobileNetV2's official activation, so it stays; the validator's
        # relu6-cpu warning is answered here once, for the whole file
        why = base.rules.title if base.rules.activation == "relu6" else "--activation relu6"
        lines += ["relu6 needs a GPU build: AlexeyAB darknet's CPU activate() has no relu6 case and "
                  "outputs 0 (use --activation relu to run on CPU)",
                  f"cfggen: disable-file DN501 -- relu6 is intended ({why}); GPU-only, see above"]
    return lines


def _command(variant, head, classes, size, activation, se, anchors, batch, subdivisions, blocks,
             width_mult, depth_mult, resolution, base: Variant, spec: Head, neck: Neck, native: int,
             neck_options: tuple) -> str:
    """The ``cfggen build`` line that reproduces this cfg (only non-default options)."""
    row = neck.compound
    name = row.name if row else base.name
    words = ["cfggen build"] + ([name] if variant is not None or row else [])
    default_batch = (spec.batch, default_subdivisions(spec.batch, spec.minibatch))
    _, bifpn_width, bifpn_repeats, levels = neck_options
    options = [
        ("--head", head, head != ("yolo" if row else "classifier")),
        ("--neck", neck.kind, neck.kind == "bifpn" and not row),
        ("--bifpn-width", bifpn_width, bifpn_width is not None),
        ("--bifpn-repeats", bifpn_repeats, bifpn_repeats is not None),
        ("--levels", levels, levels is not None),
        ("--classes", classes, classes != spec.classes),
        ("--size", "%dx%d" % parse_size(size) if size is not None else None, size is not None),
        ("--activation", activation, activation != base.rules.activation),
        ("--no-se", None, not se),
        ("--anchors", anchors if isinstance(anchors, str) else ",".join(map(str, anchors or ())),
         anchors is not None),
        ("--batch", batch, batch != default_batch[0]),
        ("--subdivisions", subdivisions, (batch, subdivisions) != default_batch),
        ("--blocks", blocks, blocks is not None),
        ("--width-mult", width_mult, width_mult != base.width_mult),
        ("--depth-mult", depth_mult, depth_mult != base.depth_mult),
        ("--resolution", resolution, resolution != native),
    ]
    for flag, value, given in options:
        if given:
            words.append(flag if value is None else f"{flag} {_quote(value)}")
    return " ".join(words)


def _quote(value: object) -> str:
    if isinstance(value, (list, tuple)):
        value = ",".join(encode(v) if isinstance(v, BlockArgs) else str(v) for v in value)
    text = str(value)
    return f'"{text}"' if any(c in text for c in " ,") else text


# --- the committed defaults and `cfggen list` ----------------------------------------------------

def default_filename(variant: str, head: str | None = None) -> str:
    from cfggen.standalone import lookup
    suffix = "" if head in (None, "classifier") else f"-{head}"
    fam = lookup(variant)
    if fam is not None:
        return f"{fam.name}{suffix}.cfg"
    row = get_compound(variant)
    if row is not None:
        return f"efficientdet-{row.name}.cfg"
    return f"{get_variant(variant).full_name}{suffix}.cfg"


def default_cfgs() -> dict[str, str]:
    """Every variant x head, and every EfficientDet, at default options: file name -> cfg text
    (``generated_cfgs/``)."""
    cfgs = {default_filename(v, h): generate(v, head=h) for v in VARIANTS for h in HEADS}
    cfgs.update((default_filename(d), generate(d)) for d in EFFICIENTDET)
    from cfggen.standalone import NAMES      # the layer-by-layer families
    cfgs.update((default_filename(v, h), generate(v, head=h)) for v in NAMES for h in HEADS)
    return cfgs


@dataclass(frozen=True)
class Summary:
    variant: str
    width: int
    height: int
    layers: int
    params: int
    bflops: str


def summarize(variant: str, head: str | None = "classifier") -> Summary:
    """One ``cfggen list`` row: layers, parameters and BFLOPs as the validator computes them."""
    from cfggen.api import analyze_text

    head = None if get_compound(variant) else head
    text = generate(variant, head=head)
    result = analyze_text(text, path=default_filename(variant, head), sizes="native")
    net = result.network
    return Summary(variant, net.width, net.height, len(net.layers), net.totals.params,
                   net.totals.bflops_printed)


def write_atomic(path: str, text: str) -> None:
    """Write via a temp file in the same directory and ``os.replace``: never a half-written file."""
    from cfggen.fileio import write_atomic as write
    write(path, text)


def main(argv: list[str] | None = None) -> int:
    """``python -m cfggen.generate --write DIR``: regenerate the committed default cfgs."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] != "--write":
        print("usage: python -m cfggen.generate --write DIR", file=sys.stderr)
        return 2
    directory = args[1]
    os.makedirs(directory, exist_ok=True)
    cfgs = default_cfgs()
    for name, text in cfgs.items():
        write_atomic(os.path.join(directory, name), text)
    print(f"wrote {len(cfgs)} cfgs to {directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
