"""label-class-range: a label's class id outside 0..classes-1.

*Why*: darknet checks each box against `classes=` of the cfg's last detection layer: an id at or above
it prints " Wrong annotation: class_id = 3. But class_id should be [from 0 to 1], file: <label> ",
appends the line to `bad_label.list` and drops the box, every time the image is drawn. A negative id
passes the loader; then every `[yolo]` layer prints " Warning: in txt-labels class_id=-1 >= classes=2
in cfg-file ..." for every cell and anchor and never trains the box (`calc_anchors` corrupts its
heap with it). Usually the dataset and the cfg disagree on the number of classes. Every box with the
same id is one finding. Without a cfg, the names file's count is used.

*Severity*: an error: darknet trains without these objects.

**FAIL**
    3 0.5 0.5 0.2 0.2           # classes=2
**PASS**
    1 0.5 0.5 0.2 0.2

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

CODE, NAME, SEVERITY, SCOPE = "DN448", "label-class-range", "error", "dataset"
SUMMARY = "a label's class id outside 0..classes-1"
check = None   # found by ``cfggen.dataset.checks`` (``validate --data``), not by the cfg engine
