"""The EfficientNet variants: one table, plus the two families' fixed rules.

Sources: TF ``efficientnet_builder.efficientnet_params`` and ``_DEFAULT_BLOCKS_ARGS``;
``lite/efficientnet_lite_builder.py`` for the Lite family (see docs/efficientnet.md section 1).
"""
from __future__ import annotations

from dataclasses import dataclass

from cfggen.errors import UsageError

# The B0 baseline, one stage per string (TF notation). Every other variant scales these.
BASELINE_BLOCKS: tuple[str, ...] = (
    "r1_k3_s11_e1_i32_o16_se0.25",
    "r2_k3_s22_e6_i16_o24_se0.25",
    "r2_k5_s22_e6_i24_o40_se0.25",
    "r3_k3_s22_e6_i40_o80_se0.25",
    "r3_k5_s11_e6_i80_o112_se0.25",
    "r4_k5_s22_e6_i112_o192_se0.25",
    "r1_k3_s11_e6_i192_o320_se0.25",
)
STEM_FILTERS = 32    # 3x3 stride-2 conv before the first stage
HEAD_FILTERS = 1280  # 1x1 conv after the last stage (classifier head)


@dataclass(frozen=True)
class Family:
    """Rules shared by a family of variants."""

    fixed_stem_head: bool    # stem and head keep 32 / 1280 instead of being width-scaled
    fixed_end_repeats: bool  # the first and last stage keep their repeats (not depth-scaled)
    se: bool                 # squeeze-and-excitation in every block
    activation: str          # darknet activation name


FAMILIES: dict[str, Family] = {
    "efficientnet": Family(fixed_stem_head=False, fixed_end_repeats=False, se=True, activation="swish"),
    # Lite drops what mobile accelerators and quantisation handle badly: SE and swish.
    "lite": Family(fixed_stem_head=True, fixed_end_repeats=True, se=False, activation="relu6"),
}


@dataclass(frozen=True)
class Variant:
    name: str
    family: str
    width_mult: float
    depth_mult: float
    resolution: int
    dropout: float

    @property
    def rules(self) -> Family:
        return FAMILIES[self.family]

    @property
    def full_name(self) -> str:
        return f"efficientnet-{self.name}"


# name: (family, width_mult, depth_mult, resolution, dropout rate before the classifier)
_TABLE: dict[str, tuple[str, float, float, int, float]] = {
    "b0": ("efficientnet", 1.0, 1.0, 224, 0.2),
    "b1": ("efficientnet", 1.0, 1.1, 240, 0.2),
    "b2": ("efficientnet", 1.1, 1.2, 260, 0.3),
    "b3": ("efficientnet", 1.2, 1.4, 300, 0.3),
    "b4": ("efficientnet", 1.4, 1.8, 380, 0.4),
    "b5": ("efficientnet", 1.6, 2.2, 456, 0.4),
    "b6": ("efficientnet", 1.8, 2.6, 528, 0.5),
    "b7": ("efficientnet", 2.0, 3.1, 600, 0.5),
    "lite0": ("lite", 1.0, 1.0, 224, 0.2),
    "lite1": ("lite", 1.0, 1.1, 240, 0.2),
    "lite2": ("lite", 1.1, 1.2, 260, 0.3),
    "lite3": ("lite", 1.2, 1.4, 280, 0.3),
    "lite4": ("lite", 1.4, 1.8, 300, 0.3),
}
VARIANTS: dict[str, Variant] = {name: Variant(name, *row) for name, row in _TABLE.items()}

# A custom network (--blocks / --width-mult ... without a variant) starts from B0's settings.
CUSTOM = Variant("custom", "efficientnet", 1.0, 1.0, 224, 0.2)


def get_variant(name: str) -> Variant:
    """Look a variant up by ``b0`` / ``lite3`` / ``efficientnet-b0`` / ``efficientnet_lite3``."""
    key = name.strip().lower()
    for prefix in ("efficientnet-", "efficientnet_"):
        key = key.removeprefix(prefix)
    if key not in VARIANTS:
        raise UsageError(f"unknown variant {name!r}; expected one of {', '.join(VARIANTS)}")
    return VARIANTS[key]
