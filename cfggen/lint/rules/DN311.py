"""embedding-filters: the `embedding_layer` of a [yolo] head has filters not divisible by its anchors.

*Why*: for tracking, a [yolo] head reads one embedding per anchor from `embedding_layer`; that
layer's channels are split evenly between the head's anchors. AlexeyAB's darknet only prints a
warning when they do not divide; the Hank.ai fork exits.

*Severity*: a warning where AlexeyAB darknet only prints a warning and splits the channels as it
can; an error where the reference points at no earlier layer.

**FAIL**
    [convolutional]
    filters=100
    ...
    [yolo]
    mask=0,1,2
    embedding_layer=-3
**PASS**
    [convolutional]
    filters=96
    ...
    [yolo]
    mask=0,1,2
    embedding_layer=-3

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

from cfggen.ir.layers import yolo_anchor_count
from cfggen.lint.rules._base import RuleContext, diag, layer_index

CODE, NAME, SEVERITY, SCOPE = "DN311", "embedding-filters", "warning", "network"
SUMMARY = "embedding_layer channels not divisible by the head's anchors"
LAYER_TYPES = ("yolo",)


def check(ctx: RuleContext):
    layers = ctx.net.layers
    for head in layer_index(ctx).of("yolo"):
        if head.conf.get("embedding_layer") is None:
            continue
        v = head.conf["embedding_layer"]
        target = head.index + v if v < 0 else v
        if not 0 <= target < head.index:
            where = "which does not exist" if not 0 <= target < len(layers) else "which is not built yet"
            yield diag(CODE, f"embedding_layer={v} resolves to layer {target}, {where}: darknet reads an empty layer "
                       "and the head gets no embeddings", head.section, "embedding_layer", layer=head.index,
                       severity="error", hint="point embedding_layer at an earlier layer (negative = relative)")
            continue
        src = layers[target]
        n = yolo_anchor_count(head.conf)
        c = src.output.c
        if n > 0 and c % n:
            yield diag(CODE, f"embedding_layer={v} is layer {target} with {c} channels, not divisible by the "
                       f"{n} anchors of this head", head.section, "embedding_layer", layer=head.index,
                       related=((src.line, f"layer {target} [{src.section.name}]"),),
                       hint=f"give layer {target} a multiple of {n} filters")
