"""The walker: network + weights -> ONNX ModelProto (one emitter call per layer, then outputs and metadata).

Every unsupported layer is collected first and reported in one error (index, line, type, why), so a
user sees the whole list at once instead of one layer per run.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper

from cfggen import __version__
from cfggen.export import ExportError, file_sha256
from cfggen.export.emitters import (HEAD_TYPES, UNSUPPORTED_WHY, EmitCtx, Emitted, Unsupported, dims,
                                    emitter_for)
from cfggen.export.graph import Graph
from cfggen.ir.cnum import float_list, int_list


class WeightSource:
    """A layer's arrays from a (fitting) weights file, each read with one ``pread`` into a fresh array.

    Not through ``WeightsFile``'s memory map: every mapped page a read touches stays in this process's
    resident set, so a memory-mapped export would hold the whole file resident next to the model
    (2x the weights). Arrays the loader skips (``dontloadscales``) take darknet's initial values
    (scales 1, mean 0, variance 1). Layouts (conv ``flipped``, transposed [connected]) follow
    ``WeightsFile.tensor``."""

    DEFAULTS = {"scales": 1.0, "rolling_mean": 0.0, "rolling_variance": 1.0, "biases": 0.0}

    def __init__(self, wf, network):
        self.wf, self.network = wf, network
        self.fd = os.open(wf.path, os.O_RDONLY)

    def close(self) -> None:
        os.close(self.fd)

    def _count(self, layer: int, name: str) -> int:
        rec = next((r for r in self.network.layers[layer].records if r.name == name and not r.sub), None)
        if rec is None:
            raise Unsupported(f"no {name} array for this layer")
        return rec.count

    def get(self, layer: int, name: str) -> np.ndarray:
        a = self.wf.arrays.get((layer, "", name))
        if a is not None:
            # read-only float32 view of the bytes just read (emitters never write into weights)
            return np.frombuffer(os.pread(self.fd, 4 * a.count, a.offset), dtype=np.float32)
        if name in self.DEFAULTS:
            return np.full(self._count(layer, name), self.DEFAULTS[name], np.float32)
        raise Unsupported(f"the weights file holds no {name} for this layer (dontload=1): darknet keeps its "
                          "random initialisation there")

    def tensor(self, layer: int, name: str) -> np.ndarray:
        data = self.get(layer, name)
        lay = self.network.layers[layer]
        n = self._count(layer, "biases")
        if lay.type == "convolutional":
            k = lay.conf["size"]
            per = data.size // n
            if lay.conf.get("flipped"):
                data = np.ascontiguousarray(data.reshape(per, n).T)
            return data.reshape(n, per // (k * k), k, k)
        if lay.type == "connected":
            if self.wf.header.transpose:
                return np.ascontiguousarray(data.reshape(data.size // n, n).T)
            return data.reshape(n, data.size // n)
        return data


def load(cfg: str, size):
    """(native network for the weights layout, network at ``size`` for shapes); refuses a broken size."""
    from cfggen.cfg.parse import read_file
    from cfggen.ir.build import infer, plan

    doc = read_file(cfg)
    p = plan(doc)
    if not p.usable:
        reason = "; ".join(d.message for d in p.findings) or "no [net] section"
        raise ExportError(f"darknet cannot build this network: {reason}", path=cfg)
    native, native_findings = infer(p)
    network, findings = (native, native_findings) if size is None else infer(p, tuple(size))
    # darknet's own stops while building (exit, assert, crash) refuse the export, even where the shape
    # engine can go on; DN202 (a shortcut adding only the common channels) is what darknet computes
    stops = {d.layer for d in findings if d.layer is not None and d.code != "DN202"}
    for layer in network.layers:
        if layer.broken or layer.index in stops:
            earlier = [d for d in findings if d.layer is not None and d.layer <= layer.index]
            f = max(earlier, key=lambda d: d.layer) if earlier else None
            where = f" at {size[0]}x{size[1]}" if size is not None else ""
            msg = f.message + f" [{f.code}]" if f else "darknet stops building the network here"
            raise ExportError(f"layer {layer.index} {layer.section.header}{where}: {msg}", path=cfg,
                              line=f.line if f else layer.line)
    return native, network


def open_weights(weights: str | None, native, stack: contextlib.ExitStack):
    from cfggen.convert import weights as w

    if weights is None:
        fd, tmp = tempfile.mkstemp(prefix=".cfggen-init-", suffix=".weights")
        os.close(fd)
        stack.callback(os.unlink, tmp)
        w.init(native, tmp, seed=0, workers=0)
        path = tmp
    else:
        report = w.check(weights, native)
        if not report.fits:
            raise ExportError(f"weights check: {report.message}", path=weights, hint=report.hint)
        path = weights
    wf = w.read(path, native, "load")
    wf.close()          # only its layout is used (offsets); WeightSource reads with pread
    source = WeightSource(wf, native)
    stack.callback(source.close)
    return source


# layers whose previous layer and first ``from`` darknet's parser marks as read (use_bin_output = 0)
READS_PREV_AND_FROM = ("shortcut", "scale_channels", "sam")


def consumers(network) -> dict[int, set]:
    """Layers read by a later [route], or as a [shortcut]/[scale_channels]/[sam]'s previous layer or
    first ``from`` (the layers whose ``bin_output`` darknet's parser clears)."""
    out: dict[int, set] = {}
    for layer in network.layers:
        if layer.type == "route":
            for r in layer.refs:
                out.setdefault(r, set()).add("route")
        elif layer.type in READS_PREV_AND_FROM:
            out.setdefault(layer.index - 1, set()).add(layer.type)
            if layer.refs:
                out.setdefault(layer.refs[0], set()).add(layer.type)
    return out


def tensor_shape(layer) -> list[int]:
    if layer.type == "region":
        k = layer.conf
        return [layer.input.h * layer.input.w, k["num"], k["coords"] + k["classes"] + 1]
    return list(dims(layer))


def output_layers(network) -> list:
    heads = [layer for layer in network.layers if layer.type in HEAD_TYPES]
    if heads:
        return heads
    last = next((layer for layer in reversed(network.layers) if layer.type != "cost"), network.layers[-1])
    return [last]


def build_model(cfg, weights, *, size, batch, opset, fp16, outputs, nms, names, debug_layers):
    native, network = load(cfg, size)
    g = Graph(opset, fp16)
    g.batch = batch if isinstance(batch, int) else None
    n_dim = "batch" if batch == "dynamic" else batch
    inputs = [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                            [n_dim, network.channels, network.height, network.width])]
    x = g.op("Cast", "input", to=g.onnx_dtype) if fp16 else "input"
    emitted: list[Emitted] = []
    problems: list[str] = []
    with contextlib.ExitStack() as stack:
        source = open_weights(weights, native, stack)
        used = consumers(network)
        for layer in network.layers:
            fn = emitter_for(layer.type, opset)
            g.prefix = f"L{layer.index}_{layer.type}"
            try:
                if fn is None:
                    raise Unsupported(UNSUPPORTED_WHY.get(layer.type, f"no emitter for [{layer.type}]"))
                if problems:     # past an unsupported layer only the registry is consulted (no tensors)
                    emitted.append(Emitted(x))
                    continue
                e = fn(EmitCtx(g, layer, x, emitted, network.layers, source, used))
            except Unsupported as exc:
                problems.append(f"layer {layer.index} {layer.section.header} (line {layer.line}): {exc}")
                e = Emitted(x)
            emitted.append(e)
            x = e.next or e.output
    if problems:
        raise ExportError(f"{len(problems)} layer(s) cannot be exported: " + "; ".join(problems), path=cfg)

    g.prefix = "out"
    graph_outputs = []

    def expose(tensor: str, name: str, shape: list) -> None:
        g.op("Cast", tensor, out=name, to=TensorProto.FLOAT) if fp16 else g.op("Identity", tensor, out=name)
        graph_outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))

    if outputs == "raw" and nms is None:
        for layer in output_layers(network):
            expose(emitted[layer.index].output, f"{layer.type}_{layer.index}", [n_dim, *tensor_shape(layer)])
    else:
        from cfggen.export.decode import decode_outputs
        for tensor, name, shape in decode_outputs(g, network, emitted, outputs, nms, n_dim):
            graph_outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
            g.op("Identity", tensor, out=name)
    if debug_layers is not None:
        wanted = range(len(network.layers)) if debug_layers == "all" else sorted(set(int(i) for i in debug_layers))
        for i in wanted:
            if not 0 <= i < len(network.layers):
                raise ExportError(f"debug layer {i}: the network has layers 0-{len(network.layers) - 1}")
            expose(emitted[i].output, f"layer_{i}", [n_dim, *tensor_shape(network.layers[i])])

    model = g.model
    graph = model.graph
    graph.name = os.path.splitext(os.path.basename(cfg))[0]
    graph.node.extend(g.nodes)
    graph.input.extend(inputs)
    graph.output.extend(graph_outputs)
    opsets = [helper.make_opsetid("", opset)]
    model.opset_import.extend(opsets)
    model.producer_name, model.producer_version = "cfggen", __version__
    model.ir_version = helper.find_min_ir_version_for(opsets)
    helper.set_model_props(model, metadata(cfg, weights, network, names))
    return model


def metadata(cfg, weights, network, names) -> dict[str, str]:
    heads = [layer for layer in network.layers if layer.type in HEAD_TYPES]
    meta = {
        "cfggen_version": __version__,
        "source_cfg": os.path.basename(cfg),
        "source_cfg_sha256": file_sha256(cfg),
        "input_size": f"{network.width}x{network.height}x{network.channels}",
        "input_format": "NCHW float32 RGB in [0, 1] (darknet network_predict)",
        "weights": os.path.basename(weights) if weights else "weights init (seed 0): not trained",
    }
    if heads:
        anchors, strides, classes = [], [], []
        for h in heads:
            k = h.conf
            classes.append(k.get("classes"))
            if k.get("anchors"):
                anchors.append({"layer": h.index, "anchors": float_list(k["anchors"]),
                                "mask": int_list(k["mask"]) if k.get("mask") else None})
            if h.input.w:
                strides.append(network.width // h.input.w)
        meta["heads"] = json.dumps([f"{h.type}_{h.index}" for h in heads])
        meta["classes"] = str(classes[0])
        meta["anchors"] = json.dumps(anchors)
        meta["strides"] = json.dumps(strides)
    xnor = sum(1 for layer in network.layers if layer.type == "convolutional" and layer.conf["xnor"])
    if xnor:
        meta["xnor_layers"] = str(xnor)
    if names:
        meta["names"] = json.dumps(list(names))
    return meta
