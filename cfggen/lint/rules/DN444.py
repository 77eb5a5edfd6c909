"""list-empty: an empty or all-blank train list (darknet divides by zero, or hangs).

*Why*: with no entry in the `train=` list darknet draws an image with `rand() % 0`: the process is
killed by SIGFPE (floating point exception) at the first batch. A list of blank lines only is no
better: darknet redraws a blank entry until it draws a path, so it never ends.

*Severity*: an error: darknet crashes or hangs.

**FAIL**
    (train.txt with no line)
**PASS**
    data/obj/1.jpg

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

CODE, NAME, SEVERITY, SCOPE = "DN444", "list-empty", "error", "dataset"
SUMMARY = "an empty or all-blank train list (darknet divides by zero, or hangs)"
check = None   # found by ``cfggen.dataset.checks`` (``validate --data``), not by the cfg engine
