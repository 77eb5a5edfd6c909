"""GhostNet checkpoints for ``cfggen import``: huawei-noah Efficient-AI-Backbones ``ghostnet_pytorch``
(the generator uses its module names as they are; BN epsilon 1e-5). ``convert/sequential.py`` checks and
writes them."""
from __future__ import annotations

from cfggen.convert.sequential import Naming


def _is_huawei(names) -> bool:
    return "conv_stem.weight" in set(names) and any(".ghost1.primary_conv." in k for k in names)


NAMINGS = (Naming("huawei-noah GhostNet", _is_huawei, ("ghostnet",), ("classifier",)),)
