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


def save(model, path, *, check: bool = False) -> int:
    """Write ``model`` to ``path`` atomically; returns the bytes written.

    ``check``: run ``onnx.checker.check_model(full_check=True)`` (which includes strict shape inference)
    on the written file before it replaces ``path``.
    """
    tmp, size = write_temp(model, path)
    commit(tmp, path, check=check)
    return size


def write_temp(model, path) -> tuple[str, int]:
    """Stream ``model`` into a temp file beside ``path``; returns (temp path, bytes).

    The graph without its initializers is serialised once, then each initializer on its own, so the
    file never exists as one more in-memory copy of the weights.
    A caller that drops the model before ``commit`` frees the weights before the checker loads them.
    """
    from cfggen.fileio import temp_beside
    fd, tmp = temp_beside(str(path), ".onnx.tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            size = _write_stream(model, fh)
    except BaseException:
        _unlink(tmp)
        raise
    return tmp, size


def commit(tmp: str, path, *, check: bool = False) -> None:
    """Check the temp file (optionally) and move it over ``path``; on any failure remove it."""
    try:
        if check:
            _check_file(tmp)
    except BaseException:
        _unlink(tmp)
        raise
    from cfggen.fileio import replace_from
    replace_from(tmp, str(path))


def _unlink(p: str) -> None:
    try:
        os.unlink(p)
    except OSError:
        pass


def _check_file(path: str) -> None:
    import onnx

    from cfggen.export.check import ModelCheckError
    try:
        onnx.checker.check_model(path, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelCheckError(f"internal: the exported model fails the ONNX checker: {first}") from None


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _len_field(number: int, length: int) -> bytes:
    return _varint((number << 3) | 2) + _varint(length)


def without_field(message, skip: str):
    """A copy of ``message`` without field ``skip`` (the copy is small: the big field stays behind)."""
    copy = type(message)()
    for fd, value in message.ListFields():
        if fd.name == skip:
            continue
        target = getattr(copy, fd.name)
        if fd.is_repeated:
            target.extend(value)
        elif fd.message_type is not None:
            target.CopyFrom(value)
        else:
            setattr(copy, fd.name, value)
    return copy


GRAPH_FIELD = 7         # ModelProto.graph
INITIALIZER_FIELD = 5   # GraphProto.initializer


def _write_stream(model, fh) -> int:
    head = without_field(model, "graph").SerializeToString()
    graph = model.graph
    skeleton = without_field(graph, "initializer").SerializeToString()
    sizes = [t.ByteSize() for t in graph.initializer]
    graph_len = len(skeleton) + sum(len(_len_field(INITIALIZER_FIELD, n)) + n for n in sizes)
    written = 0
    for part in (head, _len_field(GRAPH_FIELD, graph_len), skeleton):
        fh.write(part)
        written += len(part)
    for t, n in zip(graph.initializer, sizes):
        prefix = _len_field(INITIALIZER_FIELD, n)
        fh.write(prefix)
        fh.write(t.SerializeToString())
        written += len(prefix) + n
    return written


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


__all__ = ["ExportError", "OUTPUT_MODES", "commit", "save", "to_onnx", "write_temp"]
