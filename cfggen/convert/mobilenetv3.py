"""MobileNetV3 checkpoints for ``cfggen import``: geffnet/timm ``mobilenetv3_{large,small}_100`` and
torchvision ``mobilenet_v3_{large,small}`` (reference-models README: one network, two namings).

The generator names every module as geffnet does; torchvision's names follow from the block table
(``features.N`` is the N-th block, stem 0; ``block.i`` counts the block's own sub-modules, so the
indices shift without an expand conv or without SE; the head is ``classifier.0`` / ``classifier.3``,
Linears). BN epsilon: geffnet 1e-5 (PyTorch default), torchvision 1e-3 (folded into rolling_variance).
"""
from __future__ import annotations

import functools
import re

from cfggen.convert.sequential import Naming

VARIANTS = ("mobilenetv3-large", "mobilenetv3-small")


def _is_geffnet(names) -> bool:
    keys = set(names)
    return "conv_stem.weight" in keys and "blocks.0.0.conv_dw.weight" in keys and "conv_head.bias" in keys \
        and "bn2.weight" not in keys


def _is_torchvision(names) -> bool:
    keys = set(names)
    return "features.0.0.weight" in keys and any(k.startswith("features.1.block.") for k in keys)


@functools.cache
def _table(family: str, width_mult: float) -> dict[str, tuple[int, object]]:
    from cfggen.scale import mobilenetv3 as m3
    _, infos = m3.blocks(m3.ARCHS[family], width_mult)
    return {b.name: (n, b) for n, b in enumerate(infos, start=1)}


_BLOCK = re.compile(r"(blocks\.\d+\.\d+)\.(.+)")


def torchvision_name(module: str, built) -> str:
    """geffnet module path -> torchvision's, for this network's block table."""
    if module in ("conv_stem", "bn1"):
        return f"features.0.{0 if module == 'conv_stem' else 1}"
    if module == "conv_head":
        return "classifier.0"
    if module == "classifier":
        return "classifier.3"
    m = _BLOCK.fullmatch(module)
    if not m:
        raise KeyError(module)
    n, b = _table(built.family.name, built.width_mult)[m.group(1)]
    part = m.group(2)
    if b.kind == "cn":
        return f"features.{n}.{0 if part == 'conv' else 1}"
    order = (["expand"] if b.kind == "ir" else []) + ["dw"] + (["se"] if b.se else []) + ["project"]
    role = {"ir": {"conv_pw": ("expand", 0), "bn1": ("expand", 1), "conv_dw": ("dw", 0), "bn2": ("dw", 1),
                   "conv_pwl": ("project", 0), "bn3": ("project", 1)},
            "ds": {"conv_dw": ("dw", 0), "bn1": ("dw", 1), "conv_pw": ("project", 0), "bn2": ("project", 1)}}[b.kind]
    if part.startswith("se."):
        return f"features.{n}.block.{order.index('se')}." + {"se.conv_reduce": "fc1", "se.conv_expand": "fc2"}[part]
    what, sub = role[part]
    return f"features.{n}.block.{order.index(what)}.{sub}"


NAMINGS = (
    Naming("geffnet/timm", _is_geffnet, VARIANTS, ("classifier",)),
    Naming("torchvision", _is_torchvision, VARIANTS, ("classifier.3",), torchvision_name, eps=1e-3),
)
