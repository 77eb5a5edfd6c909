"""utf8-bom: the file starts with a UTF-8 byte-order mark.

*Why*: darknet removes only spaces, tabs, CR and LF; the BOM bytes stay in front of `[net]`, so the
first line is no longer a section header but an option before any section: darknet crashes with a
segmentation fault. Editors on Windows add it silently.

*Severity*: an error: darknet crashes (segmentation fault) while reading the file.

**FAIL**
    \\ufeff[net]
**PASS**
    [net]

*Fix safety*: safe: `--fix` removes the BOM.
"""
from __future__ import annotations

from cfggen.lint.model import Diagnostic, Edit, Fix
from cfggen.lint.rules._base import RuleContext

CODE, NAME, SEVERITY, SCOPE = "DN110", "utf8-bom", "error", "file"
SUMMARY = "UTF-8 byte-order mark at the start (darknet segfaults)"


def check(ctx: RuleContext):
    if ctx.doc.bom:
        first = ctx.doc.line_text(1)
        yield Diagnostic(CODE, "the file starts with a UTF-8 byte-order mark: darknet reads '[net]' as an option "
                         "before any section and crashes", line=1, col=1,
                         hint="save the file as UTF-8 without BOM",
                         fix=Fix("remove the byte-order mark", (Edit(1, first[1:]),)))
