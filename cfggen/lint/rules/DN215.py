"""dilation-padding: a dilated convolution without "same" padding.

*Why*: darknet computes the output size without the dilation, `(W + 2p - k) / s + 1`, but runs the
dilated kernel with padding `p*d`, whose true output is `(W + 2pd - d(k-1) - 1) / s + 1`. The two
agree only when `2p = k - 1` (an odd kernel with `pad=1`); otherwise the layer writes a map of
another size into its buffer: silent memory corruption.

*Severity*: an error: the layer writes a map of another size into its buffer (memory corruption).

**FAIL**
    [convolutional]
    size=3
    dilation=2
    padding=0
**PASS**
    [convolutional]
    size=3
    dilation=2
    pad=1

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

from cfggen.lint.rules._base import RuleContext, diag, layer_index

CODE, NAME, SEVERITY, SCOPE = "DN215", "dilation-padding", "error", "network"
SUMMARY = "dilation>1 without same padding (declared and computed shapes differ)"
LAYER_TYPES = ("convolutional",)


def check(ctx: RuleContext):
    index = layer_index(ctx)
    if not index.conv().dilation:
        return   # no dilation anywhere: the common case
    for layer in index.of("convolutional"):
        k = layer.conf
        size, d = k["size"], k["dilation"]
        if d <= 1 or size == 1:
            continue
        p = size // 2 if k["pad"] else k["padding"]
        if 2 * p == size - 1:
            continue
        yield diag(CODE, f"dilation={d} with size={size} and padding {p}: darknet sizes the output as "
                   f"if undilated but computes a {d}-dilated kernel with padding {p * d}, writing a map of "
                   "another size (silent memory corruption)", layer.section, "dilation", layer=layer.index,
                   hint="use an odd size with pad=1" if size % 2 else "dilation needs an odd size with pad=1")
