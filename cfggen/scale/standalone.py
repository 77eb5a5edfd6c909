"""What the families outside the MBConv pipeline share (ShuffleNetV2, PeleeNet): a layer writer, the
``[net]`` section, the classifier / yolo heads, option checks and the ``cfggen build`` line.

Such a family is a module with ``NAMES`` (variant name -> its settings) and ``backbone(name, writer,
activation)`` that writes its layers and returns the stage ends (total stride -> Tap) and what the
classifier head needs; ``compose`` here does the rest. The registry is ``cfggen.scale.variants.STANDALONE``.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Sequence

from cfggen.errors import GenerateError, UsageError


class Writer:
    """Darknet sections as text, with the running layer index (``first`` layers come before)."""

    def __init__(self, first: int = 0):
        self.first = first
        self.count = first          # index of the next layer
        self.parts: list[str] = []

    @property
    def last(self) -> int:
        return self.count - 1

    def text(self) -> str:
        return "".join(self.parts)

    def comment(self, line: str) -> None:
        self.parts.append(f"# {line}\n")

    def _add(self, lines: Sequence[str]) -> int:
        self.parts.append("\n".join(lines) + "\n\n")
        self.count += 1
        return self.count - 1

    def conv(self, filters: int, size: int = 1, stride: int = 1, activation: str = "linear", bn: bool = True,
             groups: int = 1) -> int:
        lines = ["[convolutional]"] + (["batch_normalize=1"] if bn else [])
        lines += [f"groups={groups}"] if groups != 1 else []
        lines += [f"filters={filters}", f"size={size}", f"stride={stride}", f"pad={1 if size > 1 else 0}",
                  f"activation={activation}"]
        return self._add(lines)

    def route(self, *layers: int) -> int:
        """``[route]`` over absolute indices, written relative (-N) so the cfg moves as a whole."""
        return self._add(["[route]", "layers=" + ",".join(str(i - self.count) for i in layers)])

    def pool(self, kind: str, size: int, stride: int, padding: int | None = None) -> int:
        lines = [f"[{kind}]", f"size={size}", f"stride={stride}"]
        return self._add(lines + ([f"padding={padding}"] if padding is not None else []))

    def plain(self, *lines: str) -> int:
        return self._add(lines)


@dataclass(frozen=True)
class Source:
    """The reference tensors of one darknet ``[convolutional]`` (what ``cfggen import`` maps onto it).

    ``shape``: the reference weight's full PyTorch shape. ``rows``: the PyTorch output channels this conv
    computes, in darknet order (weights and BN rows; None: all, in order). ``cols``: the PyTorch input
    channel that darknet input channel ``i`` carries (None: the same; not used by depthwise convs).
    """

    conv: str                 # reference module whose .weight it takes
    bn: str | None            # reference BN module; None: the conv's own .bias (the classifier)
    shape: tuple[int, ...]
    rows: tuple[int, ...] | None = None
    cols: tuple[int, ...] | None = None
    depthwise: bool = False


@dataclass(frozen=True)
class Backbone:
    """What a family's ``backbone`` wrote: stage ends, and the classifier head's input."""

    taps: dict            # total stride -> generate.Tap
    channels: int         # channels of the last layer (the classifier's input, the yolo head's lateral)
    title: str            # header line 1: "shufflenetv2-x1.0: torchvision shufflenet_v2_x1_0"
    notes: tuple[str, ...] = ()
    sources: tuple = ()   # per darknet conv, in order: the reference tensors it takes (cfggen import)
    marks: dict = field(default_factory=dict)   # reference module -> the layer computing its output
                                                # (up to a channel permutation), where one does


@dataclass(frozen=True)
class Recipe:
    """A classifier's training recipe in darknet keys, with where it comes from."""

    source: str
    keys: tuple[tuple[str, str], ...]
    kind: str = "recipe"


@dataclass(frozen=True)
class Family:
    """A standalone family: its module and the settings of one of its variants."""

    name: str                     # variant name, as on the command line and in file names
    module: str                   # cfggen.scale.shufflenet / cfggen.scale.peleenet
    resolution: int = 224
    activation: str = "relu"
    extra: dict = field(default_factory=dict)

    def impl(self):
        return importlib.import_module(self.module)


def family(name: str | None) -> Family | None:
    """The standalone family of a variant name (None: an MBConv variant or a custom network)."""
    if name is None:
        return None
    from cfggen.scale.variants import STANDALONE
    key = name.strip().lower()
    for fam in STANDALONE.values():
        if key in (fam.name, *fam.extra.get("aliases", ())):
            return fam
    return None


def _unsupported(fam: Family, given: dict) -> None:
    used = [flag for flag, value in given.items() if value not in (None, False)]
    if used:
        why = fam.extra.get("widths", "") if "--width-mult" in used else ""
        raise UsageError(f"{', '.join(used)} {'does' if len(used) == 1 else 'do'} not apply to {fam.name}"
                         f"{why}; it takes --head, --classes, --size, --activation, --anchors, --batch, "
                         "--subdivisions")


@dataclass(frozen=True)
class Standalone:
    """A generated cfg of a standalone family, with what import needs."""

    text: str
    family: Family
    backbone: Backbone
    taps: dict
    size: tuple[int, int]
    head: str
    classes: int
    activation: str
    first_layer: int
    marks: dict           # reference module (and "globalpool", "logits") -> its darknet layer


def compose(name: str, head: str | None = None, classes: int | None = None, size=None,
            activation: str | None = None, anchors=None, batch: int | None = None,
            subdivisions: int | None = None, input_layers: str = "", notes: Sequence[str] = (),
            mbconv_only: dict | None = None) -> Standalone:
    from cfggen.generate import (ACTIVATIONS, DETECTOR_STRIDE, HEADS, DetectorRecipe, _batching, count_layers,
                                 detector_size, format_anchor, parse_anchors, parse_size, scale_anchors)
    from cfggen.render import render

    fam = family(name)
    if fam is None:
        raise UsageError(f"unknown variant {name!r}")
    _unsupported(fam, mbconv_only or {})
    head = head or "classifier"
    if head not in HEADS:
        raise UsageError(f"unknown head {head!r}; expected one of {', '.join(HEADS)}")
    spec = HEADS[head]
    chosen = activation or fam.activation
    if chosen not in ACTIVATIONS:
        raise UsageError(f"unknown activation {chosen!r}; expected one of {', '.join(ACTIVATIONS)}")
    classes = spec.classes if classes is None else classes
    if classes < 1:
        raise UsageError(f"--classes must be at least 1 (got {classes})")
    size_note = ""
    if size is not None:
        width, height = parse_size(size)
        if spec.detector and (width % DETECTOR_STRIDE or height % DETECTOR_STRIDE):
            raise UsageError(f"--size {width}x{height}: a yolo head needs width and height that are multiples "
                             f"of {DETECTOR_STRIDE} (the yolo head's deepest stride), e.g. "
                             f"{detector_size(width)}x{detector_size(height)}")
        if min(width, height) < DETECTOR_STRIDE:
            raise UsageError(f"--size {width}x{height}: smaller than the network's total stride {DETECTOR_STRIDE}")
    else:
        width = height = fam.resolution
        if spec.detector and fam.resolution % DETECTOR_STRIDE:
            width = height = detector_size(fam.resolution)
            size_note = f"input {width}x{width}: the native {fam.resolution} rounded to a multiple of 32"
    impl = fam.impl()
    if hasattr(impl, "check_size"):
        impl.check_size(width, height)
    if batch is None and not spec.detector:
        batch = impl.BATCH            # the family's own recipe batch
    batch, subdivisions = _batching(spec, batch, subdivisions)
    if anchors is not None and not spec.detector:
        raise UsageError("--anchors only applies to the yolo and yolo-tiny heads")
    anchor_pairs = (parse_anchors(anchors, len(spec.anchors)) if anchors is not None
                    else scale_anchors(spec.anchors, spec.anchor_size, (width, height)))

    first = count_layers(input_layers)
    writer = Writer(first)
    bb = impl.backbone(fam, writer, chosen, detector=spec.detector)
    missing = [s for s in spec.taps if s not in bb.taps]
    if missing:
        raise GenerateError(f"{fam.name} has no stage end at stride {missing[0]}")
    command = _command(fam, head, classes, size, activation, anchors, batch, subdivisions, spec)
    header = [bb.title + f": {head} head, {classes} classes", f"generated by cfggen: {command}",
              *bb.notes, *notes]
    if spec.detector:
        net = render("net.cfg.j2", header=header, batch=batch, subdivisions=subdivisions, width=width,
                     height=height, size_note=size_note, recipe=DetectorRecipe(classes), resize_step=None)
    else:
        net = render("net-recipe.cfg.j2", header=header, batch=batch, subdivisions=subdivisions, width=width,
                     height=height, size_note=size_note, recipe=impl.recipe(fam, batch))
    pieces = [net, input_layers, writer.text()]
    marks = dict(bb.marks)
    if spec.detector:
        formatted = [tuple(format_anchor(v) for v in a) for a in anchor_pairs]
        pieces.append(render(spec.template, activation=chosen, classes=classes, det_filters=3 * (classes + 5),
                             widths=spec.widths, taps=bb.taps, anchors=formatted, masks=spec.masks))
    else:
        w = Writer(writer.count)
        w.comment(f"==== classifier: global average pool over {bb.channels} channels"
                  + (f", dropout {impl.DROPOUT}" if impl.DROPOUT else "") + f", fully connected -> {classes}")
        marks["globalpool"] = w.plain("[avgpool]")
        if impl.DROPOUT:
            w.plain("[dropout]", f"probability={impl.DROPOUT}")
        w.comment("fully connected layer as a 1x1 conv on the pooled 1x1 map: weights plus bias, no batch norm")
        marks["logits"] = w.conv(classes, bn=False)
        w.plain("[softmax]", "groups=1")
        pieces.append(w.text())
    return Standalone("".join(pieces), fam, bb, bb.taps, (width, height), head, classes, chosen, first, marks)


def _command(fam: Family, head, classes, size, activation, anchors, batch, subdivisions, spec) -> str:
    from cfggen.generate import _quote, default_subdivisions, parse_size
    words = ["cfggen build", fam.name]
    default = spec.batch if spec.detector else fam.impl().BATCH
    default_batch = (default, default_subdivisions(default, spec.minibatch))
    options = [("--head", head, head != "classifier"), ("--classes", classes, classes != spec.classes),
               ("--size", "%dx%d" % parse_size(size) if size is not None else None, size is not None),
               ("--activation", activation, activation not in (None, fam.activation)),
               ("--anchors", anchors if isinstance(anchors, str) else ",".join(map(str, anchors or ())),
                anchors is not None),
               ("--batch", batch, batch != default_batch[0]),
               ("--subdivisions", subdivisions, (batch, subdivisions) != default_batch)]
    words += [f"{flag} {_quote(value)}" for flag, value, given in options if given]
    return " ".join(words)
