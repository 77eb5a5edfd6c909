"""The two free checks on every exported model: the ONNX checker (full_check) and strict shape inference,
whose inferred output shapes must equal the shapes the exporter declared (from cfggen's shape engine)."""
from __future__ import annotations

import onnx

from cfggen.errors import EXIT_INTERNAL
from cfggen.export import ExportError, without_field


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


def check_light(model: onnx.ModelProto) -> None:
    """``check`` at the memory cost of the graph, not the weights: for the CLI on big networks.

    ``onnx.checker`` serialises a ModelProto (or loads a file) into its own C++ copy, so checking a
    1 GB model costs 2 GB more. Here large float initializers are stood in for by graph inputs of the
    same name, type and shape (what the checker and shape inference read from them), small ones (shape
    tensors, scales, which shape inference reads by value) stay; each stand-in's byte count is checked
    against its dims here. Everything else (nodes, attributes, opset, types, strict shape inference,
    declared output shapes) is checked exactly as ``check`` does.
    """
    from onnx import helper

    skeleton = without_field(model, "graph")
    g, s = model.graph, skeleton.graph
    s.name = g.name
    s.node.extend(g.node)
    s.input.extend(g.input)
    s.output.extend(g.output)
    s.value_info.extend(g.value_info)
    for t in g.initializer:
        count = 1
        for d in t.dims:
            count *= d
        if count <= 64 or t.data_type == onnx.TensorProto.INT64:
            s.initializer.append(t)
            continue
        itemsize = onnx.helper.tensor_dtype_to_np_dtype(t.data_type).itemsize
        if len(t.raw_data) != count * itemsize:
            raise ModelCheckError(f"internal: initializer {t.name} holds {len(t.raw_data)} bytes for dims "
                                  f"{list(t.dims)}")
        s.input.append(helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
    check(skeleton)
