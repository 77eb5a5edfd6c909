"""label-box-invalid: a box darknet drops (x=y=0, entirely outside, NaN).

*Why*: a box with `x == 0 && y == 0`, or lying entirely outside the image (`x+w/2 < 0`, `y+h/2 < 0`,
`x-w/2 > 1`, `y-h/2 > 1`), is dropped with " Wrong annotation: x = 0, y = 0, < 0 or > 1, file: <label> "
(and a line in `bad_label.list`). A NaN coordinate passes every check without a message and trains
nothing. Boxes are judged as written (no augmentation). Every box of the same kind is one finding.

*Severity*: a warning: darknet drops the box and goes on.

**FAIL**
    0 0 0 0.2 0.2
    0 1.5 0.5 0.2 0.2
**PASS**
    0 0.5 0.5 0.2 0.2

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

CODE, NAME, SEVERITY, SCOPE = "DN449", "label-box-invalid", "warning", "dataset"
SUMMARY = "a box darknet drops (x=y=0, entirely outside, NaN)"
check = None   # found by ``cfggen.dataset.checks`` (``validate --data``), not by the cfg engine
