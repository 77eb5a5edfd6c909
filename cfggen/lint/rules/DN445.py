"""image-missing: an image list entry darknet cannot open.

*Why*: darknet opens each list entry as written, relative to the folder it runs in, without trimming
blanks. An image it cannot open prints `Cannot load image "<path>"` and `STB Reason: can't fopen`,
is appended to `bad.list`, and is replaced by a 10x10 black image, while its label file (whose path
*is* trimmed) is still read: the boxes are trained on a blank picture. All such entries of a list
are one finding.

*Severity*: an error: darknet trains the image's boxes on a blank picture.

**FAIL**
    data/obj/1.jpg              # no such file
    "data/obj/2.jpg "           # a trailing space: the image is not found, its labels are
**PASS**
    data/obj/2.jpg

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

CODE, NAME, SEVERITY, SCOPE = "DN445", "image-missing", "error", "dataset"
SUMMARY = "an image list entry darknet cannot open"
check = None   # found by ``cfggen.dataset.checks`` (``validate --data``), not by the cfg engine
