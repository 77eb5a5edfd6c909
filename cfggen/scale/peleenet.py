"""PeleeNet (Robert-JunWang/PeleeNet ``peleenet.py``, Wang et al. 2018) from darknet's own layers, exactly.

Every conv is bias-free + BN + ReLU (``BasicConv2d``). Stem: ``stem1`` 3x3/2; a pooled branch (2x2/2 max
pool of ``stem1``) and a convolved branch (``stem2a`` 1x1, ``stem2b`` 3x3/2), concatenated [pool, conv]
(the reference's order), then ``stem3`` 1x1. Dense blocks of two-way dense layers, each concatenating
[input, branch1 (1x1, 3x3), branch2 (1x1, 3x3, 3x3)], +growth channels per layer. Transitions: a 1x1 conv
keeping the width, then (after the first three) a 2x2/2 average pool: ``[local_avgpool]`` with
``padding=0``, which is PyTorch's ``AvgPool2d(2, 2)`` exactly (floor size, no padded cells). The stem's
``[maxpool]`` also says ``padding=0``: darknet's default ``size - 1`` would add a row and a column on odd
inputs where PyTorch's pool drops them.

CSPPeleeNet (AlexeyAB's "private" cfg) has no public reference and is not built.
"""
from __future__ import annotations

from cfggen.scale.sequential import Recipe, Writer

GROWTH = 32
BLOCKS = (3, 4, 8, 6)
BOTTLENECK = (1, 2, 4, 4)
STEM = 32
BATCH = 256              # the reference repo's main.py defaults (batch 256, lr 0.1, cosine, 120 epochs)
DROPOUT = 0.05           # PeleeNet(drop_rate=0.05) before the classifier


def inter_channels(in_ch: int, width: int) -> int:
    """``_DenseLayer``: half the growth per branch, bottleneck int(g * width / 4) * 4, capped when it
    exceeds half the input."""
    g = GROWTH // 2
    inter = int(g * width / 4) * 4
    return int(in_ch / 8) * 4 if inter > in_ch / 2 else inter


def check_size(width: int, height: int) -> None:
    """The stem concatenates a 2x2/2 pool and a 3x3/2 conv of stem1's output: on an odd map they differ
    (PyTorch's torch.cat fails there too), so such sizes are refused."""
    from cfggen.errors import UsageError
    from cfggen.generate import conv_out
    for side in (width, height):
        s = conv_out(side, 3, 2)
        if (s - 2) // 2 + 1 != conv_out(s, 3, 2):
            raise UsageError(f"--size {width}x{height}: PeleeNet's stem concatenates a 2x2 pool and a stride-2 "
                             f"conv of stem1's {s}-wide map, which differ in size ({(s - 2) // 2 + 1} vs "
                             f"{conv_out(s, 3, 2)}); use a multiple of 4, e.g. {4 * (side // 4) or 4}")


def backbone(w: Writer, b):
    """The stem, dense blocks and transitions, for ``cfggen.standalone.compose``."""
    from cfggen.generate import Tap
    from cfggen.standalone import Backbone

    act = b.activation
    marks = w.marks

    def conv(module: str, filters: int, in_ch: int, size: int = 1, stride: int = 1) -> int:
        return w.conv(filters, size=size, stride=stride, activation=act, module=f"{module}.conv",
                      bn_module=f"{module}.norm", in_channels=in_ch)

    s = "features.stemblock"
    w.comment(f"==== stem: stem1 3x3/2 3 -> {STEM}; [maxpool 2x2/2 of stem1, stem2a 1x1 -> {STEM // 2} + stem2b "
              f"3x3/2 -> {STEM}] concatenated, stem3 1x1 -> {STEM}")
    stem1 = conv(f"{s}.stem1", STEM, 3, 3, 2)
    pooled = w.pool("maxpool", 2, 2, padding=0)
    w.route(stem1)
    conv(f"{s}.stem2a", STEM // 2, STEM)
    branch = conv(f"{s}.stem2b", STEM, STEM // 2, 3, 2)
    w.route(pooled, branch)
    x = marks[s] = conv(f"{s}.stem3", STEM, 2 * STEM)
    channels, stride, taps = STEM, 4, {}
    for i, (layers, width) in enumerate(zip(BLOCKS, BOTTLENECK), start=1):
        w.comment(f"==== denseblock{i}: {layers} two-way dense layers, {channels} -> "
                  f"{channels + layers * GROWTH} channels, stride {stride}")
        for j in range(1, layers + 1):
            m = f"features.denseblock{i}.denselayer{j}"
            inter, g = inter_channels(channels, width), GROWTH // 2
            w.block(i, j, f"{m} two-way dense layer: branch1 1x1 -> {inter}, 3x3 -> {g}; branch2 1x1 -> {inter}, "
                          f"3x3 -> {g}, 3x3 -> {g}; concat [input, branch1, branch2]")
            if x != w.last:
                w.route(x)
            conv(f"{m}.branch1a", inter, channels)
            b1 = conv(f"{m}.branch1b", g, inter, 3)
            w.route(x)
            conv(f"{m}.branch2a", inter, channels)
            conv(f"{m}.branch2b", g, inter, 3)
            b2 = conv(f"{m}.branch2c", g, g, 3)
            x = marks[m] = w.route(x, b1, b2)
            channels += GROWTH
        w.comment(f"==== transition{i}: 1x1 {channels} -> {channels}"
                  + (", 2x2/2 average pool" if i < len(BLOCKS) else ""))
        marks[f"features.denseblock{i}"] = x
        t = marks[f"features.transition{i}"] = conv(f"features.transition{i}", channels, channels)
        if stride >= 8:
            taps[stride] = Tap(t, f"layer {t}, transition{i}'s conv, stride {stride}, {channels} channels")
        if i < len(BLOCKS):
            x = marks[f"features.transition{i}_pool"] = w.pool("local_avgpool", 2, 2, padding=0)
            stride *= 2
    notes = (f"PeleeNet (Robert-JunWang peleenet.py): growth {GROWTH}, dense blocks {'/'.join(map(str, BLOCKS))}, "
             f"bottleneck widths {'/'.join(map(str, BOTTLENECK))}; every conv bias-free + BN (eps 1e-5) + ReLU",
             "2x2 pools with padding=0: PyTorch's MaxPool2d(2, 2) / AvgPool2d(2, 2) (floor size; darknet's default "
             "padding would add a cell on odd sizes)")
    return Backbone(taps, channels, "peleenet: Robert-JunWang PeleeNet:", notes)


def classifier(w: Writer, b, backbone) -> None:
    w.classifier(backbone.channels, b.classes, DROPOUT, "classifier")


def recipe(batch: int) -> Recipe:
    """The reference repo's main.py: SGD momentum 0.9, lr 0.1 at batch 256, cosine over 120 epochs,
    weight decay 1e-4 (the paper: batch 512, lr 0.18)."""
    from cfggen.generate import ClassifierRecipe
    per_epoch = ClassifierRecipe(batch).iterations_per_epoch       # an ImageNet epoch at this batch
    return Recipe("PeleeNet recipe (Robert-JunWang main.py): SGD momentum 0.9, lr 0.1 per 256 images, one cosine "
                  "cycle over 120 epochs (policy=sgdr), weight decay 1e-4",
                  (("learning_rate", f"{0.1 * batch / BATCH:.6g}"), ("momentum", "0.9"), ("decay", "0.0001"),
                   ("policy", "sgdr"), ("burn_in", "0"), ("max_batches", str(120 * per_epoch)),
                   ("hue", ".1"), ("saturation", "1.5"), ("exposure", "1.5")))
