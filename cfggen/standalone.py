"""Networks generated layer by layer rather than from MBConv block strings: MobileNetV3-Large/-Small
and GhostNet (issue 21). ``generate.generate``/``compose`` hand these names here.

Each family writes its backbone and classifier with ``scale.sequential.Writer``, which keeps, for
every conv, the checkpoint tensors it holds and the scale factors ``cfggen import`` folds into them;
the ``[net]`` section and the yolo heads are the shared templates.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Callable, Sequence

from cfggen.errors import UsageError
from cfggen.scale.sequential import HSWISH_MODES, Writer, hswish_note


@dataclass(frozen=True)
class Family:
    name: str
    title: str
    params: int                   # the reference's parameters (width 1.0, 1000 classes)
    reference: str                # where the architecture comes from
    hswish: bool                  # uses hard-swish element-wise (else only the hard-sigmoid SE gate)
    backbone: Callable            # (writer, width_mult, hswish, detector) -> (ends, blocks)
    classifier: Callable          # (writer, hswish, classes, dropout) -> None
    dropout: float = 0.2
    resolution: int = 224


def _families() -> dict[str, Family]:
    from cfggen.scale import ghostnet, mobilenetv3 as m3

    def mnv3(name: str) -> Family:
        arch = m3.ARCHS[name]
        return Family(name, arch.title, arch.params, "geffnet 1.0.2 mobilenetv3_%s_100 / torchvision mobilenet_v3_%s"
                      % ((name.rsplit("-", 1)[1],) * 2), True,
                      lambda w, wm, hs, det: m3.write_backbone(w, arch, wm, hs, det),
                      lambda w, hs, classes, dropout: m3.write_classifier(w, arch, hs, classes, dropout))

    return {"mobilenetv3-large": mnv3("mobilenetv3-large"), "mobilenetv3-small": mnv3("mobilenetv3-small"),
            "ghostnet": Family("ghostnet", ghostnet.TITLE, ghostnet.PARAMS,
                               "huawei-noah Efficient-AI-Backbones ghostnet_pytorch (GhostNet 1.0x)", False,
                               lambda w, wm, hs, det: ghostnet.write_backbone(w, wm, hs, det),
                               lambda w, hs, classes, dropout: ghostnet.write_classifier(w, classes, dropout))}


NAMES = ("mobilenetv3-large", "mobilenetv3-small", "ghostnet")
ALIASES = {"mobilenetv3_large_100": "mobilenetv3-large", "mobilenet_v3_large": "mobilenetv3-large",
           "mobilenetv3_small_100": "mobilenetv3-small", "mobilenet_v3_small": "mobilenetv3-small",
           "ghostnet_100": "ghostnet", "ghostnet-1.0": "ghostnet"}


@functools.cache
def families() -> dict[str, Family]:
    return _families()


def lookup(name: str | None) -> str | None:
    """The family name for ``name`` (or an alias), None when it is not one of these."""
    if name is None:
        return None
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    return key if key in NAMES else None


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
    hswish: str
    normalize: bool
    taps: dict = field(default_factory=dict)      # stride -> Tap
    backbone_end: int = 0                          # layers 0..backbone_end-1 are the backbone


def compose(name: str, head: str | None = None, classes: int | None = None, size=None,
            width_mult: float | None = None, resolution: int | None = None, hswish: str | None = None,
            anchors=None, batch: int | None = None, subdivisions: int | None = None,
            normalize: tuple | None = None, notes: Sequence[str] = (), fixed_ok: bool = False,
            **unsupported) -> Built:
    """Build family ``name``'s cfg. ``normalize=(mean, std)``: an input-normalization conv as layer 0
    (``cfggen import``); ``fixed_ok``: allow ``hswish="relu"`` (its fixed layers need import's weights). Options the family has no use for (``unsupported``, when given) are refused."""
    from cfggen.generate import (HEADS, ClassifierRecipe, DetectorRecipe, Tap, _batching, detector_size,
                                 format_anchor, parse_anchors, parse_size, scale_anchors)
    from cfggen.render import render

    key = lookup(name)
    fam = families()[key]
    # se defaults to True (EfficientNet's --no-se); every other option defaults to None
    given = [("--no-se" if k == "se" else "--" + k.replace("_", "-")) for k, v in unsupported.items()
             if (v is False if k == "se" else v is not None)]
    if given:
        raise UsageError(f"{', '.join(given)}: not an option of {key} (it is built from its reference's table; "
                         "its options are --head, --classes, --size, --width-mult, --resolution, --hswish, "
                         "--anchors, --batch, --subdivisions)")
    head = head or "classifier"
    if head not in HEADS:
        raise UsageError(f"unknown head {head!r}; expected one of {', '.join(HEADS)}")
    spec = HEADS[head]
    hswish = hswish or "exact"
    if hswish not in HSWISH_MODES:
        raise UsageError(f"--hswish {hswish!r}: expected {', '.join(HSWISH_MODES)}")
    if hswish == "relu" and not fixed_ok:
        raise UsageError("--hswish relu has fixed layers whose weights only cfggen import writes: use "
                         "cfggen import --hswish relu (for readers without hardtan, e.g. OpenCV)")
    width_mult = 1.0 if width_mult is None else float(width_mult)
    if width_mult <= 0:
        raise UsageError(f"--width-mult must be positive (got {width_mult})")
    classes = spec.classes if classes is None else classes
    if classes < 1:
        raise UsageError(f"--classes must be at least 1 (got {classes})")
    if resolution is not None and resolution < 1:
        raise UsageError(f"--resolution must be positive (got {resolution})")
    native = fam.resolution if resolution is None else resolution
    size_note = ""
    if size is not None:
        input_size = parse_size(size)
        if spec.detector and (input_size[0] % 32 or input_size[1] % 32):
            near = f"{detector_size(input_size[0])}x{detector_size(input_size[1])}"
            raise UsageError(f"--size {input_size[0]}x{input_size[1]}: a yolo head needs width and height "
                             f"that are multiples of 32 (the yolo head's deepest stride), e.g. {near}")
        if min(input_size) < 32:
            raise UsageError(f"--size {input_size[0]}x{input_size[1]}: smaller than the network's total stride 32")
    elif spec.detector and native % 32:
        side = detector_size(native)
        input_size, size_note = (side, side), f"input {side}x{side}: {native} rounded to a multiple of 32"
    else:
        input_size = (native, native)
    batch, subdivisions = _batching(spec, batch, subdivisions)
    if anchors is not None and not spec.detector:
        raise UsageError("--anchors only applies to the yolo and yolo-tiny heads")
    anchor_pairs = (parse_anchors(anchors, len(spec.anchors)) if anchors is not None
                    else scale_anchors(spec.anchors, spec.anchor_size, input_size))

    w = Writer()
    if normalize is not None:
        mean, std = normalize
        w.comment(f"==== input normalization: (x - mean) / std per RGB channel, mean {_fmt(mean)}, std {_fmt(std)}")
        w.conv(3, groups=3, bn=False, in_channels=3)
    ends, infos = fam.backbone(w, width_mult, hswish, spec.detector)
    taps = {stride: Tap(index, f"layer {index}, the end of {b.name}, stride {stride}, {b.out} channels")
            for stride, (index, b) in ends.items()}
    backbone_end = w.count
    head_text = ""
    if spec.detector:
        widths = tuple(round_width(x, width_mult) for x in spec.widths)
        head_text = render(spec.template, activation="leaky", classes=classes, head=0, dropout=fam.dropout,
                           in_filters=infos[-1].out, det_filters=3 * (classes + 5), widths=widths, taps=taps,
                           anchors=[tuple(format_anchor(v) for v in a) for a in anchor_pairs], masks=spec.masks)
    else:
        fam.classifier(w, hswish, classes, fam.dropout)

    command = _command(key, head, classes, size, width_mult, resolution, hswish, anchors, batch, subdivisions,
                       spec)
    header = [f"{fam.title}: width {width_mult}, resolution {native}, {head} head, {classes} classes",
              f"generated by cfggen: {command}",
              f"architecture: {fam.reference}, built exactly from darknet's own layers"]
    header += hswish_note(hswish, fam.hswish)
    if spec.detector:
        header.append("yolo head on the stage ends at strides " + ", ".join(
            f"{s} (layer {t.index})" for s, t in sorted(taps.items()) if s in spec.taps) + "; head activation leaky")
    if not spec.detector:
        header.append("training settings below: cfggen's EfficientNet recipe for every classifier it builds, not "
                      "the paper's own schedule")
    header += list(notes)
    recipe = DetectorRecipe(classes) if spec.detector else ClassifierRecipe(batch)
    net = render("net.cfg.j2", header=header, batch=batch, subdivisions=subdivisions, width=input_size[0],
                 height=input_size[1], size_note=size_note, recipe=recipe, resize_step=None)
    text = net + w.text() + head_text
    return Built(text, fam, w, head, classes, input_size, width_mult, hswish, normalize is not None, taps,
                 backbone_end)


def round_width(filters: int, width_mult: float) -> int:
    from cfggen.scale.rounding import round_filters
    return round_filters(filters, width_mult)


def _fmt(values) -> str:
    return ",".join(f"{v:g}" for v in values)


def _command(name, head, classes, size, width_mult, resolution, hswish, anchors, batch, subdivisions, spec) -> str:
    from cfggen.generate import default_subdivisions, parse_size
    # --hswish relu exists only through the import (its fixed layers need the import's weights)
    words = ["cfggen import CHECKPOINT"] if hswish == "relu" else ["cfggen build", name]
    default_batch = (spec.batch, default_subdivisions(spec.batch, spec.minibatch))
    for flag, value, given in (
            ("--head", head, head != "classifier"), ("--classes", classes, classes != spec.classes),
            ("--size", "%dx%d" % parse_size(size) if size is not None else None, size is not None),
            ("--width-mult", width_mult, width_mult != 1.0), ("--resolution", resolution, resolution is not None),
            ("--hswish", hswish, hswish != "exact"),
            ("--anchors", anchors if isinstance(anchors, str) else ",".join(map(str, anchors or ())),
             anchors is not None),
            ("--batch", batch, batch != default_batch[0]),
            ("--subdivisions", subdivisions, (batch, subdivisions) != default_batch)):
        if given:
            text = str(value)
            words.append(f"{flag} " + (f'"{text}"' if any(c in text for c in " ,") else text))
    return " ".join(words)
