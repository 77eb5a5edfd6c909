"""GhostNet checkpoints for ``cfggen import``: huawei-noah Efficient-AI-Backbones ``ghostnet_pytorch``
(the generator uses its module names as they are; BN epsilon 1e-5)."""
from __future__ import annotations

from cfggen.convert.sequential import Naming, import_family

HEAD = ("blocks.9", "conv_head", "classifier")


def _is_huawei(names) -> bool:
    return "conv_stem.weight" in set(names) and any(".ghost1.primary_conv." in k for k in names)


NAMINGS = (Naming("huawei-noah GhostNet", _is_huawei, lambda module, built: module, 1e-5, ("ghostnet",), HEAD),)


def matches(names) -> bool:
    return _is_huawei(names)


def _classes(names, shape_of):
    shape = shape_of("classifier.weight")
    return shape[0] if shape else None


def import_checkpoint(checkpoint, prefix, **options):
    return import_family(checkpoint, prefix, NAMINGS, classes_of=_classes, **options)
