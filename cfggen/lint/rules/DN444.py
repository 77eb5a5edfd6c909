"""list-empty: an empty image list (darknet divides by zero).

*Why*: with no entry in the `train=` list darknet draws an image with `rand() % 0`: the process is
killed by SIGFPE (floating point exception) at the first batch.

*Severity*: an error: darknet crashes.

**FAIL**
    (train.txt with no line)
**PASS**
    data/obj/1.jpg

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

CODE, NAME, SEVERITY, SCOPE = "DN444", "list-empty", "error", "dataset"
SUMMARY = "an empty image list (darknet divides by zero)"
check = None   # found by ``cfggen.dataset.checks`` (``validate --data``), not by the cfg engine
