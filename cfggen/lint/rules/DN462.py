"""bifpn-cpu-update: weighted `[shortcut]` layers (a BiFPN) trained on the CPU.

*Why*: a `[shortcut]` with `weights_type=per_feature` or `per_channel` learns its fusion weights. The
GPU update resets NaN/inf, clips each update to +-1 and skips decay; the CPU `update_shortcut_layer`
applies the raw update. In measured CPU runs the fusion weights' updates reached ~2e5 and the
network went non-finite within 22-41 iterations in every build tried but one. Said only with
`validate --data`; every weighted shortcut of a cfg is one finding.

*Severity*: info: a fact about CPU builds; whether the GPU build trains it was not measured.

**FAIL**
    [shortcut]
    from=-3
    weights_type=per_feature
    weights_normalization=relu
**PASS**
    [shortcut]
    from=-3

*Fix safety*: not fixable automatically (train on a GPU build).
"""
from __future__ import annotations

from cfggen.lint.rules._base import RuleContext, diag, layer_index

CODE, NAME, SEVERITY, SCOPE = "DN462", "bifpn-cpu-update", "info", "network"
SUMMARY = "weighted shortcuts: the CPU build updates their weights unclipped"
LAYER_TYPES = ("shortcut",)


def check(ctx: RuleContext):
    if not ctx.options.get("training"):
        return
    for layer in layer_index(ctx).of("shortcut"):
        if layer.conf.get("weights_type", "none") != "none":
            yield diag(CODE, f"layer {layer.index} is a weighted shortcut (weights_type={layer.conf['weights_type']}): "
                       "the CPU build applies its weight updates unclipped (the GPU build clips them to +-1 and "
                       "resets NaN), and BiFPN networks went non-finite within tens of iterations on the CPU",
                       layer.section, "weights_type", layer=layer.index,
                       hint="train on a GPU build; on the CPU, weights_type=none trains")
