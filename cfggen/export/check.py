"""The two free checks on every exported model: the ONNX checker (full_check) and strict shape inference,
whose inferred output shapes must equal the shapes the exporter declared (from cfggen's shape engine)."""
from __future__ import annotations

import onnx

from cfggen.errors import EXIT_INTERNAL
from cfggen.export import ExportError


class ModelCheckError(ExportError):
    """The exporter built a model ONNX rejects: a cfggen bug, not bad input."""

    exit_code = EXIT_INTERNAL


def _dims(value_info) -> list:
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def check(model: onnx.ModelProto) -> onnx.ModelProto:
    """Raise ModelCheckError unless ``model`` passes check_model(full_check=True) and strict shape inference
    with the declared output shapes; returns the shape-inferred model."""
    try:
        onnx.checker.check_model(model, full_check=True)
        inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelCheckError(f"internal: the exported model fails the ONNX checker: {first}") from None
    for declared, got in zip(model.graph.output, inferred.graph.output):
        if _dims(got) and _dims(declared) != _dims(got):
            raise ModelCheckError(f"internal: output {declared.name} is declared {_dims(declared)} but ONNX "
                                  f"infers {_dims(got)}")
    return inferred
