"""relu6-cpu: `activation=relu6`, which darknet computes only on the GPU.

*Why*: darknet's CPU activation switch has no case for relu6: on a CPU build (or CPU inference of a
GPU-trained model) every relu6 layer outputs zeros, silently. GPU builds are correct, which is why
cfgs with relu6 (EfficientNet-Lite, MobileNet ports) work for their authors. Reported once per
file, at the first relu6, with the number of layers affected.

*Severity*: a warning: correct on GPU builds, which is how such cfgs are used; CPU inference outputs
zeros.

**FAIL**
    [convolutional]
    activation=relu6
**PASS**
    [convolutional]
    activation=relu

*Fix safety*: not fixable automatically (relu is not the same function).
"""
from __future__ import annotations

from cfggen.lint.rules._base import RuleContext, diag

CODE, NAME, SEVERITY, SCOPE = "DN501", "relu6-cpu", "warning", "network"
SUMMARY = "relu6 is GPU-only: CPU darknet outputs zeros"


def check(ctx: RuleContext):
    hits = [layer for layer in ctx.net.layers if layer.conf.get("activation") == "relu6"]
    if not hits:
        return
    first = hits[0]
    more = f" (and {len(hits) - 1} more layer{'s' * (len(hits) > 2)})" if len(hits) > 1 else ""
    yield diag(CODE, f"layer {first.index} uses activation=relu6{more}: darknet computes relu6 only on the GPU; "
               "on a CPU build these layers output zeros", first.section, "activation", layer=first.index,
               related=tuple((h.line, f"layer {h.index} relu6") for h in hits[1:4]),
               hint="use the GPU build for training and inference, or replace relu6")
