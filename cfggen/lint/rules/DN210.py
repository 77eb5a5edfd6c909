"""nonpositive-output: a layer whose output width, height or channels is zero or negative.

*Why*: darknet accepts negative sizes (a 5x5 kernel on a 2x2 map gives -2x-2) and zero sizes
(`[upsample] stride=0`, a kernel larger than the padded input), and the forward pass then runs over
garbage. It often appears only at small multi-scale training sizes.

*Severity*: an error: darknet exits or allocates an empty map.

**FAIL**
    [convolutional]
    size=7
    stride=1     # on a 4x4 input, no padding: -2x-2
**PASS**
    [convolutional]
    size=7
    pad=1

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

from cfggen.lint.rules._base import RuleContext, diag, layer_index

CODE, NAME, SEVERITY, SCOPE = "DN210", "nonpositive-output", "error", "size"
SUMMARY = "output width/height/channels <= 0"
_FLAT = frozenset(("softmax", "cost", "detection", "contrastive", "gru", "blank"))


def quiet(ctx: RuleContext, size: tuple[int, int]) -> bool:
    """Nothing to report at ``size`` once ``cfggen.ir.spatial`` found every map there positive."""
    return True


def check(ctx: RuleContext):
    if layer_index(ctx).positive:
        return   # every w, h, c of every layer is positive (the shared pass looked): usually so
    for layer in ctx.net.layers:
        w, h, c = out = layer.next
        if (w > 0 and h > 0 and c > 0) or layer.broken or layer.type in _FLAT:
            continue
        if min(layer.input) > 0:
            yield diag(CODE, f"layer {layer.index} [{layer.section.name}] turns {layer.input} into {out}: "
                       "darknet accepts it and computes garbage", layer.section, layer=layer.index,
                       size=ctx.size, hint="check size/stride/padding against the input size")
            return  # everything after it is a consequence
