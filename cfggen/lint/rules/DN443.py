"""list-blank-entry: blank lines in an image list are entries darknet keeps.

*Why*: darknet keeps a blank line of an image list as an empty entry: it counts in "read labels from
N images" and in the image count of `-mAP_epochs`, training redraws it with " Very small path to the
image: " each time it is drawn, and `map`/`valid`/`calc_anchors` process it as an image (a
"Label file name is too short" message and an empty line in `bad.list`). All blank lines of a list
are one finding.

*Severity*: a warning: training goes on, but the list is not what it looks like.

**FAIL**
    data/obj/1.jpg

    data/obj/2.jpg
**PASS**
    data/obj/1.jpg
    data/obj/2.jpg

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

CODE, NAME, SEVERITY, SCOPE = "DN443", "list-blank-entry", "warning", "dataset"
SUMMARY = "blank lines in an image list are entries darknet keeps"
check = None   # found by ``cfggen.dataset.checks`` (``validate --data``), not by the cfg engine
