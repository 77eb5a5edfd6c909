"""calc-anchors-clusters: fewer boxes than anchors (calc_anchors segfaults).

*Why*: `darknet detector calc_anchors` seeds its k-means with the first K boxes of a shuffled index
array: with fewer boxes than clusters (`-num_of_clusters`, 9 in the how-to, the cfg's `num=` here)
it reads past the array and crashes with a segmentation fault.

*Severity*: an error: darknet crashes (`cfggen anchors` reports it instead).

**FAIL**
    (a train list with 5 boxes in all, num=9)
**PASS**
    (a train list with at least 9 boxes)

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

CODE, NAME, SEVERITY, SCOPE = "DN458", "calc-anchors-clusters", "error", "dataset"
SUMMARY = "fewer boxes than anchors (calc_anchors segfaults)"
check = None   # found by ``cfggen.dataset.checks`` (``validate --data``), not by the cfg engine
