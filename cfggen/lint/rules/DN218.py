"""vector-only-network: no layer receives a 2-D input.

*Why*: after parsing, AlexeyAB's darknet divides by a size taken from the last layer whose input
has width and height > 1; in a network of only vector layers (rnn, gru, lstm, connected) there is
none and it dies with SIGFPE right after printing "Total BFLOPS". This is a darknet bug, not a cfg
mistake: the cfg is well-formed and pjreddie/darknet loads it, but AlexeyAB-based builds cannot.

*Severity*: a warning: a darknet bug, not a mistake in the file; pjreddie/darknet loads the same
cfg.

**FAIL**
    [net]
    inputs=256
    [rnn]
    ...
**PASS**
    a network with at least one spatial layer

*Fix safety*: not fixable (reported as a warning: the cfg itself is right).
"""
from __future__ import annotations

from cfggen.lint.rules._base import RuleContext, diag, layer_index

CODE, NAME, SEVERITY, SCOPE = "DN218", "vector-only-network", "warning", "network"
SUMMARY = "no spatial layer: AlexeyAB darknet crashes after parsing (darknet bug)"


def check(ctx: RuleContext):
    layers = ctx.net.layers
    # the spatial test first: it usually stops at the first layer
    if not layers or any(layer.input.w > 1 and layer.input.h > 1 for layer in layers):
        return
    if layer_index(ctx).broken:
        return
    net = ctx.doc.net
    yield diag(CODE, "no layer receives an input wider and taller than 1: AlexeyAB darknet divides by zero "
               "(SIGFPE) right after parsing this network; this is a darknet bug (the cfg is well-formed, "
               "pjreddie/darknet loads it)", net, hint="use pjreddie/darknet for recurrent-only networks")
