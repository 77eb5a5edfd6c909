"""relu6-cpu: `activation=relu6`, which darknet computes only on the GPU.

*Why*: darknet's CPU activation switch has no case for relu6: on a CPU build (or CPU inference of a
GPU-trained model) every relu6 layer outputs zeros, silently. GPU builds are correct, which is why
cfgs with relu6 (EfficientNet-Lite, MobileNet ports) work for their authors. Reported once per
file, at the first relu6, listing the other layers ("… and 40 more layers: …").

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

from cfggen.lint.rules._base import RuleContext, diag, layer_index

CODE, NAME, SEVERITY, SCOPE = "DN501", "relu6-cpu", "warning", "network"
SUMMARY = "relu6 is GPU-only: CPU darknet outputs zeros"


def check(ctx: RuleContext):
    # one finding per relu6 layer; cfggen.lint.group makes them one finding at the first, listing the others
    if "relu6" not in layer_index(ctx).activations:
        return
    for layer in ctx.net.layers:
        if layer.conf.get("activation") == "relu6":
            yield diag(CODE, f"layer {layer.index} uses activation=relu6: darknet computes relu6 only on the GPU; "
                       "on a CPU build it outputs zeros", layer.section, "activation", layer=layer.index,
                       hint="use the GPU build for training and inference, or replace relu6")
