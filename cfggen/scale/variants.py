"""The variants: one table, plus each family's blocks and fixed rules.

Sources: TF ``efficientnet_builder.efficientnet_params`` and ``_DEFAULT_BLOCKS_ARGS``;
``lite/efficientnet_lite_builder.py`` for the Lite family (see docs/efficientnet.md section 1);
geffnet 1.0.2 ``gen_efficientnet.py`` (``_gen_mixnet_s``, ``_gen_mixnet_m``, ``_gen_mobilenet_v2``)
for MixNet and MobileNetV2, whose block strings are copied verbatim (timm notation).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from cfggen.errors import UsageError
from cfggen.scale.blocks import BlockArgs, decode_stages

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

# MixNet: one stage per tuple, several block strings per stage; relu unless a block says nsw (swish).
# SE ratios are of the block input (geffnet reduced_base_chs = in_chs), as in EfficientNet.
MIXNET_S_BLOCKS: tuple[tuple[str, ...], ...] = (
    ("ds_r1_k3_s1_e1_c16",),
    ("ir_r1_k3_a1.1_p1.1_s2_e6_c24", "ir_r1_k3_a1.1_p1.1_s1_e3_c24"),
    ("ir_r1_k3.5.7_s2_e6_c40_se0.5_nsw", "ir_r3_k3.5_a1.1_p1.1_s1_e6_c40_se0.5_nsw"),
    ("ir_r1_k3.5.7_p1.1_s2_e6_c80_se0.25_nsw", "ir_r2_k3.5_p1.1_s1_e6_c80_se0.25_nsw"),
    ("ir_r1_k3.5.7_a1.1_p1.1_s1_e6_c120_se0.5_nsw", "ir_r2_k3.5.7.9_a1.1_p1.1_s1_e3_c120_se0.5_nsw"),
    ("ir_r1_k3.5.7.9.11_s2_e6_c200_se0.5_nsw", "ir_r2_k3.5.7.9_p1.1_s1_e6_c200_se0.5_nsw"),
)
MIXNET_M_BLOCKS: tuple[tuple[str, ...], ...] = (
    ("ds_r1_k3_s1_e1_c24",),
    ("ir_r1_k3.5.7_a1.1_p1.1_s2_e6_c32", "ir_r1_k3_a1.1_p1.1_s1_e3_c32"),
    ("ir_r1_k3.5.7.9_s2_e6_c40_se0.5_nsw", "ir_r3_k3.5_a1.1_p1.1_s1_e6_c40_se0.5_nsw"),
    ("ir_r1_k3.5.7_s2_e6_c80_se0.25_nsw", "ir_r3_k3.5.7.9_a1.1_p1.1_s1_e6_c80_se0.25_nsw"),
    ("ir_r1_k3_s1_e6_c120_se0.5_nsw", "ir_r3_k3.5.7.9_a1.1_p1.1_s1_e3_c120_se0.5_nsw"),
    ("ir_r1_k3.5.7.9_s2_e6_c200_se0.5_nsw", "ir_r3_k3.5.7.9_p1.1_s1_e6_c200_se0.5_nsw"),
)
MOBILENETV2_BLOCKS: tuple[str, ...] = (
    "ds_r1_k3_s1_c16",
    "ir_r2_k3_s2_e6_c24",
    "ir_r3_k3_s2_e6_c32",
    "ir_r4_k3_s2_e6_c64",
    "ir_r3_k3_s1_e6_c96",
    "ir_r3_k3_s2_e6_c160",
    "ir_r1_k3_s1_e6_c320",
)


@dataclass(frozen=True)
class Family:
    """Rules shared by a family of variants."""

    fixed_stem_head: bool    # stem and head keep their base widths instead of being width-scaled
    fixed_end_repeats: bool  # the first and last stage keep their repeats (not depth-scaled)
    se: bool                 # squeeze-and-excitation where the block strings ask for it
    activation: str          # darknet activation name (blocks may override it: MixNet's swish)
    blocks: tuple = BASELINE_BLOCKS   # stages at width 1.0: a string, or a tuple of strings, per stage
    stem: int = STEM_FILTERS
    head: int = HEAD_FILTERS
    fixed_head: bool = False          # only the head keeps its width (MixNet's 1536)
    title: str = "EfficientNet"       # for headers: "efficientnet-b0", "MixNet"
    prefix: str = "efficientnet-"     # variant name -> full name / file name
    drop_connect: float = 0.2         # rate at the last block (TF); 0: none (MobileNetV2 has none)

    @functools.cached_property
    def stages(self) -> tuple[BlockArgs | tuple[BlockArgs, ...], ...]:
        """``blocks`` decoded: a constant table, so parsed once per process (decoding the strings
        again for every generated cfg was a tenth of generation time)."""
        return decode_stages(self.blocks)


FAMILIES: dict[str, Family] = {
    "efficientnet": Family(fixed_stem_head=False, fixed_end_repeats=False, se=True, activation="swish"),
    # Lite drops what mobile accelerators and quantisation handle badly: SE and swish.
    "lite": Family(fixed_stem_head=True, fixed_end_repeats=True, se=False, activation="relu6",
                   title="EfficientNet-Lite"),
    "mixnet-s": Family(fixed_stem_head=False, fixed_end_repeats=False, se=True, activation="relu",
                       blocks=MIXNET_S_BLOCKS, stem=16, head=1536, fixed_head=True, title="MixNet", prefix=""),
    "mixnet-m": Family(fixed_stem_head=False, fixed_end_repeats=False, se=True, activation="relu",
                       blocks=MIXNET_M_BLOCKS, stem=24, head=1536, fixed_head=True, title="MixNet", prefix=""),
    "mobilenetv2": Family(fixed_stem_head=False, fixed_end_repeats=False, se=False, activation="relu6",
                          blocks=MOBILENETV2_BLOCKS, title="MobileNetV2", prefix="", drop_connect=0.0),
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
        return f"{self.rules.prefix}{self.name}"


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
    # geffnet mixnet_s/m/l, mobilenetv2_100; dropout from the TF references (MixNet-L trains at 0.25)
    "mixnet-s": ("mixnet-s", 1.0, 1.0, 224, 0.2),
    "mixnet-m": ("mixnet-m", 1.0, 1.0, 224, 0.2),
    "mixnet-l": ("mixnet-m", 1.3, 1.0, 224, 0.25),   # MixNet-L is MixNet-M at width 1.3
    "mobilenetv2": ("mobilenetv2", 1.0, 1.0, 224, 0.2),
}
VARIANTS: dict[str, Variant] = {name: Variant(name, *row) for name, row in _TABLE.items()}

# A custom network (--blocks / --width-mult ... without a variant) starts from B0's settings.
CUSTOM = Variant("custom", "efficientnet", 1.0, 1.0, 224, 0.2)


ALIASES = {"mixnet_s": "mixnet-s", "mixnet_m": "mixnet-m", "mixnet_l": "mixnet-l",
           "mobilenetv2_100": "mobilenetv2", "mobilenetv2-100": "mobilenetv2", "mobilenet-v2": "mobilenetv2"}


def get_variant(name: str) -> Variant:
    """Look a variant up by ``b0`` / ``lite3`` / ``efficientnet-b0`` / ``efficientnet_lite3``, or by
    geffnet's names (``mixnet_m``, ``mobilenetv2_100``)."""
    key = name.strip().lower()
    for prefix in ("efficientnet-", "efficientnet_"):
        key = key.removeprefix(prefix)
    key = ALIASES.get(key, key)
    if key not in VARIANTS:
        from cfggen.standalone import NAMES      # the layer-by-layer families
        raise UsageError(f"unknown variant {name!r}; expected one of {', '.join([*VARIANTS, *NAMES])}")
    return VARIANTS[key]
