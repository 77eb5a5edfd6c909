"""Immutable records of an inferred network (NamedTuples: built thousands of times per file).

Each is a ``collections.namedtuple`` subclass rather than a ``typing.NamedTuple`` class: the same
record, at a quarter of the import cost (this module is on ``validate``'s start-up path). The field
annotations in the class bodies are documentation only; defaults are given to ``namedtuple``.
"""
from __future__ import annotations

from collections import namedtuple
from typing import Any, Callable

from cfggen.cfg.model import Section
from cfggen.findings import _Record, _set


class Shape(namedtuple("Shape", "w h c")):
    """A tensor shape in darknet's order and words: width, height, channels."""

    __slots__ = ()

    w: int
    h: int
    c: int

    def __str__(self) -> str:
        return f"{self.w}x{self.h}x{self.c}"


ZERO = Shape(0, 0, 0)


class Params(namedtuple("Params", "weights biases bn_scales bn_rolling", defaults=(0, 0, 0, 0))):
    """Parameter counts the way darknet's weight saver writes them (reference §7.4)."""

    __slots__ = ()
    weights: int
    biases: int
    bn_scales: int
    bn_rolling: int

    @property
    def trainable(self) -> int:
        return self.weights + self.biases + self.bn_scales

    @property
    def file_floats(self) -> int:
        return self.trainable + self.bn_rolling

    def plus(self, other: "Params") -> "Params":
        return Params(self.weights + other.weights, self.biases + other.biases,
                      self.bn_scales + other.bn_scales, self.bn_rolling + other.bn_rolling)


NO_PARAMS = Params()


class Record(namedtuple("Record", "name count sub", defaults=("",))):
    """One array of a layer's record in a .weights file, in file order."""

    __slots__ = ()
    name: str       # "biases", "scales", "rolling_mean", "rolling_variance", "weights"
    count: int
    sub: str        # sub-layer of a recurrent layer ("input", "self", "uf", ...); default ""


class Layer(namedtuple("Layer", "index type section conf refs input inputs output outputs next next_outputs "
                            "params records bflops broken", defaults=(False,))):
    """One layer as darknet builds it at one input size."""

    __slots__ = ()
    index: int
    type: str                    # darknet's layer enum, lower-case ("convolutional", "yolo", ...)
    section: Section
    conf: dict[str, Any]         # the keys darknet read, converted as darknet converts them
    refs: tuple[int, ...]        # absolute indices of the layers it reads besides the previous one
    input: Shape
    inputs: int
    output: Shape
    outputs: int
    next: Shape                  # what the next layer receives (differs after an antialiasing blur)
    next_outputs: int
    params: Params
    records: tuple[Record, ...]
    bflops: float                # darknet's float32 per-layer figure
    broken: bool                 # darknet would have stopped at or before this layer (default False)

    @property
    def line(self) -> int:
        return self.section.line


class Totals(namedtuple("Totals", "params weights_file_floats bflops bflops_printed")):
    """Network totals. A namedtuple (one per inferred network): cheaper to define than a dataclass,
    and its repr is the same ``Totals(params=..., ...)``."""

    __slots__ = ()
    params: int
    weights_file_floats: int
    bflops: float                # float32 sum, as darknet accumulates
    bflops_printed: str          # "%5.3f" of it, the "Total BFLOPS" line

    @property
    def weights_file_bytes(self) -> int:
        return 20 + 4 * self.weights_file_floats


class Network(_Record):
    """An inferred network (a read-only record, see ``cfggen.findings``: cheaper to import than a dataclass)."""

    __slots__ = ("width", "height", "channels", "layers", "_totals", "net", "empty", "stop")
    _FIELDS = ("width", "height", "channels", "layers", "totals", "net", "empty", "stop")
    __match_args__ = _FIELDS
    width: int
    height: int
    channels: int
    layers: tuple[Layer, ...]
    totals: Totals
    net: dict[str, Any]
    empty: frozenset[int]   # broken layers darknet builds empty and goes on from (unknown sections, ...)
    stop: int | None        # the first layer darknet stops at while parsing (None: it builds the network)

    def __init__(self, width: int, height: int, channels: int, layers: tuple[Layer, ...],
                 totals: Totals | Callable[[], Totals], net: dict[str, Any] | None = None,
                 empty: frozenset[int] = frozenset(), stop: int | None = None):
        _set(self, "width", width)
        _set(self, "height", height)
        _set(self, "channels", channels)
        _set(self, "layers", layers)
        _set(self, "_totals", totals)   # or a function computing them, called on first use
        _set(self, "net", {} if net is None else net)
        _set(self, "empty", empty)
        _set(self, "stop", stop)

    __hash__ = None  # type: ignore[assignment]   # like the frozen dataclass it replaced: net is a dict

    @property
    def totals(self) -> Totals:
        """Parameters, weights-file floats and BFLOPs of the whole network. Validation does not need
        them (no rule reads them), so ``infer`` hands over a function and they are summed when asked."""
        t = self._totals
        if t.__class__ is not Totals:
            t = t()
            _set(self, "_totals", t)
        return t

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)
