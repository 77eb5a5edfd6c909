"""label-empty: empty label files: background (negative) images.

*Why*: an empty label file makes its image a negative sample: darknet learns it as background, as
intended for images without objects (the how-to suggests about as many as images with objects).
Reported once per list, with the count, so that an unintended number stands out.

*Severity*: info: this is how darknet's negatives are written.

**FAIL**
    data/obj/bg.jpg             # data/obj/bg.txt is empty
**PASS**
    data/obj/1.jpg              # data/obj/1.txt has boxes

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

CODE, NAME, SEVERITY, SCOPE = "DN453", "label-empty", "info", "dataset"
SUMMARY = "empty label files: background (negative) images"
check = None   # found by ``cfggen.dataset.checks`` (``validate --data``), not by the cfg engine
