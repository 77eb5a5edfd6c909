"""even-kernel-pad: an even kernel size with `pad=1`.

*Why*: `pad=1` means padding `size/2` per side, which is "same" padding only for odd sizes: a
`size=2, stride=1, pad=1` convolution turns a 52x52 map into 53x53, and a later `[route]` or
`[shortcut]` with a 52x52 map then fails. Usually `pad=1` was copied from a 3x3 layer.

*Severity*: a warning: darknet does what the file says (a map one pixel larger); it only breaks when
a later layer combines it with a same-size map, which DN201/DN203 report as errors.

**FAIL**
    [convolutional]
    size=2
    stride=1
    pad=1
**PASS**
    [convolutional]
    size=3
    stride=1
    pad=1

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

from cfggen.lint.rules._base import RuleContext, diag, layer_index

CODE, NAME, SEVERITY, SCOPE = "DN217", "even-kernel-pad", "warning", "network"
SUMMARY = "even size with pad=1 (the map grows by one pixel)"
LAYER_TYPES = ("convolutional",)


def check(ctx: RuleContext):
    index = layer_index(ctx)
    if not index.conv().even_size:
        return   # no even kernel size: the common case
    for layer in index.of("convolutional"):
        if layer.broken:
            continue
        k = layer.conf
        size = k["size"]
        if not k["pad"] or size <= 0 or size % 2:
            continue
        i, o = layer.input, layer.output
        yield diag(CODE, f"size={size} with pad=1 pads {size // 2} per side: layer {layer.index} turns "
                   f"{i.w}x{i.h} into {o.w}x{o.h}", layer.section, "pad", layer=layer.index,
                   hint="use an odd size, or padding= for an explicit per-side padding")
