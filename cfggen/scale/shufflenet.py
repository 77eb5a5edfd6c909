"""ShuffleNetV2 (torchvision ``shufflenet_v2_x0_5`` .. ``x2_0``) from darknet's own layers, exactly.

torchvision's unit ends in ``channel_shuffle(cat[x1, branch2(x2)], 2)`` and the next unit splits the
shuffled tensor in halves; darknet has neither a shuffle nor a channel-index gather. But every channel
is eventually read by a convolution (the next unit's branch2, or the whole tensor at a stage end), and
a conv reads its input channels in any order we like (import permutes its weights). So the plan follows
every channel of every conv output through the shuffles (``stage_plan``) to the unit whose ``x2`` reads
it (or the stage end), and writes each conv that feeds a shuffle as *pieces*: one darknet conv per
destination (its rows of the PyTorch weight and BN; together exactly the original conv's parameters and
FLOPs). A unit's ``x2`` is then a ``[route]`` of the pieces destined for it, a stage end a ``[route]`` of
the pieces that survive to it, and ``x1`` needs no layer at all: it is the pieces not yet read.

Why not two routes with ``groups=2`` (first halves of the two halves of the previous unit)? That
selects torchvision's ``x2`` for the first stride-1 unit only: from the second on, torchvision's split
takes a quarter of the older half, which a halving route cannot reach (``tests/test_shufflenet.py``
shows it on the labels).

The permutations (``ConvSource.rows`` / ``ConvSource.cols``): a piece takes its rows of the conv; a conv reading
a route takes the PyTorch input channel ``cols[i]`` at darknet input ``i``; a stride-2 unit's depthwise
conv (and its BN) reads the stage end in the route's order (``rows``), and its 1x1 conv then too.
"""
from __future__ import annotations

from dataclasses import dataclass

from cfggen.scale.sequential import Recipe, Writer

REPEATS = (4, 8, 4)        # units of stage2, stage3, stage4
# torchvision _stage_out_channels: stem, stage2, stage3, stage4, conv5
WIDTHS = {"x0.5": (24, 48, 96, 192, 1024), "x1.0": (24, 116, 232, 464, 1024),
          "x1.5": (24, 176, 352, 704, 1024), "x2.0": (24, 244, 488, 976, 2048)}
BATCH = 1024               # ShuffleNetV2 paper's ImageNet recipe
DROPOUT = 0.0              # torchvision has none


@dataclass(frozen=True)
class Piece:
    origin: int               # 0: unit 0's branch1; u + 1: unit u's branch2
    dest: int                 # the unit whose x2 reads it; ``units``: the stage end
    channels: tuple[int, ...]  # output channels of the origin conv, ascending


@dataclass(frozen=True)
class StagePlan:
    units: int
    half: int                                   # b: branch channels (= out / 2)
    pieces: tuple[tuple[Piece, ...], ...]       # per origin, by destination
    x2_cols: tuple[tuple[int, ...], ...]        # per unit (index 0 unused): darknet x2 -> PyTorch x2 channel
    end_cols: tuple[tuple[int, ...]]            # darknet stage end channel -> PyTorch stage output channel

    def into(self, dest: int) -> list[Piece]:
        """The pieces a unit's x2 (or, ``dest = units``, the stage end) concatenates, in route order."""
        return [p for pieces in self.pieces for p in pieces if p.dest == dest]


def _shuffle(p: list, q: list) -> list:
    """torchvision channel_shuffle(cat[p, q], 2): output 2k = p[k], 2k + 1 = q[k]."""
    return [c for pair in zip(p, q) for c in pair]


def stage_plan(units: int, half: int) -> StagePlan:
    """Follow every conv output channel of a stage through torchvision's split and shuffles."""
    def labels(origin: int) -> list[tuple[int, int]]:
        return [(origin, k) for k in range(half)]

    y = _shuffle(labels(0), labels(1))
    x2s: list[list] = [[]]
    for u in range(1, units):
        x2s.append(y[half:])
        y = _shuffle(y[:half], labels(u + 1))
    dest = {label: u for u in range(1, units) for label in x2s[u]}
    dest.update((label, units) for label in y)
    pieces = tuple(
        tuple(Piece(o, d, tuple(k for k in range(half) if dest[o, k] == d))
              for d in sorted({dest[o, k] for k in range(half)}))
        for o in range(units + 1))

    def cols(into: list[Piece], reference: list) -> tuple[int, ...]:
        where = {label: i for i, label in enumerate(reference)}
        return tuple(where[p.origin, k] for p in into for k in p.channels)

    plan = StagePlan(units, half, pieces, (), ())
    return StagePlan(units, half, pieces, ((),) + tuple(cols(plan.into(u), x2s[u]) for u in range(1, units)),
                     cols(plan.into(units), y))


def backbone(w: Writer, b):
    """Write the network up to the classifier's pool (or the stage4 end), for ``cfggen.standalone.compose``."""
    from cfggen.generate import Tap
    from cfggen.standalone import Backbone

    name, activation = b.family.extra["width"], b.activation
    stem, *stage_widths, last = WIDTHS[name]
    w.block(1, 1, f"conv1 + maxpool stem (the paper's stage 1; torchvision's stages are stage2..4), conv1 3x3 "
                  f"stride 2, 3 -> {stem}, BN, {activation}; maxpool 3x3 stride 2 pad 1")
    w.conv(stem, size=3, stride=2, activation=activation, module="conv1.0", bn_module="conv1.1", in_channels=3)
    w.mark("conv1")
    w.pool("maxpool", 3, 2)   # default padding size - 1 = 2: one cell each side (PyTorch's 1)
    w.mark("maxpool")
    inp, cols, channels = w.last, None, stem
    taps = {}
    stride = 4
    for s, (units, out) in enumerate(zip(REPEATS, stage_widths), start=2):
        plan = stage_plan(units, out // 2)
        stride *= 2
        idx = _stage(w, s, plan, channels, inp, cols, activation)
        w.mark(f"stage{s}")
        taps[stride] = Tap(idx, f"layer {idx}, the end of stage{s}, stride {stride}, {out} channels "
                                f"(shuffled order)")
        inp, cols, channels = idx, plan.end_cols, out
    if not b.spec.detector:
        w.comment(f"==== conv5: 1x1 {channels} -> {last}, BN, {activation} (reads the stage end's channel order)")
        w.conv(last, activation=activation, module="conv5.0", bn_module="conv5.1", cols=cols)
        w.mark("conv5")
        channels = last
    notes = (
        f"torchvision ShuffleNetV2 {name}: stages {'/'.join(map(str, REPEATS))} units, widths "
        f"{'/'.join(map(str, WIDTHS[name]))}; every conv bias-free + BN (eps 1e-5), ReLU after the 1x1 convs",
        "channel split and shuffle without a shuffle layer: each conv whose output the shuffles scatter is "
        "written as one piece per",
        "destination (the unit whose split-off half reads it, or the stage end); a [route] gathers a "
        "unit's input from its pieces;",
        "the channel order differs from torchvision's by a fixed permutation that cfggen import folds into "
        "the convs (exact)",
    )
    return Backbone(taps, channels, f"shufflenetv2-{name}: torchvision shufflenet_v2_{name.replace('.', '_')}:",
                    notes)


def classifier(w: Writer, b, backbone) -> None:
    w.classifier(backbone.channels, b.classes, DROPOUT, "fc")


def _stage(w: Writer, s: int, plan: StagePlan, in_ch: int, inp: int, cols, act: str) -> int:
    """One stage; returns the index of its end route. ``cols``: the stage input's channel order."""
    b = plan.half
    where: dict[tuple[int, int], int] = {}      # (origin, dest) -> the piece's layer

    def pieces(origin: int, module: str, bn: str, width: int, src_cols, after: int) -> None:
        for j, p in enumerate(plan.pieces[origin]):
            if j:
                w.route(after)
            what = f"{len(p.channels)} of {b} channels" if len(plan.pieces[origin]) > 1 else f"all {b} channels"
            to = "the stage end" if p.dest == plan.units else f"stage{s}.{p.dest}'s x2"
            w.comment(f"piece: {what}, for {to}")
            where[origin, p.dest] = w.conv(len(p.channels), activation=act, module=module, bn_module=bn,
                                           rows=p.channels, cols=src_cols, of=b)

    u = f"stage{s}.0"
    w.block(s, 1, f"{u} ShuffleV2 unit, stride 2, {in_ch} -> {2 * b}; branch1 = dw 3x3 s2 + BN, 1x1 -> {b}; "
                  f"branch2 = 1x1 -> {b}, dw 3x3 s2 + BN, 1x1 -> {b}")
    dw = w.conv(in_ch, size=3, stride=2, groups=in_ch, module=f"{u}.branch1.0", bn_module=f"{u}.branch1.1",
                rows=cols)
    pieces(0, f"{u}.branch1.2", f"{u}.branch1.3", in_ch, cols, dw)
    w.comment(f"{u} branch2")
    w.route(inp)
    w.conv(b, activation=act, module=f"{u}.branch2.0", bn_module=f"{u}.branch2.1", cols=cols)
    w.conv(b, size=3, stride=2, groups=b, module=f"{u}.branch2.3", bn_module=f"{u}.branch2.4")
    pieces(1, f"{u}.branch2.5", f"{u}.branch2.6", b, None, w.last)
    for n in range(1, plan.units):
        u = f"stage{s}.{n}"
        into = plan.into(n)
        w.block(s, n + 1, f"{u} ShuffleV2 unit, stride 1, {2 * b} channels; x2 = the second half after the shuffle "
                          f"({len(into)} pieces), branch2 = 1x1, dw 3x3 + BN, 1x1")
        w.route(*(where[p.origin, p.dest] for p in into))
        w.conv(b, activation=act, module=f"{u}.branch2.0", bn_module=f"{u}.branch2.1", cols=plan.x2_cols[n])
        w.conv(b, size=3, stride=1, groups=b, module=f"{u}.branch2.3", bn_module=f"{u}.branch2.4")
        pieces(n + 1, f"{u}.branch2.5", f"{u}.branch2.6", b, None, w.last)
    into = plan.into(plan.units)
    w.comment(f"==== stage{s} end: the {2 * b} channels after the last shuffle ({len(into)} pieces, "
              "in piece order)")
    return w.route(*(where[p.origin, p.dest] for p in into))


def recipe(batch: int) -> Recipe:
    """ShuffleNetV2 paper (and ShuffleNet v1's recipe it follows): SGD, batch 1024, lr 0.5 decaying
    linearly to 0 over 300k iterations, weight decay 4e-5."""
    iterations = 300_000 * BATCH // batch
    return Recipe(f"ShuffleNetV2 recipe: SGD momentum 0.9, lr 0.5 per 1024 images decaying linearly to 0 "
                  f"(policy=poly, power=1), weight decay 4e-5, 300k iterations of 1024 images",
                  (("learning_rate", f"{0.5 * batch / BATCH:.6g}"), ("momentum", "0.9"), ("decay", "0.00004"),
                   ("policy", "poly"), ("power", "1"), ("burn_in", "0"), ("max_batches", str(iterations)),
                   ("hue", ".1"), ("saturation", "1.5"), ("exposure", "1.5")))
