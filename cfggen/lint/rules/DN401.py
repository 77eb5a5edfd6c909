"""steps-order: learning-rate `steps` out of order or beyond `max_batches`.

*Why*: with `policy=steps` darknet walks `steps` from the left and stops at the first step larger
than the current iteration (multiplying the scales of every step it passes), so a decreasing
list applies its later drop late, and equal steps drop together; a step beyond `max_batches` never happens (usually `max_batches` was
lowered for a small dataset and `steps` kept), and `burn_in` longer than `max_batches` never
reaches the full learning rate. darknet checks none of this.

*Severity*: an error for a decreasing list (a drop happens at another iteration than written); a
warning for equal steps (darknet does what the file says: both drops at once), for steps beyond
`max_batches` and for a `burn_in` longer than training (the schedule is cut short as written).
When the steps are out of order only because darknet misreads them (`steps=4e5,4.5e5` reads 4,4:
DN107) or because of a trailing comma (DN111), that finding is the one reported.

**FAIL**
    [net]
    max_batches=6000
    policy=steps
    steps=400000,450000
    scales=.1,.1
**PASS**
    [net]
    max_batches=6000
    policy=steps
    steps=4800,5400
    scales=.1,.1

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

from cfggen.ir.cnum import int_list
from cfggen.lint.rules._base import RuleContext, at_option, net_options

CODE, NAME, SEVERITY, SCOPE = "DN401", "steps-order", "error", "file"
SUMMARY = "steps= not increasing, or beyond max_batches"


def check(ctx: RuleContext):
    net = ctx.doc.net
    if net is None:
        return
    get = net_options(ctx.doc).get   # net.get for every key at once
    conf = ctx.plan.net
    mb = conf["max_batches"]
    steps_opt = get("steps")
    if conf["policy"] == "steps" and steps_opt is not None and steps_opt.value:
        steps = int_list(steps_opt.value, stop_at_hash=True)
        for i in range(1, len(steps)):
            if steps[i] < steps[i - 1]:
                yield at_option(CODE, f"steps={steps_opt.value} is not increasing ({steps[i - 1]} then {steps[i]}): "
                                f"darknet stops at the first step above the iteration, so the drop at {steps[i]} "
                                f"comes only at {steps[i - 1]}", steps_opt, value=True,
                                hint="list the steps in increasing order")
                break
            if steps[i] == steps[i - 1]:
                yield at_option(CODE, f"steps={steps_opt.value} repeats {steps[i]}: both drops happen together at "
                                f"iteration {steps[i]}", steps_opt, value=True, severity="warning",
                                hint="one step with the product of the two scales says the same; or was another "
                                "step meant?")
                break
        if mb > 0:
            beyond = [s for s in steps if s > mb]
            if beyond:
                yield at_option(CODE, f"step{'s' if len(beyond) > 1 else ''} {', '.join(map(str, beyond))} of steps= "
                                f"{'are' if len(beyond) > 1 else 'is'} beyond max_batches={mb}: the learning rate "
                                "never drops there", steps_opt, value=True, severity="warning",
                                related=_mb_related(net),
                                hint=f"put steps at 80% and 90% of max_batches: steps={int(mb * .8)},{int(mb * .9)}")
    burn = get("burn_in")
    if burn is not None and mb > 0 and conf["burn_in"] > mb:
        yield at_option(CODE, f"burn_in={conf['burn_in']} is longer than max_batches={mb}: training ends during "
                        "the warm-up", burn, value=True, severity="warning", related=_mb_related(net),
                        hint="burn_in is usually 1000")


def _mb_related(net):
    opt = net.get("max_batches")
    return ((opt.line, f"max_batches={opt.value}"),) if opt is not None else ()
