"""duplicate-key: the same key twice in one section.

*Why*: darknet's lookup returns the first occurrence: later ones are ignored (reported as "Unused
field" in layers, silently in `[net]`). Usually the later line is the edit that was meant to take
effect. A `[net]` with both the "Testing" and the
"Training" `batch=`/`subdivisions=` lines active is DN405's, not reported here twice.

*Severity*: an error when the two values differ: the file says one thing and darknet uses the
other. A duplicate with the same value is info: darknet builds exactly what the file says, the
line is only clutter.

**FAIL**
    [convolutional]
    filters=64
    size=3
    filters=32
**PASS**
    [convolutional]
    filters=32
    size=3

*Fix safety*: not fixable automatically (which line was meant is a guess).
"""
from __future__ import annotations

from cfggen.lint.rules import DN405
from cfggen.lint.rules._base import RuleContext, at_option, facts

CODE, NAME, SEVERITY, SCOPE = "DN103", "duplicate-key", "error", "file"
SUMMARY = "same key twice in a section (darknet uses the first)"


def check(ctx: RuleContext):
    f = facts(ctx.doc)
    covered = DN405.covered_keys(ctx.doc) if f.repeated else None
    sections = ctx.doc.sections
    for i in f.repeated:   # the known sections with some key twice (found by the shared pass)
        section = sections[i]
        first: dict[str, object] = {}
        for opt in section.options:
            if opt.form == "empty" or opt.line in f.conflict_lines:
                continue  # darknet drops "key=" lines: they are not stored at all (DN104)
            prev = first.get(opt.key)
            if prev is None:
                first[opt.key] = opt
                continue
            if i == 0 and opt.key in covered:
                continue
            where = f"layer {section.index} {section.header}" if section.index >= 0 else "[net]"
            if prev.form == "noeq":
                yield at_option(CODE, f"{opt.text} is ignored: the line '{prev.key}' (no '=') on line {prev.line} "
                                f"comes first, so darknet finds it and uses the default", opt,
                                related=((prev.line, f"first {prev.key} in {where}"),),
                                hint=f"delete line {prev.line}")
            elif prev.value == opt.value:
                yield at_option(CODE, f"{opt.text} repeats line {prev.line}: darknet reads only the first", opt,
                                severity="info", related=((prev.line, f"first {prev.key} in {where}"),),
                                hint="delete the repeated line")
            else:
                yield at_option(CODE, f"{opt.text} is ignored: darknet uses the first {prev.text} (line {prev.line})",
                                opt, related=((prev.line, f"first {prev.key} in {where}, the one darknet uses"),),
                                hint="keep one of the two lines")
