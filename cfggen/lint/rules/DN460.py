"""mosaic-without-opencv: `mosaic=1`, which a darknet built without OpenCV cannot train.

*Why*: darknet's detection data loader implements mosaic only with OpenCV: a build without it (the
stock Makefile's default, `OPENCV=0`) exits 1 at the first batch with "mosaic=1 - compile Darknet
with OpenCV for using mosaic=1". cfggen's own detectors set `mosaic=1`. cfggen cannot know the
build, so this is said only with `validate --data` (training is then the question), once per cfg.

*Severity*: info: a fact about one kind of build (without OpenCV), not a mistake in the cfg.

**FAIL**
    [net]
    mosaic=1
**PASS**
    [net]
    mosaic=0

*Fix safety*: not fixable automatically (build darknet with `OPENCV=1`, or set `mosaic=0`).
"""
from __future__ import annotations

from cfggen.lint.model import Diagnostic
from cfggen.lint.rules._base import at_net

CODE, NAME, SEVERITY, SCOPE = "DN460", "mosaic-without-opencv", "info", "file"
SUMMARY = "mosaic=1 exits at the first batch in a darknet built without OpenCV"


def check(ctx):
    if not ctx.options.get("training") or ctx.doc.net is None or not ctx.plan.net["mosaic"]:
        return
    line, col = at_net(ctx.doc, "mosaic")
    yield Diagnostic(CODE, "mosaic=1: a darknet built without OpenCV (OPENCV=0, the stock Makefile's default) "
                     "exits at the first batch with \"mosaic=1 - compile Darknet with OpenCV for using mosaic=1\"",
                     line=line, col=col, hint="build darknet with OPENCV=1, or set mosaic=0 for a build without it")
