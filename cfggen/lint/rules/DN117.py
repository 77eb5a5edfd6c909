"""merge-conflict-marker: a git merge-conflict marker left in the file.

*Why*: `<<<<<<< HEAD`, `=======` and `>>>>>>> branch` are option lines to darknet. Before `[net]`
they crash it (segmentation fault); inside a section they are unused keys, and both sides of the
conflict are read: the first of each duplicated key wins, so the network is a mix of the two
versions.

*Severity*: an error: the file holds two versions of its lines; darknet reads the markers as keys
and both versions, a network nobody wrote.

**FAIL**
    [convolutional]
    <<<<<<< HEAD
    filters=255
    =======
    filters=18
    >>>>>>> custom
**PASS**
    [convolutional]
    filters=18

*Fix safety*: not fixable automatically (resolve the conflict).
"""
from __future__ import annotations

from cfggen.lint.model import Diagnostic
from cfggen.lint.rules._base import RuleContext, facts

CODE, NAME, SEVERITY, SCOPE = "DN117", "merge-conflict-marker", "error", "file"
SUMMARY = "unresolved git merge-conflict marker"


def check(ctx: RuleContext):
    conflicts = sorted(facts(ctx.doc).conflict_lines)
    first = ctx.doc.sections[0].line if ctx.doc.sections else None
    for k, n in enumerate(conflicts):
        marker = ctx.doc.line_text(n).strip()
        before = first is None or n < first
        effect = ("it comes before the first section, so darknet crashes (segmentation fault)" if before else
                  "darknet reads both sides of the conflict (the first of each key wins)")
        yield Diagnostic(CODE, f"merge-conflict marker '{marker[:30]}': {effect}", line=n, col=1,
                         related=tuple((m, "the neighbouring marker") for m in conflicts[max(0, k - 1):k + 2] if m != n),
                         hint="resolve the conflict and delete the markers")
