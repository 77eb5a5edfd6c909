"""option-before-section: text before the first section header.

*Why*: an option line before `[net]` makes darknet dereference a missing section: it crashes with a
segmentation fault and no message. Usual causes: a pasted fragment, a merge-conflict marker
(`<<<<<<<`, `=======`, `>>>>>>>`), a note typed without `#`.

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
from cfggen.lint.rules._base import RuleContext

CODE, NAME, SEVERITY, SCOPE = "DN109", "option-before-section", "error", "file"
SUMMARY = "text before the first section (darknet segfaults)"


def check(ctx: RuleContext):
    for opt in ctx.doc.orphans:
        text = ctx.doc.line_text(opt.line).strip()
        kind = "a merge-conflict marker" if text[:7] in ("<<<<<<<", "=======", ">>>>>>>") else f"'{opt.text[:40]}'"
        yield Diagnostic(CODE, f"{kind} before the first section: darknet crashes (segmentation fault)",
                         line=opt.line, col=opt.col, hint="move it into a section, or make it a comment with '#'")
