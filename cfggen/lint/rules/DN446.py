"""label-missing: a label file darknet cannot open (the image becomes a negative).

*Why*: for every image darknet opens the label file its path maps to (`/JPEGImages/` -> `/labels/`,
the `/images/train2017/`-style COCO folders, the extension -> `.txt`). A file it cannot open prints
"Can't open label file. (This can be normal only if you use MSCOCO): <path>", is appended to
`bad.list`, and the image trains as a negative sample (no object). A background image should have
an empty label file instead. All such images of a list are one finding.

*Severity*: a warning: training goes on; every object in the image is learnt as background.

**FAIL**
    data/obj/1.jpg              # data/obj/1.txt does not exist
**PASS**
    data/obj/1.jpg              # data/obj/1.txt exists (empty for a background image)

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

CODE, NAME, SEVERITY, SCOPE = "DN446", "label-missing", "warning", "dataset"
SUMMARY = "a label file darknet cannot open (the image becomes a negative)"
check = None   # found by ``cfggen.dataset.checks`` (``validate --data``), not by the cfg engine
