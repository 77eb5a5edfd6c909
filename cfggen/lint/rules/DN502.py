"""zero-activation: an activation that darknet's generic routine does not implement.

*Why*: only [convolutional] (and the conv sub-layers of recurrent layers) compute every
activation. [activation], [connected], [local], [scale_channels], [sam] and [rnn] go through a
generic element-wise routine with no case for swish, mish, hard_mish and normalize_channels*: it
returns 0 for every element, on CPU and GPU ([scale_channels]/[sam] print a note for swish/mish).
[shortcut] handles swish and mish itself, but not hard_mish or normalize_channels*.

*Severity*: an error: darknet outputs zeros for that layer on every build.

**FAIL**
    [activation]
    activation=mish
**PASS**
    [convolutional]
    filters=64
    activation=mish

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

from cfggen.lint.rules._base import RuleContext, diag, layer_index

CODE, NAME, SEVERITY, SCOPE = "DN502", "zero-activation", "error", "network"
SUMMARY = "activation the layer type cannot compute (outputs zeros)"

_BROKEN = ("swish", "mish", "hard_mish", "normalize_channels", "normalize_channels_softmax",
           "normalize_channels_softmax_maxval")
_GENERIC = ("activation", "connected", "local", "scale_channels", "sam", "rnn", "shortcut")
LAYER_TYPES = _GENERIC


def check(ctx: RuleContext):
    for layer in layer_index(ctx).of(*_GENERIC):
        act = layer.conf.get("activation")
        if act not in _BROKEN:
            continue
        if layer.type == "shortcut" and act in ("swish", "mish"):
            continue
        yield diag(CODE, f"[{layer.section.name}] computes its activation with darknet's generic routine, which has "
                   f"no {act}: layer {layer.index} outputs zeros", layer.section, "activation", layer=layer.index,
                   hint=f"apply {act} in the [convolutional] before it, or use an activation this layer supports")
