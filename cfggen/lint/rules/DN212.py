"""groups-not-dividing: groups that do not divide the channels.

*Why*: darknet truncates C/groups silently: a [convolutional] with groups not dividing its input channels or filters computes garbage (C=3, groups=4 gives 0 weights); a [route] with groups not dividing an input's channels reads the wrong slice; [softmax] groups must divide its inputs (assert).

*Severity*: an error: darknet computes a different (truncated) grouping, reads out of bounds or
exits.

**FAIL**
    [convolutional]
    filters=30
    groups=4
**PASS**
    [convolutional]
    filters=32
    groups=4

*Fix safety*: none.

Checked on the network at its own size ([softmax] groups: while inferring shapes).
"""
from cfggen.ir.layers import conv_groups
from cfggen.lint.rules._base import RuleContext, diag, layer_index

CODE, NAME, SEVERITY, SCOPE = "DN212", "groups-not-dividing", "error", "network"
SUMMARY = "groups that do not divide the channels"
LAYER_TYPES = ("convolutional", "route")   # groups= is read by these two types only


def check(ctx: RuleContext):
    index = layer_index(ctx)
    # only a groups= above 1 can make either layer type report: skip the rest without a loop
    if not index.conv().groups and max(index.values("groups", "route"), default=1) <= 1:
        return
    for layer in index.of("convolutional", "route"):
        if layer.broken:
            continue
        k = layer.conf
        if layer.type == "convolutional":
            g = conv_groups(k)
            c, n = layer.input.c, k["filters"]
            if g > 1 and (c % g or n % g):
                bad = " and ".join(f"{what} {v}" for what, v in (("input channels", c), ("filters", n)) if v % g)
                yield diag(CODE, f"groups={g} does not divide the {bad}; darknet truncates "
                           f"{c}/{g} and computes a wrong layer", layer.section, "groups", layer=layer.index,
                           hint=f"use a groups value that divides both {c} and {n}")
        elif layer.type == "route" and k["groups"] > 1:
            g = k["groups"]
            for r in layer.refs:
                src = ctx.net.layers[r] if 0 <= r < len(ctx.net.layers) else None
                if src is not None and src.output.c % g:
                    yield diag(CODE, f"groups={g} does not divide layer {r}'s {src.output.c} channels; "
                               "darknet takes a slice of the flat buffer that is not a channel group",
                               layer.section, "groups", layer=layer.index)
            if not 0 <= k["group_id"] < g:
                yield diag(CODE, f"group_id={k['group_id']} is not in [0, {g}); darknet reads outside the "
                           "input", layer.section, "group_id", layer=layer.index)
