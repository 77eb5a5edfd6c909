"""label-unparsed: label text darknet stops reading at, or reads shifted.

*Why*: darknet reads a label file as a stream of `<int> <float> <float> <float> <float>` groups,
ignoring line breaks, and stops silently at the first group that does not convert: a `# comment`,
commas, a word lose that line and everything after it. A line with 4 or 6 numbers shifts every box
after it (the 6th number becomes the next box's class id; with 4, the next class id is the height).

*Severity*: an error: boxes are silently lost or read as other boxes.

**FAIL**
    0 0.5 0.5 0.2               # 4 numbers
    1 0.3 0.3 0.1 0.1
    # a comment: nothing after it is read
**PASS**
    0 0.5 0.5 0.2 0.2
    1 0.3 0.3 0.1 0.1

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

CODE, NAME, SEVERITY, SCOPE = "DN452", "label-unparsed", "error", "dataset"
SUMMARY = "label text darknet stops reading at, or reads shifted"
check = None   # found by ``cfggen.dataset.checks`` (``validate --data``), not by the cfg engine
