"""stride-y-fast-path: a 1x1 convolution with `stride_x=1` and `stride_y>1`.

*Why*: darknet's CPU path skips im2col when `size=1`, `stride_x=1` and `dilation=1` and multiplies
the input directly, ignoring `stride_y`: the layer computes wrong values (and reads the wrong rows)
silently on CPU, while its declared output is `H/stride_y` high.

*Severity*: an error: darknet's CPU path computes wrong values silently.

**FAIL**
    [convolutional]
    size=1
    stride_x=1
    stride_y=2
**PASS**
    [convolutional]
    size=1
    stride=2

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

from cfggen.lint.rules._base import RuleContext, diag, layer_index

CODE, NAME, SEVERITY, SCOPE = "DN216", "stride-y-fast-path", "error", "network"
SUMMARY = "size=1, stride_x=1, stride_y>1: darknet's CPU fast path ignores stride_y"
LAYER_TYPES = ("convolutional",)


def check(ctx: RuleContext):
    index = layer_index(ctx)
    # with stride_x and stride_y both unset (< 1) both strides are stride=: they cannot differ
    if not index.conv().strides:
        return
    for layer in index.of("convolutional"):
        if layer.conf["size"] != 1 or layer.conf["antialiasing"]:
            continue
        k = layer.conf
        sx = k["stride_x"] if k["stride_x"] >= 1 else k["stride"]
        sy = k["stride_y"] if k["stride_y"] >= 1 else k["stride"]
        if sx == 1 and sy > 1:
            key = "stride_y" if layer.section.get("stride_y") is not None else "stride"
            yield diag(CODE, f"size=1 with stride_x=1 and stride_y={sy}: darknet's CPU fast path for 1x1 "
                       "convolutions ignores stride_y and computes wrong values", layer.section, key,
                       layer=layer.index, hint="use a [maxpool] or a size=1 stride=2 layer to subsample rows")
