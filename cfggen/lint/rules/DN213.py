"""non-resizable-layer: multi-scale training with a layer darknet cannot resize.

*Why*: when the last detection layer has `random` set, `detector train` resizes the network every
10 iterations, starting at iteration 0; `resize_network` exits on [connected], [softmax],
[activation], [local], recurrent layers, [history], [detection], [contrastive], [implicit],
[empty]/[silence] and unrecognised sections.

*Severity*: an error: training exits at the first resize.
All such layers of a file are one finding at the first (one `random=` causes them all), listing
the others; a section DN101 reports (unknown, so not resizable either) is left to DN101.

**FAIL**
    [connected]
    output=256
    ...
    [yolo]
    random=1
**PASS**
    [yolo]
    random=0

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

from cfggen.ir.layers import BY_TYPE, DETECTION_TYPES
from cfggen.lint.rules._base import RuleContext, at, layer_index
from cfggen.lint.model import Diagnostic
from cfggen.lint.training import training_head

CODE, NAME, SEVERITY, SCOPE = "DN213", "non-resizable-layer", "error", "network"
SUMMARY = "random= multi-scale training with a layer that cannot be resized"
LAYER_TYPES = DETECTION_TYPES   # training_head: without a detection layer nothing is resized


def check(ctx: RuleContext):
    head = training_head(ctx.net)
    if head is None or not head.conf.get("random"):
        return
    index = layer_index(ctx)
    fixed = [t for t in index.present if BY_TYPE.get(t) is None or not BY_TYPE[t].resizable]
    for layer in index.of(*fixed):   # the layers of the types that cannot be resized, in network order
            line, col = at(layer.section)
            hline, _ = at(head.section, "random")
            yield Diagnostic(CODE, f"layer {layer.index} [{layer.section.name}] cannot be resized, but "
                             f"random={head.conf['random']:g} in layer {head.index} makes training resize the "
                             "network: darknet exits at the first iteration", line=line, col=col,
                             layer=layer.index, related=((hline, f"random= of layer {head.index}"),),
                             hint="set random=0 in the last detection layer, or replace this layer")


def fact(d) -> tuple:
    """Every layer multi-scale training cannot resize is one fact: random= is on (the first is reported)."""
    return ("random-resize",)
