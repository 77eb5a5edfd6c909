"""Darknet's activations (reference §4, §12.8) as ONNX subgraphs: one pure function per name.

Every function maps a tensor name to a tensor name on a ``Graph``. Darknet's CPU build returns 0 for
``relu6`` everywhere and for ``swish``/``mish``/``hard_mish``/``normalize_channels*`` in the generic
routine (``[activation]``, ``[connected]``, ``[local]``, ``[scale_channels]``, ``[sam]``, non-swish/mish
``[shortcut]``): that is a missing switch case, not a design, and the GPU build computes the function.
The exporter emits the intended function everywhere; ``CPU_ZERO`` lists where darknet's CPU output is
zero instead, for callers (tests, reports) that compare with a CPU run.
"""
from __future__ import annotations

from typing import Callable

from cfggen.export.graph import Graph

# names darknet's CPU computes as 0: in every layer (relu6), or in the generic routine only
CPU_ZERO_ALWAYS = frozenset({"relu6"})
CPU_ZERO_GENERIC = frozenset({"relu6", "swish", "mish", "hard_mish", "normalize_channels",
                              "normalize_channels_softmax", "normalize_channels_softmax_maxval"})


def cpu_zero(activation: str, generic: bool) -> bool:
    """True when darknet's CPU forward outputs all zeros for this activation in this routine."""
    return activation in (CPU_ZERO_GENERIC if generic else CPU_ZERO_ALWAYS)


def _where(g: Graph, cond: str, a: str, b: str) -> str:
    return g.op("Where", cond, a, b)


def _lt(g: Graph, x: str, k: float) -> str:
    return g.op("Less", x, g.const(k))


def _gt(g: Graph, x: str, k: float) -> str:
    return g.op("Greater", x, g.const(k))


def _linear(g, x):
    return x


def _logistic(g, x):
    return g.op("Sigmoid", x)


def _loggy(g, x):
    return g.add(g.mul(g.op("Sigmoid", x), 2.0), -1.0)


def _relu(g, x):
    return g.op("Relu", x)


def _relu6(g, x):
    return g.op("Clip", x, g.const(0.0), g.const(6.0))


def _leaky(g, x):
    return g.op("LeakyRelu", x, alpha=0.1)


def _relie(g, x):
    return g.op("LeakyRelu", x, alpha=0.01)


def _ramp(g, x):
    return g.op("Add", g.op("Relu", x), g.mul(x, 0.1))


def _elu(g, x):
    return g.op("Elu", x, alpha=1.0)


def _selu(g, x):
    return g.op("Selu", x, alpha=1.6732, gamma=1.0507)


def _gelu(g, x):
    # darknet's tanh approximation with its own rounded constants, not erf
    x3 = g.op("Mul", g.op("Mul", x, x), x)
    inner = g.op("Add", g.mul(x, 0.797885), g.mul(x3, 0.035677))
    return g.op("Mul", g.mul(x, 0.5), g.add(g.op("Tanh", inner), 1.0))


def _tanh(g, x):
    return g.op("Tanh", x)


def _plse(g, x):
    lo = g.mul(g.add(x, 4.0), 0.01)
    hi = g.add(g.mul(g.add(x, -4.0), 0.01), 1.0)
    mid = g.add(g.mul(x, 0.125), 0.5)
    return _where(g, _lt(g, x, -4.0), lo, _where(g, _gt(g, x, 4.0), hi, mid))


def _hardtan(g, x):
    return g.op("Clip", x, g.const(-1.0), g.const(1.0))


def _lhtan(g, x):
    lo = g.mul(x, 0.001)
    hi = g.add(g.mul(g.add(x, -1.0), 0.001), 1.0)
    return _where(g, _lt(g, x, 0.0), lo, _where(g, _gt(g, x, 1.0), hi, x))


def _stair(g, x):
    # n = floor(x); even n: floor(x/2); odd n: (x - n) + floor(x/2)
    n = g.op("Floor", x)
    half = g.op("Floor", g.mul(x, 0.5))
    odd = g.op("Sub", n, g.mul(g.op("Floor", g.mul(n, 0.5)), 2.0))      # 0 or 1
    return g.op("Add", half, g.op("Mul", odd, g.op("Sub", x, n)))


def _swish(g, x):
    return g.op("Mul", x, g.op("Sigmoid", x))


def _mish(g, x):
    # darknet's softplus: x above 20, e^x below -20, log(1 + e^x) between (activations.c)
    sp = _where(g, _gt(g, x, 20.0), x, _where(g, _lt(g, x, -20.0), g.op("Exp", x), g.op("Softplus", x)))
    return g.op("Mul", x, g.op("Tanh", sp))


def _hard_mish(g, x):
    quad = g.op("Add", g.mul(g.op("Mul", x, x), 0.5), x)
    zero = g.mul(x, 0.0)
    return _where(g, _gt(g, x, 0.0), x, _where(g, _gt(g, x, -2.0), quad, zero))


def _normalize_channels(g, x):
    pos = g.op("Relu", x)
    return g.op("Div", pos, g.add(g.reduce("ReduceSum", pos, [1]), 1e-4))


def _normalize_channels_softmax(g, x):
    e = g.op("Exp", x)
    return g.op("Div", e, g.add(g.reduce("ReduceSum", e, [1]), 1e-4))


def _normalize_channels_softmax_maxval(g, x):
    return _normalize_channels_softmax(g, g.op("Sub", x, g.reduce("ReduceMax", x, [1])))


ACTIVATIONS: dict[str, Callable[[Graph, str], str]] = {
    "linear": _linear, "logistic": _logistic, "loggy": _loggy, "relu": _relu, "relu6": _relu6,
    "leaky": _leaky, "revleaky": _leaky, "relie": _relie, "ramp": _ramp, "elu": _elu, "selu": _selu,
    "gelu": _gelu, "tanh": _tanh, "plse": _plse, "hardtan": _hardtan, "lhtan": _lhtan, "stair": _stair,
    "swish": _swish, "mish": _mish, "hard_mish": _hard_mish, "normalize_channels": _normalize_channels,
    "normalize_channels_softmax": _normalize_channels_softmax,
    "normalize_channels_softmax_maxval": _normalize_channels_softmax_maxval,
}


def activate(g: Graph, x: str, name: str) -> str:
    """Apply darknet's activation ``name``; unknown names are relu, as darknet's get_activation does."""
    return ACTIVATIONS.get(name, _relu)(g, x)
