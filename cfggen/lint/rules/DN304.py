"""anchor-coverage: anchors not used by exactly one [yolo] head.

*Why*: each anchor is meant for one scale. An anchor listed in no head is never trained; an anchor in
two heads (or twice in one mask) predicts the same box shape on two scales. Darknet reports neither.
The published enet-coco.cfg has `mask=3,4,5` and `mask=1,2,3`: anchor 0 unused, anchor 3 shared (a
typo inherited from yolov3-tiny; `0,1,2` was meant).

**FAIL**
    [yolo]
    mask=3,4,5
    ...
    [yolo]
    mask=1,2,3
**PASS**
    [yolo]
    mask=3,4,5
    ...
    [yolo]
    mask=0,1,2

*Fix safety*: not fixable automatically (which head should take which anchor is a design choice).
"""
from __future__ import annotations

from cfggen.ir.cnum import int_list
from cfggen.lint.model import Diagnostic
from cfggen.lint.rules._base import RuleContext, at

CODE, NAME, SEVERITY, SCOPE = "DN304", "anchor-coverage", "warning", "network"
SUMMARY = "an anchor used by no head, or by several"
MAX_ANCHORS = 4096   # beyond this num= is a typo that DN303 reports; listing anchors one by one is pointless


def check(ctx: RuleContext):
    heads = [layer for layer in ctx.net.layers if layer.type in ("yolo", "gaussian_yolo")]
    if not heads:
        return
    num = heads[-1].conf["num"]
    if any(h.conf["num"] != num for h in heads) or num <= 0 or num > MAX_ANCHORS:
        return  # num differs between heads or is absurd: DN303/DN302/DN306 say more than coverage could
    users: dict[int, list] = {}
    for h in heads:
        mask = int_list(h.conf["mask"], stop_at_hash=True) if h.conf["mask"] is not None else list(range(num))
        for m in mask:
            users.setdefault(m, []).append(h)
    for a in range(num):
        hs = users.get(a, [])
        if len(hs) > 1:
            first, second = hs[0], hs[1]
            line, col = at(second.section, "mask")
            where = (f"layers {first.index} and {second.index}" if first is not second
                     else f"layer {first.index}'s mask twice")
            yield Diagnostic(CODE, f"anchor {a} is used by {where}: it predicts the same box shape twice",
                             line=line, col=col, layer=second.index,
                             related=((at(first.section, "mask")[0], f"mask of layer {first.index}"),),
                             hint="give each anchor index to exactly one head")
    unused = [a for a in range(num) if a not in users]
    if unused:
        last = heads[-1]
        line, col = at(last.section, "mask")
        shown = ", ".join(map(str, unused[:12])) + (f" and {len(unused) - 12} more" if len(unused) > 12 else "")
        yield Diagnostic(CODE, f"anchor{'s' if len(unused) > 1 else ''} {shown} of num={num} "
                         f"{'are' if len(unused) > 1 else 'is'} used by no [yolo] head: never trained",
                         line=line, col=col, layer=last.index,
                         related=tuple((at(h.section, "mask")[0], f"mask of layer {h.index}") for h in heads[:-1]),
                         hint="masks of all heads together should list every anchor index once")
