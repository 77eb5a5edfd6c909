"""Networks generated layer by layer rather than from MBConv block strings (issue 21): MobileNetV3-Large/
-Small, GhostNet, ShuffleNetV2 x0.5..x2.0 and PeleeNet. One registry (``FAMILIES``), one ``compose``.

Each family is a generator module (``cfggen/scale/<family>.py``) with

- ``backbone(w, b) -> Backbone``: writes the layers up to the classifier's pool (or up to the stride-32
  stage end for a detector, ``b.spec.detector``) with ``scale.sequential.Writer``, which records every
  conv's checkpoint tensors, channel permutations and scale factors (what ``cfggen import`` folds in);
- ``classifier(w, b, backbone)``: the classifier head (marked ``logits``);
- ``BATCH`` and ``recipe(batch)``: its own training recipe (``BATCH = None``: cfggen's EfficientNet recipe);
- optionally ``check_size(width, height)``;

and an importer module (``cfggen/convert/<family>.py``, its ``NAMINGS``) for ``cfggen.convert.sequential``.
``compose`` here does the rest the same way for all: option checks, the ``[net]`` section, the yolo heads,
the input normalization of an import, the header and its ``cfggen build`` line.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Sequence

from cfggen.errors import GenerateError, UsageError
from cfggen.scale.sequential import HSWISH_MODES, Writer

COMMON = ("--head", "--classes", "--size")
TRAILING = ("--anchors", "--batch", "--subdivisions")


@dataclass(frozen=True)
class Family:
    """One network of the registry: its generator and importer modules and what it takes."""

    name: str                             # as on the command line and in file names
    module: str                           # generator: cfggen.scale.<family>
    importer: str                         # cfggen.convert.<family> (its NAMINGS)
    aliases: tuple[str, ...] = ()
    options: tuple[str, ...] = ()         # beyond the common ones: "activation", or "width_mult", "resolution", "hswish"
    activation: str = "relu"              # default --activation (families that take one)
    head_activation: str | None = None    # the yolo head's activation (None: the network's)
    resolution: int = 224
    fixed: str = ""                       # why --width-mult is not an option
    extra: dict = field(default_factory=dict)

    def impl(self):
        return importlib.import_module(self.module)


def _shufflenet(w: str) -> Family:
    tv = f"shufflenet_v2_{w.replace('.', '_')}"
    return Family(f"shufflenetv2-{w}", "cfggen.scale.shufflenet", "cfggen.convert.shufflenet",
                  (tv, f"shufflenetv2_{w}"), ("activation",),
                  fixed="torchvision's widths are a fixed table per variant: pick shufflenetv2-x0.5, -x1.0, -x1.5 "
                        "or -x2.0", extra={"width": w})


_EXACT = ("width_mult", "resolution", "hswish")
FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("mobilenetv3-large", "cfggen.scale.mobilenetv3", "cfggen.convert.mobilenetv3",
           ("mobilenetv3_large_100", "mobilenet_v3_large"), _EXACT, head_activation="leaky"),
    Family("mobilenetv3-small", "cfggen.scale.mobilenetv3", "cfggen.convert.mobilenetv3",
           ("mobilenetv3_small_100", "mobilenet_v3_small"), _EXACT, head_activation="leaky"),
    Family("ghostnet", "cfggen.scale.ghostnet", "cfggen.convert.ghostnet", ("ghostnet_100", "ghostnet-1.0"), _EXACT,
           head_activation="leaky"),
    *(_shufflenet(w) for w in ("x0.5", "x1.0", "x1.5", "x2.0")),
    Family("peleenet", "cfggen.scale.peleenet", "cfggen.convert.peleenet", ("pelee",), ("activation",),
           fixed="PeleeNet has one width"),
)}
NAMES = tuple(FAMILIES)


def lookup(name: str | None) -> Family | None:
    """The family of ``name`` (or an alias), None when it is not one of these."""
    if name is None:
        return None
    key = name.strip().lower()
    for fam in FAMILIES.values():
        if key == fam.name or key in fam.aliases:
            return fam
    return None


def hswish_refused() -> UsageError:
    """``--hswish`` given to a network that has no hard-swish or hard-sigmoid."""
    names = [f.name for f in FAMILIES.values() if "hswish" in f.options]
    return UsageError(f"--hswish applies to {', '.join(names[:-1])} and {names[-1]}")


def importers() -> tuple[str, ...]:
    """The importer modules, in registry order (``cfggen import`` tries their namings in this order)."""
    return tuple(dict.fromkeys(f.importer for f in FAMILIES.values()))


@dataclass(frozen=True)
class Build:
    """What a family's ``backbone`` and ``classifier`` are given: the checked options."""

    family: Family
    head: str
    spec: object                  # generate.Head
    classes: int
    activation: str | None        # families with --activation
    hswish: str | None            # families with --hswish
    width_mult: float
    resolution: int               # the native resolution


@dataclass(frozen=True)
class Backbone:
    """What a family's ``backbone`` wrote."""

    taps: dict                    # total stride -> generate.Tap (the stage ends)
    channels: int                 # channels of the last layer
    title: str                    # header line 1 up to " HEAD head, N classes" ("peleenet: ...:", "GhostNet: width 1.0, ...,")
    notes: tuple[str, ...] = ()   # header lines after the build command
    extra: dict = field(default_factory=dict)   # what the family's classifier needs


@dataclass(frozen=True)
class Built:
    """A generated cfg with what import needs: the writer's conv sources, marks and taps."""

    text: str
    family: Family
    writer: Writer
    head: str
    classes: int
    size: tuple[int, int]
    width_mult: float
    hswish: str | None
    activation: str | None
    normalize: bool
    taps: dict = field(default_factory=dict)      # stride -> Tap
    backbone_end: int = 0                          # layers 0..backbone_end-1 are the backbone

    @property
    def marks(self) -> dict[str, int]:
        """Reference module (and "logits", ...) -> the layer computing its output (up to scale and
        channel order)."""
        return self.writer.marks


def compose(name: str, head: str | None = None, classes: int | None = None, size=None,
            activation: str | None = None, width_mult: float | None = None, resolution: int | None = None,
            hswish: str | None = None, anchors=None, batch: int | None = None, subdivisions: int | None = None,
            normalize: tuple | None = None, notes: Sequence[str] = (), fixed_ok: bool = False,
            **unsupported) -> Built:
    """Build family ``name``'s cfg. ``normalize=(mean, std)``: an input-normalization conv as layer 0
    (``cfggen import``); ``fixed_ok``: allow ``hswish="relu"`` (its fixed layers need import's weights).
    Options the family has no use for (``unsupported``, the MBConv ones, when given) are refused."""
    from cfggen.generate import (DETECTOR_STRIDE, ClassifierRecipe, DetectorRecipe, _batching, check_common_options,
                                 count_layers, detector_size, format_anchor, given_size, input_normalize, parse_anchors,
                                 scale_anchors)
    from cfggen.render import render
    from cfggen.scale.rounding import round_filters

    fam = lookup(name)
    if fam is None:
        raise UsageError(f"unknown variant {name!r}")
    if hswish is not None and "hswish" not in fam.options:
        raise hswish_refused()
    given = {"activation": activation, "width_mult": width_mult, "resolution": resolution, **unsupported}
    # se defaults to True (EfficientNet's --no-se); every other option defaults to None
    used = [("--no-se" if k == "se" else "--" + k.replace("_", "-")) for k, v in given.items()
            if k not in fam.options and (v is False if k == "se" else v is not None)]
    if used:
        why = fam.fixed if fam.fixed and "--width-mult" in used else "it is built from its reference's table"
        takes = [*COMMON, *("--" + o.replace("_", "-") for o in fam.options), *TRAILING]
        raise UsageError(f"{', '.join(used)}: not an option of {fam.name} ({why}; its options are "
                         f"{', '.join(takes)})")
    head = head or "classifier"
    chosen = (activation or fam.activation) if "activation" in fam.options else None
    spec, classes = check_common_options(head, chosen, classes, resolution)
    if "hswish" in fam.options:
        hswish = hswish or "exact"
        if hswish not in HSWISH_MODES:
            raise UsageError(f"--hswish {hswish!r}: expected {', '.join(HSWISH_MODES)}")
        if hswish == "relu" and not fixed_ok:
            raise UsageError("--hswish relu has fixed layers whose weights only cfggen import writes: use "
                             "cfggen import --hswish relu (for readers without hardtan, e.g. OpenCV)")
    mult = 1.0 if width_mult is None else float(width_mult)
    if not (0 < mult < float("inf")):     # nan fails both comparisons
        raise UsageError(f"--width-mult must be a positive number (got {mult})")
    native = fam.resolution if resolution is None else resolution
    size_note = ""
    if size is not None:
        width, height = given_size(size, spec.detector)
    elif spec.detector and native % DETECTOR_STRIDE:
        width = height = detector_size(native)
        size_note = f"input {width}x{width}: the native {native} rounded to a multiple of 32"
    else:
        width = height = native
    impl = fam.impl()
    if hasattr(impl, "check_size"):
        impl.check_size(width, height)
    own_recipe = impl.BATCH is not None and not spec.detector
    if batch is None and own_recipe:
        batch = impl.BATCH
    batch, subdivisions = _batching(spec, batch, subdivisions)
    if anchors is not None and not spec.detector:
        raise UsageError("--anchors only applies to the yolo and yolo-tiny heads")
    anchor_pairs = (parse_anchors(anchors, len(spec.anchors)) if anchors is not None
                    else scale_anchors(spec.anchors, spec.anchor_size, (width, height)))

    first = input_normalize(*normalize) if normalize is not None else ""
    w = Writer.after(count_layers(first))
    b = Build(fam, head, spec, classes, chosen, hswish, mult, native)
    bb = impl.backbone(w, b)
    missing = [s for s in spec.taps if s not in bb.taps]
    if missing:
        raise GenerateError(f"{fam.name} has no stage end at stride {missing[0]}")
    backbone_end = w.count
    head_text = ""
    if spec.detector:
        head_text = render(spec.template, activation=fam.head_activation or chosen, classes=classes,
                           det_filters=3 * (classes + 5), widths=tuple(round_filters(x, mult) for x in spec.widths),
                           taps=bb.taps, anchors=[tuple(format_anchor(v) for v in a) for a in anchor_pairs],
                           masks=spec.masks)
    else:
        impl.classifier(w, b, bb)

    default_batch = impl.BATCH if own_recipe else spec.batch
    command = _command(fam, head, classes, size, activation, mult, resolution, hswish, anchors, batch, subdivisions,
                       default_batch, spec)
    header = [f"{bb.title} {head} head, {classes} classes", f"generated by cfggen: {command}", *bb.notes]
    if not spec.detector and not own_recipe:
        header.append("training settings below: cfggen's EfficientNet recipe for every classifier it builds, not "
                      "the paper's own schedule")
    header += list(notes)
    recipe = (DetectorRecipe(classes) if spec.detector else impl.recipe(batch) if own_recipe
              else ClassifierRecipe(batch))
    net = render("net.cfg.j2", header=header, batch=batch, subdivisions=subdivisions, width=width, height=height,
                 size_note=size_note, recipe=recipe, resize_step=None)
    return Built(net + first + w.text() + head_text, fam, w, head, classes, (width, height), mult, hswish, chosen,
                 normalize is not None, bb.taps, backbone_end)


def _command(fam: Family, head, classes, size, activation, width_mult, resolution, hswish, anchors, batch,
             subdivisions, default_batch: int, spec) -> str:
    from cfggen.generate import _quote, default_subdivisions, parse_size
    # --hswish relu exists only through the import (its fixed layers need the import's weights)
    words = ["cfggen import CHECKPOINT"] if hswish == "relu" else ["cfggen build", fam.name]
    default = (default_batch, default_subdivisions(default_batch, spec.minibatch))
    options = [("--head", head, head != "classifier"), ("--classes", classes, classes != spec.classes),
               ("--size", "%dx%d" % parse_size(size) if size is not None else None, size is not None),
               ("--activation", activation, activation not in (None, fam.activation)),
               ("--width-mult", width_mult, width_mult != 1.0), ("--resolution", resolution, resolution is not None),
               ("--hswish", hswish, hswish not in (None, "exact")),
               ("--anchors", anchors if isinstance(anchors, str) else ",".join(map(str, anchors or ())),
                anchors is not None),
               ("--batch", batch, batch != default[0]),
               ("--subdivisions", subdivisions, (batch, subdivisions) != default)]
    words += [f"{flag} {_quote(value)}" for flag, value, given in options if given]
    return " ".join(words)
