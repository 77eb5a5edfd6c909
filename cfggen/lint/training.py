"""Facts about training that several rules and the engine need."""
from __future__ import annotations

from cfggen.ir.layers import DETECTION_TYPES
from cfggen.ir.model import Layer, Network


def training_head(net: Network) -> Layer | None:
    """The layer whose random/jitter/classes training uses: the last [yolo]/[Gaussian_yolo]/[region]."""
    for layer in reversed(net.layers):
        if layer.type in DETECTION_TYPES:
            return layer
    return None


def detection_heads(net: Network) -> list[Layer]:
    return [layer for layer in net.layers if layer.type in DETECTION_TYPES or layer.type == "detection"]
