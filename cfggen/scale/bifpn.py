"""EfficientDet's BiFPN neck and compound scaling, laid out as darknet layers (pure: no text).

Paper: Tan, Pang, Le, "EfficientDet: Scalable and Efficient Object Detection" (CVPR 2020), section
3 and table 1; the node order is automl ``efficientdet/keras/efficientdet_keras.py``
(``bifpn_config``). Per repeat, eight fusion nodes over P3-P7::

    top-down   P6td = f(P6, up(P7))       P5td = f(P5, up(P6td))   P4td = f(P4, up(P5td))
               P3out = f(P3, up(P4td))
    bottom-up  P4out = f(P4, P4td, down(P3out))   P5out = f(P5, P5td, down(P4out))
               P6out = f(P6, P6td, down(P5out))   P7out = f(P7, down(P6out))

``f`` is fast normalized fusion, ``sum(w_i x_i) / (eps + sum w_j)`` with ``w = relu(w)``: darknet's
``[shortcut] weights_type=per_feature weights_normalization=relu`` (one weight per input, clamped
and normalised as the paper says). The previous layer is the resampled input (``up`` is
``[upsample] stride=2``, ``down`` a 3x3 stride-2 ``[maxpool]``, TF's SAME max pool), ``from=``
lists the others. Each fusion is followed by a depthwise-separable conv: 3x3 depthwise, then 1x1
with batch norm and swish.

With heads on P3-P5 only, the last repeat stops its bottom-up path at P5 (P6out and P7out would
feed nothing); with ``levels`` 3-7 every repeat is complete.

Inputs: the backbone's stride-8/16/32 stage ends, each projected to the BiFPN width by a 1x1 conv
with batch norm (automl skips it when the widths already agree and, in the first repeat, gives P4/P5
separate projections for the two paths; here one projection per level). P6 = 3x3/2 max pool of a
1x1 projection of P5, P7 = 3x3/2 max pool of P6. Every level must halve exactly, so the input side
is a multiple of 128 (2^7), and multi-scale training steps by 128 (``[net] resize_step=128``).
"""
from __future__ import annotations

from dataclasses import dataclass

from cfggen.errors import UsageError

LEVELS = (3, 4, 5, 6, 7)
STRIDE = 2 ** LEVELS[-1]   # 128: what every input and training size must be a multiple of


@dataclass(frozen=True)
class Compound:
    """One EfficientDet row of the paper's table 1."""

    phi: int
    backbone: str       # EfficientNet variant
    resolution: int
    width: int          # BiFPN channels
    repeats: int        # BiFPN layers

    @property
    def name(self) -> str:
        return f"d{self.phi}"


# phi: (backbone, input, BiFPN width, BiFPN repeats); D7 keeps B6 and D6's BiFPN at a larger input
_TABLE = {
    0: ("b0", 512, 64, 3), 1: ("b1", 640, 88, 4), 2: ("b2", 768, 112, 5), 3: ("b3", 896, 160, 6),
    4: ("b4", 1024, 224, 7), 5: ("b5", 1280, 288, 7), 6: ("b6", 1280, 384, 8), 7: ("b6", 1536, 384, 8),
}
EFFICIENTDET: dict[str, Compound] = {f"d{phi}": Compound(phi, *row) for phi, row in _TABLE.items()}


def get_compound(name: str) -> Compound | None:
    """``d3`` / ``efficientdet-d3`` / ``efficientdet_d3``; None when the name is not a D variant."""
    key = name.strip().lower()
    for prefix in ("efficientdet-", "efficientdet_"):
        key = key.removeprefix(prefix)
    return EFFICIENTDET.get(key)


def parse_levels(levels: str | tuple[int, int]) -> tuple[int, ...]:
    """``"3-5"`` / ``"3-7"`` (or a (first, last) pair) -> the levels that get a YOLO head."""
    if isinstance(levels, str):
        try:
            first, last = (int(v) for v in levels.split("-"))
        except ValueError:
            raise UsageError(f"--levels {levels!r}: expected FIRST-LAST, e.g. 3-5 or 3-7") from None
    else:
        first, last = levels
    if not (LEVELS[0] <= first <= last <= LEVELS[-1]):
        raise UsageError(f"--levels {first}-{last}: the BiFPN has levels 3 to 7")
    return tuple(range(first, last + 1))


# --- layout ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Lateral:
    """A BiFPN input: P3-P5 projected from a backbone stage end, or P6/P7 pooled from below."""

    level: int
    route: str | None       # relative offset of the backbone tap (None: read the previous layer)
    project: bool           # 1x1 conv + BN to the BiFPN width
    pool: bool              # then 3x3/2 max pool
    description: str


@dataclass(frozen=True)
class Node:
    """One fusion node: resample the previous node, fuse it with ``from_``, separable conv."""

    repeat: int
    level: int
    name: str               # "P6td", "P3out", ...
    resample: str           # "upsample" or "maxpool"
    from_: str              # relative offsets of the other inputs (darknet's from=)
    inputs: tuple[str, ...] # names of every fused input, the resampled one last


@dataclass(frozen=True)
class Output:
    level: int
    route: str              # relative offset of the level's last BiFPN node
    mask: tuple[int, ...]
    scale_x_y: float


@dataclass(frozen=True)
class Layout:
    laterals: tuple[Lateral, ...]
    nodes: tuple[Node, ...]
    outputs: tuple[Output, ...]
    layers: int             # layers the neck and heads add


LATERAL_LAYERS = {(True, False): 2, (True, True): 3, (False, True): 1}   # route + conv [+ maxpool]
NODE_LAYERS = 4        # resample, [shortcut], depthwise conv, pointwise conv
OUTPUT_LAYERS = 4      # route, 3x3 conv, 1x1 detection conv, [yolo]
SCALE_X_Y = {3: 1.2, 4: 1.1}   # yolov4's per-scale values; coarser levels 1.05


def layout(taps: dict[int, int], first: int, repeats: int, levels: tuple[int, ...]) -> Layout:
    """Layer plan for backbone taps {stride: absolute index}, the neck starting at layer ``first``."""
    if repeats < 1:
        raise UsageError(f"--bifpn-repeats must be at least 1 (got {repeats})")
    at: dict[str, int] = {}          # node name -> absolute index of its output
    index = first

    def rel(name: str) -> str:
        return str(at[name] - index)

    laterals = []
    for level in (3, 4, 5):
        tap = taps[2 ** level]
        laterals.append(Lateral(level, str(tap - index), True, False, f"P{level}: backbone layer {tap}"))
        index += LATERAL_LAYERS[True, False]
        at[f"P{level}"] = index - 1
    laterals.append(Lateral(6, str(taps[32] - index), True, True, "P6: P5's backbone features, 1x1 conv, 3x3/2 max pool"))
    index += LATERAL_LAYERS[True, True]
    at["P6"] = index - 1
    laterals.append(Lateral(7, None, False, True, "P7: 3x3/2 max pool of P6"))
    index += LATERAL_LAYERS[False, True]
    at["P7"] = index - 1

    nodes = []

    def fuse(repeat: int, level: int, name: str, resample: str, source: str, others: tuple[str, ...]) -> None:
        nonlocal index
        assert at[source] == index - 1, "the resampled input is always the previous layer"
        shortcut = index + 1
        nodes.append(Node(repeat, level, name, resample, ",".join(str(at[o] - shortcut) for o in others),
                          (*others, source)))
        index += NODE_LAYERS
        at[name] = index - 1

    for r in range(1, repeats + 1):
        # the last repeat's bottom-up nodes above the highest head level would feed nothing: left out
        top = max(levels) if r == repeats else LEVELS[-1]
        fuse(r, 6, "P6td", "upsample", "P7", ("P6",))
        fuse(r, 5, "P5td", "upsample", "P6td", ("P5",))
        fuse(r, 4, "P4td", "upsample", "P5td", ("P4",))
        fuse(r, 3, "P3out", "upsample", "P4td", ("P3",))
        for level, others in ((4, ("P4", "P4td")), (5, ("P5", "P5td")), (6, ("P6", "P6td")), (7, ("P7",))):
            if level <= top:
                fuse(r, level, f"P{level}out", "maxpool", f"P{level - 1}out", others)
        for level in LEVELS[:top - 2]:   # this repeat's outputs are the next one's inputs
            at[f"P{level}"] = at[f"P{level}out"]

    outputs = []
    for n, level in enumerate(levels):
        outputs.append(Output(level, rel(f"P{level}out"), tuple(range(3 * n, 3 * n + 3)),
                              SCALE_X_Y.get(level, 1.05)))
        index += OUTPUT_LAYERS
    return Layout(tuple(laterals), tuple(nodes), tuple(outputs), index - first)


def efficientdet_anchors(levels: tuple[int, ...]) -> tuple[tuple[float, float], ...]:
    """Three anchors per level, EfficientDet's: 4 x stride at aspect ratios 1:1, 1.4:0.7, 0.7:1.4."""
    return tuple((4 * 2 ** level * aw, 4 * 2 ** level * ah)
                 for level in levels for aw, ah in ((1.0, 1.0), (1.4, 0.7), (0.7, 1.4)))
