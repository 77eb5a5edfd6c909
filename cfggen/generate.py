"""``generate()``: an EfficientNet variant (or a custom block list) as Darknet cfg text.

Pipeline: variant -> (width, depth, resolution) -> block strings -> decode -> scale -> Network ->
templates (net, stem, one mbconv per block, head) -> text. The templates are in ``templates/``.

The committed ``generated_cfgs/`` (every variant x head at defaults) is regenerated with::

    python -m cfggen.generate --write generated_cfgs
"""
from __future__ import annotations

import math
import os
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, replace
from typing import Iterable, Sequence

from cfggen.errors import GenerateError, UsageError
from cfggen.scale import BASELINE_BLOCKS, VARIANTS, BlockArgs, Network, decode_list, encode, get_variant, scale
from cfggen.scale.rounding import round_filters
from cfggen.scale.variants import CUSTOM, Variant

ACTIVATIONS = ("swish", "relu6", "leaky", "mish", "relu")
DETECTOR_STRIDE = 32          # the deepest yolo output; detector inputs must be multiples of it
IMAGENET_TRAIN_IMAGES = 1_281_167

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


def detector_size(resolution: int) -> int:
    """The nearest multiple of 32 (halves round up: 240 -> 256, 380 -> 384)."""
    return max(DETECTOR_STRIDE, DETECTOR_STRIDE * int(resolution / DETECTOR_STRIDE + 0.5))


def conv_out(n: int, kernel: int, stride: int) -> int:
    """Darknet's output size with pad=1 (padding kernel//2)."""
    return (n + 2 * (kernel // 2) - kernel) // stride + 1


def count_layers(text: str) -> int:
    """Layers in rendered cfg text: every section header (comments never start with '[')."""
    return sum(1 for line in text.splitlines() if line.startswith("[") and line != "[net]")


# --- generate ------------------------------------------------------------------------------------

def generate(variant: str | None = "b0", head: str = "classifier", classes: int | None = None,
             size: str | int | Sequence[int] | None = None, activation: str | None = None,
             se: bool = True, anchors: str | Sequence[float] | None = None, batch: int | None = None,
             subdivisions: int | None = None, blocks: str | Sequence[str | BlockArgs] | None = None,
             width_mult: float | None = None, depth_mult: float | None = None,
             resolution: int | None = None) -> str:
    """Darknet cfg text for an EfficientNet variant (``b0``..``b7``, ``lite0``..``lite4``).

    ``variant=None`` builds a custom network from ``blocks`` (default: the B0 baseline) scaled by
    ``width_mult``/``depth_mult`` at ``resolution``; with a variant, those override its values.
    Bad input raises ``UsageError`` (options) or ``GenerateError`` (blocks that cannot be built).
    """
    return compose(variant, head=head, classes=classes, size=size, activation=activation, se=se,
                   anchors=anchors, batch=batch, subdivisions=subdivisions, blocks=blocks,
                   width_mult=width_mult, depth_mult=depth_mult, resolution=resolution).text


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


def compose(variant: str | None = "b0", head: str = "classifier", classes: int | None = None,
            size: str | int | Sequence[int] | None = None, activation: str | None = None,
            se: bool = True, anchors: str | Sequence[float] | None = None, batch: int | None = None,
            subdivisions: int | None = None, blocks: str | Sequence[str | BlockArgs] | None = None,
            width_mult: float | None = None, depth_mult: float | None = None,
            resolution: int | None = None, input_layers: str = "", notes: Sequence[str] = ()) -> Composed:
    """``generate`` with its parts. ``input_layers`` is rendered cfg text placed between ``[net]``
    and the stem (every absolute index after it shifts, and the taps say so); ``notes`` are extra
    header lines. Without both, the text is exactly ``generate``'s."""
    base = get_variant(variant) if variant is not None else CUSTOM
    if head not in HEADS:
        raise UsageError(f"unknown head {head!r}; expected one of {', '.join(HEADS)}")
    spec = HEADS[head]
    activation = activation or base.rules.activation
    if activation not in ACTIVATIONS:
        raise UsageError(f"unknown activation {activation!r}; expected one of {', '.join(ACTIVATIONS)}")
    classes = spec.classes if classes is None else classes
    if classes < 1:
        raise UsageError(f"--classes must be at least 1 (got {classes})")
    if resolution is not None and resolution < 1:
        raise UsageError(f"--resolution must be positive (got {resolution})")

    stages = decode_list(blocks) if blocks is not None else decode_list(BASELINE_BLOCKS)
    width_mult = base.width_mult if width_mult is None else width_mult
    depth_mult = base.depth_mult if depth_mult is None else depth_mult
    resolution = base.resolution if resolution is None else resolution
    net = scale(stages, width_mult, depth_mult, base.rules, se=se)

    input_size, size_note = _input_size(spec, base, resolution, size, net)
    batch, subdivisions = _batching(spec, batch, subdivisions)
    if anchors is not None and not spec.detector:
        raise UsageError("--anchors only applies to the yolo and yolo-tiny heads")
    anchor_pairs = (parse_anchors(anchors, len(spec.anchors)) if anchors is not None
                    else scale_anchors(spec.anchors, spec.anchor_size, input_size))

    from cfggen.render import render

    command = _command(variant, head, classes, size, activation, se, anchors, batch, subdivisions,
                       blocks, width_mult, depth_mult, resolution, base, spec)
    recipe = DetectorRecipe(classes) if spec.detector else ClassifierRecipe(batch)
    header = _header(base, head, classes, stages, net, activation, width_mult, depth_mult, resolution,
                     command) + list(notes)
    pieces = [render("net.cfg.j2", header=header,
                     batch=batch, subdivisions=subdivisions, width=input_size[0], height=input_size[1],
                     size_note=size_note, recipe=recipe)]
    first_layer = count_layers(input_layers)
    pieces.append(input_layers)
    body, taps = _render_backbone(net, input_size, activation, render, first_layer)
    pieces.extend(body)
    pieces.append(render(
        spec.template, activation=activation, classes=classes, head=net.head, dropout=base.dropout,
        in_filters=net.blocks[-1].out_filters, det_filters=3 * (classes + 5),
        widths=tuple(round_filters(w, width_mult) for w in spec.widths), taps=taps,
        anchors=[tuple(format_anchor(v) for v in a) for a in anchor_pairs], masks=spec.masks))
    return Composed("".join(pieces), net, taps, input_size, base, spec, classes, activation, first_layer)


def _input_size(spec: Head, base: Variant, resolution: int, size, net: Network
                ) -> tuple[tuple[int, int], str]:
    total_stride = net.blocks[-1].out_stride
    if spec.detector:
        missing = [s for s in spec.taps if s not in net.stage_ends()]
        if missing or total_stride != max(spec.taps):
            reached = sorted(net.stage_ends())
            raise GenerateError(f"the {spec.name} head taps the "
                                f"stage ends at strides {', '.join(map(str, spec.taps))}; these blocks "
                                f"end stages at strides {', '.join(map(str, reached))}")
    if size is not None:
        width, height = parse_size(size)
        if spec.detector and (width % DETECTOR_STRIDE or height % DETECTOR_STRIDE):
            near = f"{detector_size(width)}x{detector_size(height)}"
            raise UsageError(f"--size {width}x{height}: a yolo head needs width and height that are "
                             f"multiples of {DETECTOR_STRIDE} (its deepest stride), e.g. {near}")
        if min(width, height) < total_stride:
            raise UsageError(f"--size {width}x{height}: smaller than the network's total stride "
                             f"{total_stride}")
        return (width, height), ""
    if spec.detector and resolution % DETECTOR_STRIDE:
        side = detector_size(resolution)
        return (side, side), (f"input {side}x{side}: {_describe(base)}'s native {resolution} rounded to a "
                              f"multiple of {DETECTOR_STRIDE}, the yolo head's deepest stride")
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


def _render_backbone(net: Network, size: tuple[int, int], activation: str, render, first_layer: int = 0
                     ) -> tuple[list[str], dict[int, Tap]]:
    """Stem and blocks, plus the stage end at each total stride (what detector heads tap)."""
    width, height = conv_out(size[0], 3, 2), conv_out(size[1], 3, 2)
    pieces = [render("stem.cfg.j2", filters=net.stem, activation=activation, out_w=width, out_h=height)]
    layers = first_layer + count_layers(pieces[0])
    repeats = Counter(b.stage for b in net.blocks)
    taps: dict[int, Tap] = {}
    for block in net.blocks:
        width, height = conv_out(width, block.kernel, block.stride), conv_out(height, block.kernel, block.stride)
        text = render("mbconv.cfg.j2", b=block, repeats=repeats[block.stage], out_w=width, out_h=height,
                      activation=activation)
        pieces.append(text)
        layers += count_layers(text)
        taps[block.out_stride] = Tap(layers - 1, f"layer {layers - 1}, the end of stage {block.stage}, "
                                                 f"{width}x{height}x{block.out_filters}")
    return pieces, taps


def _describe(base: Variant) -> str:
    return base.full_name if base.name != "custom" else "the custom network"


def _header(base: Variant, head: str, classes: int, stages: Sequence[BlockArgs], net: Network,
            activation: str, width_mult: float, depth_mult: float, resolution: int, command: str
            ) -> list[str]:
    name = base.full_name if base.name != "custom" else "custom EfficientNet"
    se = "SE" if any(b.se_filters for b in net.blocks) else "no SE"
    lines = [
        f"{name}: width {float(width_mult)}, depth {float(depth_mult)}, resolution {resolution}, {head} head, "
        f"{classes} classes",
        f"generated by cfggen: {command}",
        f"{len(net.blocks)} MBConv blocks in {len(stages)} stages, {se}, {activation}; stages before "
        f"scaling (TF block strings):",
        # as built: without SE when the family or --no-se drops it
        *(f"  {encode(stage if se == 'SE' else replace(stage, se_ratio=None))}" for stage in stages),
        "residual blocks end in [dropout] + [shortcut]: the dropout stands in for drop-connect, rate",
        "0.2 * block / blocks (elementwise in darknet, per-sample in TF; both identity at inference)",
    ]
    if activation == "relu6":
        # relu6 is Lite's official activation, so it stays; the validator's relu6-cpu warning is
        # answered here once, for the whole file
        lines += ["relu6 needs a GPU build: AlexeyAB darknet's CPU activate() has no relu6 case and "
                  "outputs 0 (use --activation relu to run on CPU)",
                  "cfggen: disable-file DN501 -- relu6 is intended (EfficientNet-Lite); GPU-only, see above"]
    return lines


def _command(variant, head, classes, size, activation, se, anchors, batch, subdivisions, blocks,
             width_mult, depth_mult, resolution, base: Variant, spec: Head) -> str:
    """The ``cfggen build`` line that reproduces this cfg (only non-default options)."""
    words = ["cfggen build"] + ([base.name] if variant is not None else [])
    default_batch = (spec.batch, default_subdivisions(spec.batch, spec.minibatch))
    options = [
        ("--head", head, head != "classifier"),
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
        ("--resolution", resolution, resolution != base.resolution),
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

def default_filename(variant: str, head: str) -> str:
    suffix = "" if head == "classifier" else f"-{head}"
    return f"efficientnet-{variant}{suffix}.cfg"


def default_cfgs() -> dict[str, str]:
    """Every variant x head at default options: file name -> cfg text (``generated_cfgs/``)."""
    return {default_filename(v, h): generate(v, head=h) for v in VARIANTS for h in HEADS}


@dataclass(frozen=True)
class Summary:
    variant: str
    width: int
    height: int
    layers: int
    params: int
    bflops: str


def summarize(variant: str, head: str = "classifier") -> Summary:
    """One ``cfggen list`` row: layers, parameters and BFLOPs as the validator computes them."""
    from cfggen.api import analyze_text

    text = generate(variant, head=head)
    result = analyze_text(text, path=default_filename(variant, head), sizes="native")
    net = result.network
    return Summary(variant, net.width, net.height, len(net.layers), net.totals.params,
                   net.totals.bflops_printed)


def write_atomic(path: str, text: str) -> None:
    """Write via a temp file in the same directory and ``os.replace``: never a half-written file."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".cfggen-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main(argv: list[str] | None = None) -> int:
    """``python -m cfggen.generate --write DIR``: regenerate the committed default cfgs."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] != "--write":
        print("usage: python -m cfggen.generate --write DIR", file=sys.stderr)
        return 2
    directory = args[1]
    os.makedirs(directory, exist_ok=True)
    for name, text in default_cfgs().items():
        write_atomic(os.path.join(directory, name), text)
    print(f"wrote {len(VARIANTS) * len(HEADS)} cfgs to {directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
