"""max-boxes-mismatch: detection heads with different `max=` (boxes per image).

*Why*: `[yolo]`, `[Gaussian_yolo]` and `[region]` read `max` (default 200), the number of truth boxes
per image. Darknet's loader lays out the truth buffer with the *last* detection layer's `max`
(`max × 6` floats per image), but every head indexes image *b* at `b × (its own max) × 6`. With
unequal values, the other heads read other images' boxes as this image's, or read past the buffer,
without any message: training runs and learns from wrong boxes. The README's advice to add `max=`
"to the last [yolo] layer" alone is exactly this case.

*Severity*: an error: darknet trains on other boxes than the labels of the image.
The heads that disagree with the last one in the same way are one finding, listing the others.

**FAIL**
    [yolo]
    classes=1
    ...
    [yolo]
    classes=1
    max=300
**PASS**
    [yolo]
    classes=1
    max=300
    ...
    [yolo]
    classes=1
    max=300

*Fix safety*: not fixed automatically (which value the dataset needs is for the user to choose).
"""
from __future__ import annotations

from cfggen.ir.layers import DETECTION_TYPES
from cfggen.lint.model import Diagnostic
from cfggen.lint.rules._base import RuleContext, at, layer_index

CODE, NAME, SEVERITY, SCOPE = "DN312", "max-boxes-mismatch", "error", "network"
SUMMARY = "detection heads with different max= (the truth buffer is laid out with the last one's)"
LAYER_TYPES = DETECTION_TYPES


def _written(layer) -> str:
    return f"max={layer.conf['max']}" + ("" if layer.section.get("max") is not None else " (the default)")


def check(ctx: RuleContext):
    heads = layer_index(ctx).of(*DETECTION_TYPES)   # the last one is the layer the loader reads max from
    if len(heads) < 2:
        return
    last = heads[-1]
    want = last.conf["max"]
    for h in heads[:-1]:
        if h.conf["max"] == want:
            continue
        line, col = at(h.section, "max")
        yield Diagnostic(CODE, f"{_written(h)} here but {_written(last)} in the last detection layer (layer "
                         f"{last.index}): darknet lays out each image's truth boxes with the last layer's max, this "
                         f"head reads image b at b*{h.conf['max']} boxes, so it trains on other images' boxes",
                         line=line, col=col, layer=h.index,
                         related=((at(last.section, "max")[0], f"max of layer {last.index}"),),
                         hint=f"set max={max(h.conf['max'], want)} in every detection layer")
