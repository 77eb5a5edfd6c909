"""backup-folder: the backup= folder is missing or not writable.

*Why*: darknet never checks the weights folder in advance (`backup=`, default `/backup/` at the
filesystem root): the first save, `_last.weights` after 100 iterations by default, prints
"Couldn't open file: <backup>/<cfg>_last.weights" and exits 1, losing the training so far.

*Severity*: an error: darknet exits at its first save.

**FAIL**
    backup = backup/            # no such folder
**PASS**
    backup = backup/            # mkdir backup

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

CODE, NAME, SEVERITY, SCOPE = "DN456", "backup-folder", "error", "dataset"
SUMMARY = "the backup= folder is missing or not writable"
check = None   # found by ``cfggen.dataset.checks`` (``validate --data``), not by the cfg engine
