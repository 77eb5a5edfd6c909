"""steps-stale: the learning rate makes its last drop before half of `max_batches`.

*Why*: darknet's guide puts `steps` at 80% and 90% of `max_batches`. When `max_batches` is raised
and `steps` kept from the cfg it was copied from, the learning rate drops early and the rest of the
training runs at the final, smallest rate (the opposite mistake, steps beyond `max_batches`, is
DN401). Only drops count (`scales` below 1); warm-up steps that raise the rate are ignored.

*Severity*: a warning: darknet follows the schedule as written; whether the steps are stale is a
judgement, not darknet's behaviour.
When the steps look stale only because darknet misreads them (DN107) or a trailing comma adds a step
at 0 (DN111), that finding is the one reported.

**FAIL**
    [net]
    max_batches=100400
    policy=steps
    steps=40000,45000
    scales=.1,.1
**PASS**
    [net]
    max_batches=100400
    policy=steps
    steps=80320,90360
    scales=.1,.1

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

from cfggen.ir.cnum import float_list, int_list
from cfggen.lint.rules._base import RuleContext, at_option, net_options

CODE, NAME, SEVERITY, SCOPE = "DN403", "steps-stale", "warning", "file"
SUMMARY = "last learning-rate drop before 50% of max_batches (steps left from another cfg?)"


def check(ctx: RuleContext):
    net = ctx.doc.net
    conf = ctx.plan.net
    if net is None or conf["policy"] != "steps" or conf["max_batches"] <= 0:
        return
    get = net_options(ctx.doc).get   # net.get for every key at once
    opt = get("steps")
    if opt is None or not opt.value or conf["scales"] is None:
        return
    mb = conf["max_batches"]
    steps = int_list(opt.value, stop_at_hash=True)
    scales = float_list(conf["scales"])
    if any(s > mb for s in steps) or len(scales) < len(steps):
        return  # DN401 / DN118
    drops = [s for s, k in zip(steps, scales) if k < 1]
    if not drops or max(drops) * 2 >= mb:
        return
    last = max(drops)
    mbo = get("max_batches")
    yield at_option(CODE, f"steps={opt.value}: the learning rate makes its last drop at {last} "
                    f"({100 * last / mb:.0f}% of max_batches={mb}), so the rest of training runs at the final rate; "
                    "were the steps kept from a cfg with a shorter schedule?", opt, value=True,
                    related=((mbo.line, f"max_batches={mbo.value}"),) if mbo else (),
                    hint=f"steps at 80% and 90% of max_batches: steps={int(mb * .8)},{int(mb * .9)}")
