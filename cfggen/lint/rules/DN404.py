"""batch-subdivisions: `batch` not divisible by `subdivisions`.

*Why*: darknet computes the mini-batch as `batch / subdivisions` in integer arithmetic and trains
with `mini_batch * subdivisions` images per iteration: `batch=64, subdivisions=24` trains with 48,
and `subdivisions` larger than `batch` gives a mini-batch of 0, raised to 1. `subdivisions=0`
divides by zero while parsing (an error).

*Severity*: a warning: darknet trains with a slightly smaller batch than written; `subdivisions=0`
is an error (division by zero).

**FAIL**
    [net]
    batch=64
    subdivisions=24
**PASS**
    [net]
    batch=64
    subdivisions=16

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

from cfggen.lint.model import Diagnostic
from cfggen.lint.rules._base import RuleContext, at_net

CODE, NAME, SEVERITY, SCOPE = "DN404", "batch-subdivisions", "warning", "file"
SUMMARY = "batch not divisible by subdivisions (mini-batch truncated)"


def check(ctx: RuleContext):
    net = ctx.doc.net
    if net is None:
        return
    b, s = ctx.plan.net["batch"], ctx.plan.net["subdivisions"]
    line, col = at_net(ctx.doc, "subdivisions")
    bl = at_net(ctx.doc, "batch")[0]
    if s == 0:
        yield Diagnostic(CODE, "subdivisions=0: darknet divides batch by zero while parsing (SIGFPE)", line=line,
                         col=col, severity="error", hint="subdivisions is at least 1")
    elif s < 0 or b <= 0:
        yield Diagnostic(CODE, f"batch={b}, subdivisions={s}: darknet raises the mini-batch to 1", line=line, col=col,
                         related=((bl, f"batch={b}"),), hint="use positive values, batch a multiple of subdivisions")
    elif b % s:
        mini = b // s
        got = max(1, mini) * s
        yield Diagnostic(CODE, f"batch={b} is not a multiple of subdivisions={s}: darknet trains with "
                         f"{max(1, mini)} x {s} = {got} images per iteration, not {b}", line=line, col=col,
                         related=((bl, f"batch={b}"),),
                         hint=f"make batch a multiple of subdivisions{_divisor(b, s)}")


def _divisor(b: int, s: int) -> str:
    for d in range(1, 1000):
        for cand in (s - d, s + d):
            if 0 < cand <= b and b % cand == 0:
                return f" (e.g. subdivisions={cand})"
    return ""
