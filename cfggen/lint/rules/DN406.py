"""letterbox-mosaic: `letter_box=1` together with `mosaic=1`.

*Why*: AlexeyAB darknet builds from before the scaled-YOLOv4 update (late 2020), and forks based on
them, exit at the first training data load with "letter_box=1 & mosaic=1 - isn't supported"; later
builds combine the two (the stock scaled-YOLOv4 cfgs use both). An info note: check which darknet
trains the cfg.

*Severity*: info: only older darknet builds exit; current ones do what the file says.

**FAIL**
    [net]
    letter_box=1
    mosaic=1
**PASS**
    [net]
    letter_box=1
    mosaic=0

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

from cfggen.lint.model import Diagnostic
from cfggen.lint.rules._base import at_net

CODE, NAME, SEVERITY, SCOPE = "DN406", "letterbox-mosaic", "info", "file"
SUMMARY = "letter_box=1 with mosaic=1 (older darknet builds exit)"


def check(ctx):
    net = ctx.doc.net
    conf = ctx.plan.net
    if net is None or not conf["letter_box"] or not conf["mosaic"]:
        return
    line, col = at_net(ctx.doc, "letter_box")
    yield Diagnostic(CODE, "letter_box=1 with mosaic=1: darknet builds older than the scaled-YOLOv4 update exit "
                     "at the first training data load; newer ones combine them", line=line, col=col,
                     related=((at_net(ctx.doc, "mosaic")[0], "mosaic=1"),),
                     hint="with an older darknet, train with one of the two")
