"""classes-mismatch: detection heads that disagree on `classes`.

*Why*: darknet does not compare them; training data loading uses the last head's value and each head
skips labels with a class id >= its own `classes`. Almost always a head missed when the class count
was changed (`cfggen adapt` changes them all).

*Severity*: an error: the heads train for different class counts; detections and the loss disagree
with the dataset.

**FAIL**
    [yolo]
    classes=80
    ...
    [yolo]
    classes=3
**PASS**
    every head with classes=3

*Fix safety*: not fixable automatically here (use `cfggen adapt --classes N`).
"""
from __future__ import annotations

from cfggen.lint.model import Diagnostic
from cfggen.ir.layers import DETECTION_TYPES
from cfggen.lint.rules._base import RuleContext, at, layer_index

CODE, NAME, SEVERITY, SCOPE = "DN305", "classes-mismatch", "error", "network"
SUMMARY = "detection heads with different classes="
LAYER_TYPES = DETECTION_TYPES + ("detection",)


def check(ctx: RuleContext):
    heads = layer_index(ctx).of(*DETECTION_TYPES, "detection")   # training.detection_heads
    if len(heads) < 2:
        return
    ref = heads[-1]
    for h in heads[:-1]:
        if h.conf["classes"] != ref.conf["classes"]:
            line, col = at(h.section, "classes")
            yield Diagnostic(CODE, f"classes={h.conf['classes']} here but classes={ref.conf['classes']} in the last "
                             f"head (layer {ref.index}), which training uses", line=line, col=col, layer=h.index,
                             related=((at(ref.section, "classes")[0], f"classes of layer {ref.index}"),),
                             hint="use `cfggen adapt --classes N` to change every head together")
