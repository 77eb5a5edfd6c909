"""EfficientNet scaling: rounding rules, block strings, the variant table, scaled networks.

Everything here is pure and numpy-free: ``variant -> (width, depth, resolution) -> baseline block
strings -> decode -> scale -> tuple of per-block records``. Rendering to cfg text lives in
``cfggen.render`` and ``cfggen.generate``.
"""
from cfggen.scale.blocks import BlockArgs, decode, decode_list, decode_stages, encode
from cfggen.scale.network import Block, Network, scale
from cfggen.scale.rounding import round_filters, round_repeats
from cfggen.scale.variants import BASELINE_BLOCKS, FAMILIES, VARIANTS, Family, Variant, get_variant

__all__ = [
    "BASELINE_BLOCKS", "FAMILIES", "VARIANTS", "Block", "BlockArgs", "Family", "Network", "Variant",
    "decode", "decode_list", "decode_stages", "encode", "get_variant", "round_filters", "round_repeats", "scale",
]
