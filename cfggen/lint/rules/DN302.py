"""mask-out-of-range: a [yolo] mask entry that is not an anchor index.

*Why*: `num` is the total number of anchors listed in `anchors` (shared by all heads), and each mask
entry must be in [0, num). Darknet does not check: an entry >= num (e.g. `num=3` with
`mask=6,7,8`, or `num` forgotten) reads past the anchor table, giving garbage box sizes at inference,
and training never assigns a box to that slot. Silent.

*Severity*: an error: darknet reads an anchor outside its table (garbage boxes or a crash).

**FAIL**
    [yolo]
    mask=6,7,8
    num=6
**PASS**
    [yolo]
    mask=3,4,5
    num=6

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

from cfggen.ir.cnum import int_list
from cfggen.lint.rules._base import RuleContext, diag, layer_index

CODE, NAME, SEVERITY, SCOPE = "DN302", "mask-out-of-range", "error", "network"
SUMMARY = "yolo mask index outside [0, num)"
LAYER_TYPES = ("yolo", "gaussian_yolo")


def check(ctx: RuleContext):
    for layer in layer_index(ctx).of("yolo", "gaussian_yolo"):
        if layer.conf["mask"] is None:
            continue
        num = layer.conf["num"]
        bad = [m for m in int_list(layer.conf["mask"], stop_at_hash=True) if not 0 <= m < num]
        if bad:
            yield diag(CODE, f"mask={layer.conf['mask']} uses anchor index {', '.join(map(str, bad))} but num={num} "
                       f"gives anchors 0..{num - 1}: darknet reads past the anchor table silently", layer.section,
                       "mask", layer=layer.index, hint="num= is the total number of anchors in anchors=, "
                       "shared by every head")
