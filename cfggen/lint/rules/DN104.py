"""empty-value: `key=` with nothing after the `=`.

*Why*: darknet rejects the line ("Config file error line N"), drops the option and uses the key's
default: `mask=` makes a `[yolo]` head use every anchor, `filters=` gives 1 filter. The Hank.ai
fork ignores such lines silently. When the section has the key on another line with a value,
that one is in effect (darknet drops the empty line and finds the other one), not the default.

*Severity*: an error when the default is what darknet uses: the file meant a value and gets the
default. A warning when another line of the section gives the key a value: darknet uses that
line, so the empty one changes nothing (`anchors=` left empty under a valid `anchors=`); also when
the section does not read the key at all.

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
        known = f.key_types[i]
        if known is not None and opt.key not in known:
            where = "[net]" if section.index < 0 else section.header
            yield at_option(CODE, f"{opt.key}= has no value: darknet rejects the line ('Config file error'); "
                            f"{where} does not read {opt.key}= anyway", opt, severity="warning",
                            hint="delete the line")
            continue
        other = section.get(opt.key)
        if other is not None and other.form == "ok":
            yield at_option(CODE, f"{opt.key}= has no value: darknet rejects the line ('Config file error') and "
                            f"uses {other.text} from line {other.line}", opt, severity="warning",
                            related=((other.line, f"the {opt.key}= darknet uses"),),
                            hint="delete the empty line")
            continue
        yield at_option(CODE, f"{opt.key}= has no value: darknet rejects the line ('Config file error') and "
                        f"uses the default", opt, hint=f"give {opt.key} a value or delete the line")
