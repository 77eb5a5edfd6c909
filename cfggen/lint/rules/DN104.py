"""empty-value: `key=` with nothing after the `=`.

*Why*: darknet rejects the line ("Config file error line N"), drops the option and uses the key's
default: `mask=` makes a `[yolo]` head use every anchor, `filters=` gives 1 filter. The Hank.ai
fork ignores such lines silently.

**FAIL**
    [yolo]
    mask=
**PASS**
    [yolo]
    mask=0,1,2

*Fix safety*: not fixable automatically (the missing value is unknown).
"""
from __future__ import annotations

from cfggen.lint.rules._base import RuleContext, at_option, facts

CODE, NAME, SEVERITY, SCOPE = "DN104", "empty-value", "error", "file"
SUMMARY = "key= without a value (darknet drops the line)"


def check(ctx: RuleContext):
    f = facts(ctx.doc)
    for i, section, opt in f.odd:   # the options that are not plainly right (one shared pass)
        if opt.form != "empty" or opt.line in f.conflict_lines:
            continue
        yield at_option(CODE, f"{opt.key}= has no value: darknet rejects the line ('Config file error') and "
                        f"uses the default", opt, hint=f"give {opt.key} a value or delete the line")
