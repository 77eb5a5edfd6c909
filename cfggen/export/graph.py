"""A small ONNX graph builder: nodes and initializers as data, deterministic names, one dtype.

Emitters call ``g.op("Conv", x, w, strides=[1, 1])`` and get the output tensor's name back; they never
touch protobufs. Constants go through ``g.const`` so ``--fp16`` is one switch (every float constant is
stored in the compute dtype). Ops whose inputs changed between opsets (the Reduce family: ``axes``
moved from an attribute to an input in 13 for ReduceSum, in 18 for the others) are spelt here once.
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper

# ReduceX: the opset from which ``axes`` is an input instead of an attribute
_AXES_INPUT_SINCE = {"ReduceSum": 13, "ReduceMax": 18, "ReduceMean": 18, "ReduceMin": 18}


class Graph:
    def __init__(self, opset: int, fp16: bool = False):
        self.opset = opset
        self.dtype = np.float16 if fp16 else np.float32
        self.onnx_dtype = TensorProto.FLOAT16 if fp16 else TensorProto.FLOAT
        self.nodes: list[onnx.NodeProto] = []
        # initializers are written straight into the model's graph, once: a weight is held in memory
        # once (as raw bytes), never copied into a list, a GraphProto and then a ModelProto
        self.model = onnx.ModelProto()
        self.inits = self.model.graph.initializer
        self._consts: dict[tuple, str] = {}
        self._count = 0
        self.prefix = "g"
        self.batch: int | None = None        # a static batch size, or None (dynamic)

    def name(self, hint: str = "t") -> str:
        self._count += 1
        return f"{self.prefix}_{hint}_{self._count}"

    def op(self, op_type: str, *inputs: str, out: str | None = None, **attrs) -> str:
        out = out or self.name(op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], name=out, **attrs))
        return out

    def op_multi(self, op_type: str, inputs: list[str], n_out: int, **attrs) -> list[str]:
        outs = [self.name(op_type.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=outs[0], **attrs))
        return outs

    def const(self, value, hint: str = "c") -> str:
        """A float constant in the compute dtype (float16 under --fp16)."""
        arr = np.asarray(value)
        if arr.dtype != self.dtype:     # python floats and float64 folds: one rounding to the dtype
            arr = arr.astype(np.float64).astype(self.dtype)
        return self._init(arr, hint)

    def f32(self, value, hint: str = "f") -> str:
        """A float32 constant whatever the compute dtype (Resize scales, decode grids before a Cast)."""
        return self._init(np.asarray(value, dtype=np.float32), hint)

    def ints(self, value, hint: str = "i") -> str:
        return self._init(np.asarray(value, dtype=np.int64), hint)

    def _init(self, arr: np.ndarray, hint: str) -> str:
        small = arr.size <= 16
        key = (arr.dtype.str, arr.shape, arr.tobytes()) if small else None
        if key is not None and key in self._consts:
            return self._consts[key]
        name = self.name(hint)
        t = self.inits.add()
        t.name = name
        t.data_type = helper.np_dtype_to_tensor_dtype(arr.dtype)
        t.dims.extend(arr.shape)
        t.raw_data = np.ascontiguousarray(arr).tobytes()    # little-endian on every supported host
        if key is not None:
            self._consts[key] = name
        return name

    def batch_shape(self, x: str, dims) -> str:
        """The int64 shape [N, *dims]: a constant for a static batch (OpenCV's importer folds nothing
        through Shape), else N taken from ``x`` at run time."""
        if self.batch is not None:
            return self.ints([self.batch, *dims])
        return self.op("Concat", self.op("Shape", x, end=1), self.ints(list(dims)), axis=0)

    def reduce(self, op_type: str, x: str, axes: list[int], keepdims: int = 1) -> str:
        if self.opset >= _AXES_INPUT_SINCE[op_type]:
            return self.op(op_type, x, self.ints(axes), keepdims=keepdims)
        return self.op(op_type, x, axes=axes, keepdims=keepdims)

    def reshape(self, x: str, shape) -> str:
        """Reshape keeping the batch axis (a leading 0 copies it, so --batch dynamic works)."""
        return self.op("Reshape", x, self.ints([0, *shape]))

    def slice(self, x: str, axis: int, start: int, end: int) -> str:
        return self.op("Slice", x, self.ints([start]), self.ints([end]), self.ints([axis]))

    def mul(self, x: str, k: float) -> str:
        return self.op("Mul", x, self.const(k))

    def add(self, x: str, k: float) -> str:
        return self.op("Add", x, self.const(k))
