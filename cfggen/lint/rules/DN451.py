"""label-box-clipped: a box partly outside the image or larger than it (clipped).

*Why*: darknet clips a box that is partly outside the image (or wider/taller than it) to the image
edges and recomputes its centre and size, silently: what is trained is not the box written.
Often a sign of labels converted with the wrong image size or of corner coordinates written as
centres.

*Severity*: info: darknet trains the clipped box without a message.

**FAIL**
    0 0.95 0.5 0.3 0.2
**PASS**
    0 0.80 0.5 0.3 0.2

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

CODE, NAME, SEVERITY, SCOPE = "DN451", "label-box-clipped", "info", "dataset"
SUMMARY = "a box partly outside the image or larger than it (clipped)"
check = None   # found by ``cfggen.dataset.checks`` (``validate --data``), not by the cfg engine
