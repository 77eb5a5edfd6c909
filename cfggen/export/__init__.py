"""Darknet cfg + .weights -> ONNX, computing what darknet's own CPU forward pass computes.

``to_onnx`` is the library entry point (the CLI ``cfggen export`` wraps it). The network is built by
cfggen's shape engine (``ir.build``), weights come through ``convert.weights`` (and its ``weights
check`` verdict when they do not fit), and every layer is turned into nodes by the emitter registered
for its type (``export.emitters``). ``onnx`` is imported here, lazily: ``import cfggen.export`` costs
nothing until ``to_onnx`` runs.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Iterable

from cfggen.errors import CfggenError

INSTALL_HINT = "pip install 'cfggen[onnx]'"
OUTPUT_MODES = ("raw", "boxes", "boxes-noobj")


class ExportError(CfggenError):
    """The network cannot be exported: unsupported layers, weights that do not fit, a bad size."""


def _need_onnx():
    try:
        import onnx  # noqa: F401
        import numpy  # noqa: F401
    except ImportError as exc:
        raise ExportError(f"cfggen export needs the onnx package ({exc.name} is not installed)",
                          hint=INSTALL_HINT) from None


def to_onnx(cfg, weights=None, *, size=None, batch=1, opset=17, fp16=False, outputs="raw",
            nms=None, names=None, debug_layers=None) -> "onnx.ModelProto":  # noqa: F821
    """Build the ONNX model of ``cfg`` with ``weights`` (paths).

    size: (w, h) or None (the cfg's own). batch: int or "dynamic". outputs: "raw" (one output per head,
    the head layer's output as darknet leaves it, named after the layer; without heads the layer
    ``network_predict`` returns), "boxes" ([N, boxes, 5 + C]) or "boxes-noobj" ([N, 4 + C, boxes]).
    nms: (iou, score, maxdet) appends NonMaxSuppression ([N, K, 6] detections). names: class names
    (list) stored in the metadata. debug_layers: None, "all" or layer indices; each becomes an extra
    float32 output ``layer_{i}``. Without weights the ``weights init`` values (seed 0) are used.
    """
    _need_onnx()
    from cfggen.export.build import build_model

    if outputs not in OUTPUT_MODES:
        raise ExportError(f"--outputs {outputs!r}: choose one of {', '.join(OUTPUT_MODES)}")
    if not (isinstance(batch, int) and batch >= 1) and batch != "dynamic":
        raise ExportError(f"batch {batch!r}: a positive integer or 'dynamic'")
    if not isinstance(opset, int) or opset < 13:
        raise ExportError(f"opset {opset}: cfggen exports opset 13 or newer")
    import onnx
    if opset > onnx.defs.onnx_opset_version():
        raise ExportError(f"opset {opset}: the installed onnx package knows opsets up to "
                          f"{onnx.defs.onnx_opset_version()}")
    return build_model(str(cfg), None if weights is None else str(weights), size=size, batch=batch, opset=opset,
                       fp16=fp16, outputs=outputs, nms=nms, names=names, debug_layers=debug_layers)


def save(model, path) -> int:
    """Write ``model`` atomically (temp file beside ``path``, then os.replace); returns the byte count."""
    from cfggen.convert.weights import atomic_output

    data = model.SerializeToString()
    with atomic_output(str(path)) as fh:
        fh.write(data)
    return len(data)


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


__all__ = ["ExportError", "OUTPUT_MODES", "save", "to_onnx"]
