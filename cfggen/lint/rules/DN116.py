"""bad-enum-value: a value darknet does not accept for an enumerated key.

*Why*: enumerated strings are compared exactly (case-sensitive) and most fall back silently:
an unknown `policy` trains with a constant learning rate (after a warning), `iou_loss=CIoU` trains
with plain IoU loss without a word, a misspelt `nms_kind` or `[Gaussian_yolo] yolo_point` uses the
default, an unknown `[cost] type` uses sse. `[shortcut] weights_type` must be none, per_feature
(per_layer) or per_channel: anything else makes darknet exit, and so does a weighted shortcut whose
`weights_normalization` is absent or `none` (both found while inferring shapes).

*Severity*: an error: darknet exits, or silently uses another mode than the one written.

**FAIL**
    [yolo]
    iou_loss=CIoU
**PASS**
    [yolo]
    iou_loss=ciou

*Fix safety*: not fixed automatically; the hint gives darknet's spelling.
"""
from __future__ import annotations

from cfggen.lint.rules._base import RuleContext, always_odd, at_option, facts, suggest, value_head

CODE, NAME, SEVERITY, SCOPE = "DN116", "bad-enum-value", "error", "file"
SUMMARY = "a value darknet does not accept for an enumerated key"

_YOLO = {"iou_loss": (("mse", "giou", "diou", "ciou"), "darknet silently uses plain IoU loss"),
         "iou_thresh_kind": (("iou", "giou", "diou", "ciou"), "darknet warns and uses IoU"),
         "nms_kind": (("default", "greedynms", "diounms"), "darknet uses the default NMS")}
ENUMS: dict[str, dict[str, tuple[tuple[str, ...], str]]] = {
    "[net]": {"policy": (("constant", "step", "steps", "exp", "poly", "sigmoid", "random", "sgdr"),
                         "darknet prints 'Policy ... not found' and trains with a constant learning rate")},
    "[yolo]": _YOLO,
    "[Gaussian_yolo]": {**_YOLO,
                        "nms_kind": (("default", "greedynms", "diounms", "cornersnms"), "darknet uses the default NMS"),
                        "yolo_point": (("center", "left_top", "right_bottom"), "darknet uses center")},
    "[cost]": {"type": (("sse", "masked", "smooth"), "darknet warns and uses sse")},
    "[shortcut]": {"weights_normalization": (("none", "relu", "avg_relu", "softmax"), "")},
}
_PJREDDIE_COST = ("seg", "L1", "wgan")
_KEYS = frozenset(key for table in ENUMS.values() for key in table)
_ODD: list[bool] = []   # [True] when every enumerated key always lands in Facts.odd (decided on first use)


def _sections(f, doc) -> list[int]:
    """The sections that can have a finding: those with an enumerated key among the options that are
    not plainly right (a string key other than activation= is never plainly right)."""
    if not _ODD:
        _ODD.append(all(always_odd(header, key) for header, table in ENUMS.items() for key in table))
    if not _ODD[0]:
        return list(range(len(doc.sections)))
    return sorted({i for i, _, opt in f.odd if opt.key in _KEYS})


def check(ctx: RuleContext):
    f = facts(ctx.doc)
    sections = ctx.doc.sections
    for i in _sections(f, ctx.doc):
        section = sections[i]
        if f.key_types[i] is None:
            continue
        table = ENUMS.get("[net]" if i == 0 and section is ctx.doc.net else section.header)
        if not table:
            continue
        for key, (allowed, effect) in table.items():
            opt = section.get(key)
            if opt is None or opt.value is None or opt.value in allowed:
                continue
            if "#" in opt.value and value_head(opt.value) in allowed:
                continue  # the inline comment is the problem: DN106
            name = value_head(opt.value) or opt.value
            if key == "weights_normalization":
                wt = section.get("weights_type")
                on = wt is not None and wt.value not in (None, "none")
                effect = ("darknet exits" if on else
                          "ignored while weights_type=none (darknet silently treats it as none)")
            elif key == "type" and name in _PJREDDIE_COST:
                effect += f" ({name} exists only in pjreddie/darknet)"
            guess = suggest(name, allowed, cutoff=0.6)
            yield at_option(CODE, f"{key}={opt.value} is not one of {', '.join(allowed)}: {effect}", opt, value=True,
                            hint=f"did you mean {key}={guess}?" if guess else f"use one of {', '.join(allowed)}")
