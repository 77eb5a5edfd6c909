"""The two rounding rules of EfficientNet compound scaling (TF ``efficientnet_model.py``).

Width and depth are scaled separately (timm keeps them apart too): ``round_filters`` for channel
counts, ``round_repeats`` for the number of blocks in a stage.
"""
from __future__ import annotations

import math

DIVISOR = 8  # TF depth_divisor: channel counts stay multiples of 8 (vector-friendly)


INT_MAX = 2**31 - 1     # darknet reads filters= with atoi into an int


def round_filters(filters: int, width_mult: float, divisor: int = DIVISOR) -> int:
    """Scale a channel count by ``width_mult`` and round it to a multiple of ``divisor``.

    Rounds half up to the nearest multiple (``int(x + divisor/2) // divisor``), never below
    ``divisor`` (TF's ``min_depth=None`` means ``divisor``).
    """
    scaled = filters * width_mult
    new = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    # Rounding down must not lose more than 10% of the channels: 16 * 1.2 = 19.2 -> 16 -> 24.
    if new < 0.9 * scaled:
        new += divisor
    if new > INT_MAX:
        from cfggen.errors import GenerateError
        raise GenerateError(f"the width multiplier makes a layer of {new} channels: more than darknet's int holds "
                            f"({INT_MAX}); it would read filters= as another number")
    return new


def round_repeats(repeats: int, depth_mult: float) -> int:
    """Scale the number of blocks in a stage by ``depth_mult``, rounding up (a stage never vanishes)."""
    return int(math.ceil(depth_mult * repeats))
