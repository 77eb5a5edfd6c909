"""missing-equals: an option line without `=`.

*Why*: darknet stores the line as a key with no value: a lookup of that key finds it, returns
"not found" and the default is used; as darknet deletes every space, `batch_normalize 1` becomes
the unknown key `batch_normalize1`. A stray word (a note typed without `#`) is the other usual cause.

**FAIL**
    [convolutional]
    batch_normalize 1
**PASS**
    [convolutional]
    batch_normalize=1

*Fix safety*: not fixable automatically; the hint shows the likely `key=value`.
"""
from __future__ import annotations

import re

from cfggen.lint.rules._base import RuleContext, at_option, facts, suggest

CODE, NAME, SEVERITY, SCOPE = "DN105", "missing-equals", "error", "file"
SUMMARY = "option line without '=' (darknet uses the default)"

_SPLIT = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*[:\s]\s*(\S.*?)\s*$")


def check(ctx: RuleContext):
    f = facts(ctx.doc)
    for i, section, opt in f.odd:   # the options that are not plainly right (one shared pass)
        known = f.key_types[i] or {}
        if opt.form != "noeq" or opt.line in f.conflict_lines:
            continue
        raw = ctx.doc.line_text(opt.line)
        hint = "write key=value, or start a note with '#'"
        m = _SPLIT.match(raw.lstrip("\ufeff"))
        if m:
            key = m.group(1) if m.group(1) in known else suggest(m.group(1), known) if known else None
            if key:
                hint = f"did you mean {key}={m.group(2).replace(' ', '')}?"
        yield at_option(CODE, f"'{raw.strip()[:40]}' has no '=': darknet reads it as a key "
                        f"'{opt.key[:40]}' without a value and ignores it", opt, hint=hint)
