"""head-conv-activation: the convolution before a detection head has batch norm or a non-linear activation.

*Why*: a [yolo]/[Gaussian_yolo]/[region] head applies its own logistic/exp to the raw outputs of the
convolution before it, which therefore must be `activation=linear` without `batch_normalize`.
With `leaky` the negative logits are squashed by 10, with batch norm the outputs are normalised
per channel: the head still trains, worse, and nothing reports it. (With `new_coords=1` the
convolution must be `logistic` instead: DN309.)

*Severity*: a warning: the head still trains (worse); darknet does what the file says.

**FAIL**
    [convolutional]
    batch_normalize=1
    filters=255
    activation=leaky

    [yolo]
**PASS**
    [convolutional]
    filters=255
    activation=linear

    [yolo]

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

from cfggen.lint.rules._base import RuleContext, diag, layer_index, previous_layer

CODE, NAME, SEVERITY, SCOPE = "DN308", "head-conv-activation", "warning", "network"
SUMMARY = "conv before a head with batch norm or a non-linear activation"
LAYER_TYPES = ("yolo", "gaussian_yolo", "region")


def check(ctx: RuleContext):
    for head in layer_index(ctx).of("yolo", "gaussian_yolo", "region"):
        if head.conf.get("new_coords"):
            continue
        prev = previous_layer(ctx.net, head)
        if prev is None or prev.type != "convolutional":
            continue
        act, bn = prev.conf["activation"], prev.conf["batch_normalize"] or prev.conf["cbn"]
        bad = []
        if act != "linear":
            bad.append(f"activation={act}")
        if bn:
            bad.append("batch_normalize=1")
        if not bad:
            continue
        key = "activation" if act != "linear" else "batch_normalize"
        yield diag(CODE, f"layer {prev.index} feeds the [{head.section.name}] head (layer {head.index}) with "
                   f"{' and '.join(bad)}: the head expects raw linear outputs", prev.section, key,
                   layer=prev.index, related=((head.line, f"layer {head.index} [{head.section.name}]"),),
                   hint="use activation=linear and no batch_normalize in the convolution before a head")
