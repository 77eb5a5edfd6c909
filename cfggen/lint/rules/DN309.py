"""new-coords-activation: `new_coords=1` without a logistic convolution before the head.

*Why*: with `new_coords=1` (scaled-YOLOv4 / YOLOv7 box decoding) the [yolo] layer applies no
sigmoid itself: the convolution before it must use `activation=logistic`. With `linear` (or
anything else) the box offsets, objectness and class scores are unbounded; darknet does not check.

*Severity*: an error: new_coords=1 decodes outputs that the conv did not squash: boxes are wrong.

**FAIL**
    [convolutional]
    filters=255
    activation=linear

    [yolo]
    new_coords=1
**PASS**
    [convolutional]
    filters=255
    activation=logistic

    [yolo]
    new_coords=1

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

from cfggen.lint.rules._base import RuleContext, diag, layer_index, previous_layer

CODE, NAME, SEVERITY, SCOPE = "DN309", "new-coords-activation", "error", "network"
SUMMARY = "new_coords=1 with a non-logistic convolution before the head"
LAYER_TYPES = ("yolo",)


def check(ctx: RuleContext):
    for head in layer_index(ctx).of("yolo"):
        if not head.conf.get("new_coords"):
            continue
        prev = previous_layer(ctx.net, head)
        if prev is None or prev.type != "convolutional" or prev.conf["activation"] == "logistic":
            continue
        yield diag(CODE, f"new_coords=1 in layer {head.index} but layer {prev.index} before it uses "
                   f"activation={prev.conf['activation']}: the head applies no sigmoid, so its outputs are unbounded",
                   prev.section, "activation", layer=prev.index,
                   related=((head.section.get('new_coords').line if head.section.get('new_coords') else head.line,
                             f"new_coords of layer {head.index}"),),
                   hint="use activation=logistic before a new_coords=1 head")
