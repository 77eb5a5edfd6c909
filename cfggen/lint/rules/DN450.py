"""label-box-tiny: a box under one network pixel (darknet drops it silently).

*Why*: darknet drops, without any message, a box whose width or height is under one pixel of the
network input (`w < 1/width` or `h < 1/height` of the cfg, after the box is clipped to the image).
Checked only with a cfg, at its own size (multi-scale training changes the threshold).

*Severity*: a warning: the object is silently never trained.

**FAIL**
    0 0.5 0.5 0.001 0.2         # width=416: under one pixel
**PASS**
    0 0.5 0.5 0.01 0.2

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

CODE, NAME, SEVERITY, SCOPE = "DN450", "label-box-tiny", "warning", "dataset"
SUMMARY = "a box under one network pixel (darknet drops it silently)"
check = None   # found by ``cfggen.dataset.checks`` (``validate --data``), not by the cfg engine
