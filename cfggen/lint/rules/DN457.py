"""names-blank: blank lines in the names file (each is a class name).

*Why*: darknet reads one name per line and keeps blank lines as empty names: they count towards the
number of names that `train -map`, `map` and `test` compare with `classes=` (" Error: in the file
<names> number of names K that isn't equal to classes=C", which ends `train -map` at its first mAP
pass, without final weights), and a detection of that class is drawn without a label.

*Severity*: a warning: the blank lines are names; the count itself is DN408's.

**FAIL**
    cat

    dog
**PASS**
    cat
    dog

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

CODE, NAME, SEVERITY, SCOPE = "DN457", "names-blank", "warning", "dataset"
SUMMARY = "blank lines in the names file (each is a class name)"
check = None   # found by ``cfggen.dataset.checks`` (``validate --data``), not by the cfg engine
