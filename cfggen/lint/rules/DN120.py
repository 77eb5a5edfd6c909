"""nul-byte: a NUL byte, where darknet's line reader cuts the line and joins the next one to it.

*Why*: darknet's `fgetl` measures each line with `strlen`, which stops at a NUL byte; seeing no
newline there, it reads on and glues the next physical line onto the part before the NUL. What
follows the NUL on its line is never read, and the next line is no longer a line of its own:
`filters=64<NUL>junk` followed by `size=3` reads as `filters=64size=3` (64 filters, default size).
NUL bytes come from binary junk pasted or appended, or a file saved as UTF-16.

*Severity*: an error: the cut changes what darknet reads (a key and a value glued together or
lost), which the file no longer says.

**FAIL**
    [convolutional]
    filters=64<NUL>
    size=3
**PASS**
    [convolutional]
    filters=64
    size=3

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

from cfggen.lint.model import Diagnostic
from cfggen.lint.rules._base import RuleContext
from cfggen.source import printable

CODE, NAME, SEVERITY, SCOPE = "DN120", "nul-byte", "error", "file"
SUMMARY = "NUL byte: darknet cuts the line there and joins the next line to it"


def check(ctx: RuleContext):
    for cut in ctx.doc.cuts:
        lost = printable(cut.dropped[1:])
        yield Diagnostic(CODE, f"NUL byte: darknet's line reader stops here, drops the rest of the line"
                         f"{f' ({lost})' if lost else ''} and joins the next line to what comes before it",
                         line=cut.line, col=cut.col,
                         hint="remove the NUL byte (a file saved as UTF-16, or binary data pasted in?)")
