"""counters-per-class: `counters_per_class=` with a count other than `classes`.

*Why*: darknet reads one count per class for its loss re-weighting and exits at start-up when the
number of values (commas before the first `#`, plus one) differs from `classes`. Usually
`classes` was changed and the counts were copied from another dataset.

*Severity*: an error: darknet exits at the start of training.

**FAIL**
    [yolo]
    classes=3
    counters_per_class=100,200
**PASS**
    [yolo]
    classes=3
    counters_per_class=100,200,300

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

from cfggen.lint.rules._base import RuleContext, diag, layer_index, value_head

CODE, NAME, SEVERITY, SCOPE = "DN310", "counters-per-class", "error", "network"
SUMMARY = "counters_per_class= count differs from classes="
LAYER_TYPES = ("yolo", "gaussian_yolo")


def check(ctx: RuleContext):
    for head in layer_index(ctx).of("yolo", "gaussian_yolo"):
        text = head.conf.get("counters_per_class")
        if text is None:
            continue
        n = value_head(text).count(",") + 1
        classes = head.conf["classes"]
        if n != classes:
            cls = head.section.get("classes")
            yield diag(CODE, f"counters_per_class= has {n} values but classes={classes}: darknet exits at start-up",
                       head.section, "counters_per_class", layer=head.index,
                       related=((cls.line, f"classes of layer {head.index}"),) if cls else (),
                       hint="give one count per class, in class order")
