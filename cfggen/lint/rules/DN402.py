"""max-batches-low: a detector trained for fewer iterations than darknet's guide asks.

*Why*: AlexeyAB's training guide sets `max_batches` to `classes*2000` and never below 6000. A
schedule well below it (a cfg copied from a tutorial with `max_batches=2000`, or a VOC schedule
kept for 80 classes) is usually a leftover. Reported only below half of the guide: the guide is a
rule of thumb, and official schedules such as pjreddie's 120000 iterations for 80 classes are
within it. The `classes*2000` part is capped at 500000, the length of the stock COCO schedules, so
very large class counts (Open Images, YOLO9000) are not held to millions of iterations. Cfgs
without a `max_batches=` line are taken as inference-only and not checked.

*Severity*: a warning. Darknet trains exactly the schedule the file gives; whether it is long
enough depends on the dataset, which cfggen does not see. `max_batches` <= 0 (training stops
before its first iteration) is a warning too for the same reason: the file says so.

**FAIL**
    [net]
    max_batches=2000
    ...
    [yolo]
    classes=3
**PASS**
    [net]
    max_batches=6000
    ...
    [yolo]
    classes=3

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

from cfggen.ir.layers import DETECTION_TYPES
from cfggen.lint.model import Diagnostic
from cfggen.lint.rules._base import RuleContext, at, net_options

CODE, NAME, SEVERITY, SCOPE = "DN402", "max-batches-low", "warning", "file"
SUMMARY = "max_batches below half of max(6000, classes*2000)"

CAP = 500_000


def check(ctx: RuleContext):
    net = ctx.doc.net
    if net is None or net_options(ctx.doc).get("max_batches") is None:
        return  # no max_batches= at all: an inference-only cfg, not a training schedule
    head = next((item for item in reversed(ctx.plan.items)   # the last head, usually the last section
                 if item[1] is not None and item[1].type in DETECTION_TYPES), None)
    if head is None:
        return
    head_section, _, head_conf = head
    classes = head_conf["classes"]
    mb = ctx.plan.net["max_batches"]
    want = max(6000, min(classes * 2000, CAP))
    if 2 * mb >= want:
        return
    line, col = at(net, "max_batches")
    effect = (": darknet stops training before the first iteration" if mb <= 0 else
              f", less than half of darknet's guide of max(6000, 2000*classes) = {want}")
    cls = head_section.get("classes")
    yield Diagnostic(CODE, f"max_batches={mb} for a {classes}-class detector{effect}", line=line, col=col,
                     related=((cls.line, f"classes={classes} of the last head"),) if cls else (),
                     hint=f"max_batches={want}, with steps at 80% and 90% of it, unless the dataset is known "
                     "to need less")
