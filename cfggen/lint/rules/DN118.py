"""steps-scales-count: `scales` (or `seq_scales`) shorter than `steps`.

*Why*: darknet sizes its arrays from `steps` (commas before the first `#`, plus one) and then reads
`scales` and `seq_scales` in step with it: fewer values than `steps` make it read past the end of
the string, a segmentation fault at start-up (a trailing comma in `steps` does it too). More
values than `steps` are ignored silently (a warning). The Hank.ai fork pads missing scales with 0,
which drops the learning rate to zero.

*Severity*: an error when `scales` is short: darknet crashes at start-up. Extra values are a
warning: darknet uses exactly the scales of the steps written and ignores the rest. A trailing comma
in `steps=` is DN111's finding, not reported twice.

**FAIL**
    [net]
    policy=steps
    steps=400000,450000
    scales=.1
**PASS**
    [net]
    policy=steps
    steps=400000,450000
    scales=.1,.1

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

from cfggen.lint.rules._base import RuleContext, at_option, net_options, value_head

CODE, NAME, SEVERITY, SCOPE = "DN118", "steps-scales-count", "error", "file"
SUMMARY = "fewer scales= than steps= (darknet segfaults)"


def check(ctx: RuleContext):
    net = ctx.doc.net
    if net is None:
        return
    get = net_options(ctx.doc).get   # net.get for every key at once
    steps = get("steps")
    if steps is None or steps.value is None:
        return
    n = value_head(steps.value).count(",") + 1
    for key in ("scales", "seq_scales"):
        opt = get(key)
        if opt is None or opt.value is None:
            continue
        have = opt.value.count(",") + 1   # darknet walks the string: entries, '#' or not
        if have < n:
            yield at_option(CODE, f"{key}= has {have} value{'s' * (have != 1)} but steps= has {n}: darknet reads "
                            f"past the end of {key} and crashes (segmentation fault)", opt, value=True,
                            related=((steps.line, f"steps={steps.value}"),),
                            hint=f"give one {key} value per step")
        elif have > n and value_head(opt.value).count(",") + 1 > n:
            yield at_option(CODE, f"{key}= has {have} values but steps= has {n}: darknet ignores the extra ones",
                            opt, value=True, severity="warning", related=((steps.line, f"steps={steps.value}"),),
                            hint=f"give one {key} value per step")
