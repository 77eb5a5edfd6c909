"""ofast-nan-guards: relu layers in a darknet built with the stock `-Ofast`.

*Why*: the stock Makefile compiles with `-Ofast`, which implies `-ffinite-math-only`: darknet's
`isnan()`/`isinf()` guards (the `[yolo]` layer's `fix_nan_inf` among them) compile to nothing.
In measured CPU runs, networks with `activation=relu` (an EfficientNet-B0 with relu, a MixNet-S)
reached non-finite values within 20-65 iterations, while the same cfgs with swish trained, and the
relu ones trained cleanly when built with `-O2` or `-Ofast -fno-finite-math-only`. Said only with
`validate --data`; every relu layer of a cfg is one finding.

*Severity*: info: a fact about one kind of build (the stock `-Ofast`), not a mistake in the cfg.

**FAIL**
    [convolutional]
    filters=16
    activation=relu
**PASS**
    [convolutional]
    filters=16
    activation=leaky

*Fix safety*: not fixable automatically (build darknet with `-O2`, or add `-fno-finite-math-only`).
"""
from __future__ import annotations

from cfggen.lint.rules._base import RuleContext, diag, layer_index

CODE, NAME, SEVERITY, SCOPE = "DN461", "ofast-nan-guards", "info", "network"
SUMMARY = "relu layers: the stock -Ofast build drops darknet's NaN guards"


def check(ctx: RuleContext):
    if not ctx.options.get("training") or "relu" not in layer_index(ctx).activations:
        return
    for layer in ctx.net.layers:
        if layer.conf.get("activation") == "relu":
            yield diag(CODE, f"layer {layer.index} uses activation=relu: the stock -Ofast build compiles darknet's "
                       "NaN/inf guards away, and relu networks reached NaN within tens of iterations in measured "
                       "CPU runs", layer.section, "activation", layer=layer.index,
                       hint="build darknet with -O2 or add -fno-finite-math-only to its CFLAGS")
