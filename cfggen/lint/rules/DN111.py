"""trailing-comma: a list that ends with a comma (or has an empty element).

*Why*: darknet counts commas to size its lists and `atoi("")` is 0, so `layers=-1,-4,` routes
absolute layer 0 in as a third input, `from=-3,` adds layer 0, and `mask=0,1,2,` adds anchor 0 (the
filters check then fails). The file looks right and the network is silently different.

*Severity*: an error: darknet builds a different network (an extra input, anchor or step of 0) than
the file seems to say.

**FAIL**
    [route]
    layers=-1,-4,
**PASS**
    [route]
    layers=-1,-4

*Fix safety*: safe: `--fix` removes the trailing comma.
"""
from __future__ import annotations

from cfggen.lint.model import Diagnostic, Edit, Fix
from cfggen.lint.rules._base import RuleContext, facts

CODE, NAME, SEVERITY, SCOPE = "DN111", "trailing-comma", "error", "file"
SUMMARY = "empty list element (darknet reads it as 0)"

_EFFECT = {"layers": "absolute layer 0 becomes an extra input", "from": "layer 0 is added as an extra input",
           "mask": "anchor 0 is added to this head", "steps": "a step at iteration 0 is added (and scales must match)",
           "scales": "a scale of 0 is added", "anchors": "an anchor value of 0 is added",
           "counters_per_class": "a count of 0 is added"}


def check(ctx: RuleContext):
    for _, section, opt in facts(ctx.doc).odd:   # the options that are not plainly right (one shared pass)
        if opt.key not in _EFFECT or not opt.value:
            continue
        head = opt.value.split("#", 1)[0]
        if not any(not part for part in head.split(",")):
            continue
        raw = ctx.doc.line_text(opt.line)
        fixed = None
        if head.endswith(",") and head.count(",,") == 0 and "#" not in opt.value:
            cut = raw.rstrip(" \t")
            if cut.endswith(","):
                fixed = cut[:-1].rstrip(" \t") + raw[len(cut):]
        yield Diagnostic(CODE, f"{opt.key}={opt.value} has an empty element: darknet reads it as 0, so "
                         f"{_EFFECT[opt.key]}", line=opt.line, col=opt.value_col,
                         hint="remove the extra comma",
                         fix=Fix("remove the trailing comma", (Edit(opt.line, fixed),)) if fixed else None)
