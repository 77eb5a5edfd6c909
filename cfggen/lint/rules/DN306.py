"""anchors-differ: [yolo] heads with different `anchors=` or `num=`.

*Why*: every [yolo] head carries its own copy of the anchor table and its `mask` indexes into that
copy, so the tables are meant to be identical. After recalculating anchors (`detector
calc_anchors`) people often paste them into one head only: the heads then train with boxes that
do not match each other's masks, and nothing reports it.

*Severity*: a warning: darknet uses each head's own table as written; it only matters when the
tables were meant to be equal.

**FAIL**
    [yolo]
    mask=3,4,5
    anchors=10,14, 23,27, 37,58, 81,82, 135,169, 344,319
    ...
    [yolo]
    mask=0,1,2
    anchors=12,16, 19,36, 40,28, 36,75, 76,55, 72,146
**PASS**
    the same anchors= and num= in every [yolo] head

*Fix safety*: not fixable automatically (which table is the new one is a guess).
"""
from __future__ import annotations

from cfggen.ir.cnum import float_list
from cfggen.lint.model import Diagnostic
from cfggen.lint.rules._base import RuleContext, at, layer_index

CODE, NAME, SEVERITY, SCOPE = "DN306", "anchors-differ", "warning", "network"
SUMMARY = "[yolo] heads with different anchor tables"
LAYER_TYPES = ("yolo", "gaussian_yolo")


def _table(layer) -> tuple[float, ...]:
    k = layer.conf
    vals = float_list(k["anchors"], stop_at_hash=layer.type == "yolo")
    return tuple(vals[:2 * k["num"]])


def check(ctx: RuleContext):
    heads = layer_index(ctx).of("yolo", "gaussian_yolo")
    if len(heads) < 2:
        return
    ref = heads[-1]
    ref_table = None   # read only when some head's anchors= text differs from the last head's
    for h in heads[:-1]:
        if h.type != ref.type:
            continue
        if h.conf["num"] != ref.conf["num"]:
            line, col = at(h.section, "num")
            yield Diagnostic(CODE, f"num={h.conf['num']} here but num={ref.conf['num']} in the last head (layer "
                             f"{ref.index}): num is the size of the anchor table every head shares",
                             line=line, col=col, layer=h.index,
                             related=((at(ref.section, "num")[0], f"num of layer {ref.index}"),),
                             hint="give every [yolo] head the same num= and anchors=")
        elif h.conf["anchors"] != ref.conf["anchors"]:   # the same text (and num, type) is the same table
            if ref_table is None:
                ref_table = _table(ref)
            if _table(h) == ref_table:
                continue
            line, col = at(h.section, "anchors")
            yield Diagnostic(CODE, f"anchors= differ from the last head's (layer {ref.index}): each head's mask "
                             "indexes its own copy of the table, so the heads disagree on the box shapes",
                             line=line, col=col, layer=h.index,
                             related=((at(ref.section, "anchors")[0], f"anchors of layer {ref.index}"),),
                             hint="paste the same anchors= into every [yolo] head")
