"""option-before-section: text before the first section header.

*Why*: an option line before `[net]` makes darknet dereference a missing section: it crashes with a
segmentation fault and no message. Usual causes: a pasted fragment, a note typed without `#`, a key
meant for `[net]` put above it. (Merge-conflict markers, before `[net]` or anywhere else, are DN117.)

*Severity*: an error: darknet crashes (segmentation fault) while reading the file.

**FAIL**
    batch=64
    [net]
**PASS**
    [net]
    batch=64

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

from cfggen.lint.model import Diagnostic
from cfggen.lint.rules._base import RuleContext, facts

CODE, NAME, SEVERITY, SCOPE = "DN109", "option-before-section", "error", "file"
SUMMARY = "text before the first section (darknet segfaults)"


def check(ctx: RuleContext):
    conflicts = facts(ctx.doc).conflict_lines
    for opt in ctx.doc.orphans:
        if opt.line in conflicts:
            continue
        yield Diagnostic(CODE, f"'{opt.text[:40]}' before the first section: darknet crashes (segmentation fault)",
                         line=opt.line, col=opt.col, hint="move it into a section, or make it a comment with '#'")
