"""image-duplicate: the same image listed more than once.

*Why*: darknet draws training images uniformly with replacement from the list's entries: an image
listed twice is trained twice as often, and a duplicate across lists is an image in both. Written
paths are compared after normalisation (`./a.jpg` is `a.jpg`). All duplicates of a list are one
finding.

*Severity*: a warning: training weights the image more; intended oversampling is better written
on purpose, not left by a merge of lists.

**FAIL**
    data/obj/1.jpg
    data/obj/1.jpg
**PASS**
    data/obj/1.jpg
    data/obj/2.jpg

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

CODE, NAME, SEVERITY, SCOPE = "DN454", "image-duplicate", "warning", "dataset"
SUMMARY = "the same image listed more than once"
check = None   # found by ``cfggen.dataset.checks`` (``validate --data``), not by the cfg engine
