"""valid-is-train: valid= is the train list, or shares images with it.

*Why*: with `-map`, darknet measures the mAP that picks `_best.weights` on the `valid=` list; without
a `valid=` line it uses the `train=` list. A mAP on training images says how well the network has
memorised them, not how well it detects new ones. Images in both lists are reported too.

*Severity*: a warning: training works, its mAP figures are optimistic.

**FAIL**
    train = data/train.txt
    valid = data/train.txt
**PASS**
    train = data/train.txt
    valid = data/valid.txt

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

CODE, NAME, SEVERITY, SCOPE = "DN455", "valid-is-train", "warning", "dataset"
SUMMARY = "valid= is the train list, or shares images with it"
check = None   # found by ``cfggen.dataset.checks`` (``validate --data``), not by the cfg engine
