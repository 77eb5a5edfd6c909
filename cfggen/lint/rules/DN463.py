"""label-max-boxes: images with more boxes than the detection layer's `max`.

*Why*: each image's truth buffer holds `max` boxes (`max=` of the last `[yolo]`/`[Gaussian_yolo]`/
`[region]`, default 200): darknet shuffles an image's boxes and keeps the first `max` of them each
time it draws the image, so the others are trained only some of the time, silently. Crowded scenes
(people, cells, cars) exceed it. The how-to's advice is `max=` higher, in every detection layer
(with unequal values the heads read each other's boxes). Without a cfg, darknet's default 200.

*Severity*: a warning: darknet trains on a random subset of the image's boxes without a message.

**FAIL**
    (a label file with 250 boxes; max=200 or no max=)
**PASS**
    (a label file with 250 boxes; max=300 in every [yolo])

*Fix safety*: not fixable automatically (set `max=` in every detection layer).
"""
from __future__ import annotations

CODE, NAME, SEVERITY, SCOPE = "DN463", "label-max-boxes", "warning", "dataset"
SUMMARY = "an image with more boxes than max= (darknet keeps a random subset)"
check = None   # found by ``cfggen.dataset.checks`` (``validate --data``), not by the cfg engine
