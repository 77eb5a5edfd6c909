"""random-not-last: `random=` on a detection head that is not the last one.

*Why*: multi-scale training is decided by the `random=` of the **last** [yolo]/[Gaussian_yolo]/
[region] layer only. `random=1` on an earlier head with `random=0` on the last means no
multi-scale training at all, silently; a different non-zero value on an earlier head is ignored.

*Severity*: a warning: the key changes nothing; darknet reads random= only from the last head.

**FAIL**
    [yolo]
    random=1
    ...
    [yolo]
    random=0
**PASS**
    [yolo]
    random=1
    ...
    [yolo]
    random=1

*Fix safety*: not fixable automatically (set `random=` on the last head).
"""
from __future__ import annotations

from cfggen.lint.model import Diagnostic
from cfggen.ir.layers import DETECTION_TYPES
from cfggen.lint.rules._base import RuleContext, at, layer_index
from cfggen.lint.training import training_head

CODE, NAME, SEVERITY, SCOPE = "DN307", "random-not-last", "warning", "network"
SUMMARY = "random= on a head other than the last is ignored"
LAYER_TYPES = DETECTION_TYPES   # training_head


def check(ctx: RuleContext):
    last = training_head(ctx.net)
    if last is None:
        return
    want = last.conf.get("random") or 0
    for h in layer_index(ctx).of("yolo", "gaussian_yolo", "region"):
        if h is last:
            continue
        r = h.conf.get("random") or 0
        if not r or r == want:
            continue
        line, col = at(h.section, "random")
        effect = ("multi-scale training is off" if not want else
                  f"training uses random={want:g} of the last head")
        yield Diagnostic(CODE, f"random={r:g} here is ignored: only the last detection layer's random counts "
                         f"(layer {last.index} has random={want:g}), so {effect}", line=line, col=col,
                         layer=h.index, related=((at(last.section, "random")[0], f"random of layer {last.index}"),),
                         hint=f"set random={r:g} in the last head (layer {last.index}) if multi-scale training is meant")
