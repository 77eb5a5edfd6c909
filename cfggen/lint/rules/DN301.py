"""head-filters-mismatch: the layer before a detection head has the wrong number of filters.

*Why*: [yolo] needs len(mask)*(classes+5) channels, [Gaussian_yolo] len(mask)*(classes+9), [region]
num*(classes+coords+1), [detection] side^2*((1+coords)*num+classes) inputs. darknet exits (or
asserts for [detection]). The classic cause: `classes=` changed, `filters=` of the conv before each
head not.

*Severity*: an error: darknet exits ('filters= in the [convolutional]-layer doesn't correspond to
classes= or mask=').

**FAIL**
    [convolutional]
    filters=255

    [yolo]
    mask=0,1,2
    classes=1
**PASS**
    [convolutional]
    filters=18

    [yolo]
    mask=0,1,2
    classes=1

*Fix safety*: safe: `--fix` sets `filters=` of the [convolutional] right before the head (or
`output=` of the [connected] before a [detection]) from the head's classes and mask, when those are
plain numbers and the layer's groups divide the new value.

Detected while inferring shapes (``cfggen.ir``), at every input size that is checked.
"""
from __future__ import annotations

import re
from cfggen.findings import replace

from cfggen.ir.layers import yolo_anchor_count
from cfggen.lint.model import Diagnostic, Edit, Fix

CODE, NAME, SEVERITY, SCOPE = "DN301", "head-filters-mismatch", "error", "infer"
SUMMARY = "the layer before a detection head has the wrong number of filters"
check = None

# compiled on first use by re's own cache, not at import
_CLEAN_INT = r"[+-]?\d+"
_CLEAN_LIST = r"[+-]?\d+(?:,[+-]?\d+)*"


def wanted(head) -> int | None:
    k = head.conf
    if head.type in ("yolo", "gaussian_yolo"):
        return yolo_anchor_count(k) * (k["classes"] + (5 if head.type == "yolo" else 9))
    if head.type == "region":
        return k["num"] * (k["classes"] + k["coords"] + 1)
    if head.type == "detection":
        return k["side"] * k["side"] * ((1 + k["coords"]) * k["num"] + k["classes"])
    return None


def add_fix(d: Diagnostic, net, doc) -> Diagnostic:
    """Attach the safe fix to a DN301 finding at the cfg's own size, when one exists."""
    if d.size is not None or d.layer is None or not 0 < d.layer < len(net.layers):
        return d
    head = net.layers[d.layer]
    prev = net.layers[d.layer - 1]
    for key in ("classes", "num", "coords", "side", "mask"):
        opt = head.section.get(key)
        if opt is not None and opt.value is not None and not re.fullmatch(_CLEAN_LIST if key == "mask" else _CLEAN_INT, opt.value):
            return d  # a value darknet reads oddly (comment, trailing comma, ...): fix that first
    want = wanted(head)
    key = "output" if head.type == "detection" else "filters"
    if want is None or want <= 0 or prev.type != ("connected" if key == "output" else "convolutional"):
        return d
    opt = prev.section.get(key)
    if opt is None or opt.form != "ok" or not re.fullmatch(_CLEAN_INT, opt.value):
        return d
    groups = prev.conf.get("groups", 1) or 1
    if key == "filters" and groups > 1 and want % groups:
        return d
    text = doc.line_text(opt.line)
    start = opt.value_col - 1
    if text[start:start + len(opt.value)] != opt.value:
        return d
    new = text[:start] + str(want) + text[start + len(opt.value):]
    return replace(d, fix=Fix(f"set {key}={want} in layer {prev.index}", (Edit(opt.line, new),)),
                   related=d.related + ((opt.line, f"{key}={opt.value} of layer {prev.index}"),))
