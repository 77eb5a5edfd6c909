"""shell-unsafe-path: an image path with shell metacharacters (run by darknet's system()).

*Why*: when a label is wrong, darknet records it by running `echo <label path> "..." >> bad_label.list`
through the shell with the path unquoted, from a 256-byte buffer: a path containing `;`, `&`, `|`,
`` ` ``, `$`, `(`, `)`, `<` or `>` runs a command or redirects output the moment its labels are bad
(an image named `x;touch INJ;.png` creates a file `INJ`), and a longer path overflows the buffer.

*Severity*: an error: a security matter (a command runs) or a stack buffer overflow.

**FAIL**
    data/obj/x;rm -rf ~;.jpg
**PASS**
    data/obj/x.jpg

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

CODE, NAME, SEVERITY, SCOPE = "DN459", "shell-unsafe-path", "error", "dataset"
SUMMARY = "an image path with shell metacharacters (run by darknet's system())"
check = None   # found by ``cfggen.dataset.checks`` (``validate --data``), not by the cfg engine
