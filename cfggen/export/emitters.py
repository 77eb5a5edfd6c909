"""One emitter per darknet layer type: the layer's forward pass at inference (reference §12) as ONNX nodes.

``EMITTERS[type][since]`` is a function ``(EmitCtx) -> Emitted``; ``emitter_for(type, opset)`` picks the
newest ``since <= opset`` (tf2onnx's rule). A type without an entry is unsupported: the exporter collects
every such layer and reports them together. Emitters read shapes from the shape engine's ``Layer``
records (never recomputed) and weights through ``WeightSource``; they return tensor names, never mutate.

Tensor convention: every layer output is 4-D NCHW with darknet's ``out`` shape; a layer without a
spatial output (softmax, connected, cost, detection, ...) is ``[N, outputs, 1, 1]``, so flattening any
tensor gives darknet's CHW-flat buffer. ``[region]``'s buffer is transposed by darknet itself:
``[N, H*W, num, coords+classes+1]``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np

from cfggen.export.activations import activate
from cfggen.export.graph import Graph
from cfggen.ir.layers import conv_groups

EPS = 1e-5      # darknet's BN epsilon (fuse_conv_batchnorm, forward_batchnorm_layer)


class Unsupported(Exception):
    """This layer cannot be exported (the message says why); collected, then reported at once."""


class Emitted(NamedTuple):
    output: str                 # the layer's own buffer (l.output), what route/shortcut/debug read
    next: str | None = None     # what the next layer reads, when it differs (antialiasing blur)


@dataclass
class EmitCtx:
    g: Graph
    layer: object               # cfggen.ir.model.Layer
    x: str                      # the input tensor (previous layer's next)
    outputs: list               # Emitted per earlier layer
    layers: tuple               # every Layer of the network
    weights: object             # WeightSource
    consumers: dict             # layer index -> set of layer types that read it ("route", "shortcut", ...)

    @property
    def conf(self) -> dict:
        return self.layer.conf

    def ref(self, index: int) -> str:
        return self.outputs[index].output


EMITTERS: dict[str, dict[int, Callable[[EmitCtx], Emitted]]] = {}


def emitter(type_: str, since: int = 13):
    def register(fn):
        table = EMITTERS.setdefault(type_, {})
        if since in table:
            raise ValueError(f"emitter for {type_} since opset {since} already registered")
        table[since] = fn
        return fn
    return register


def emitter_for(type_: str, opset: int) -> Callable[[EmitCtx], Emitted] | None:
    table = EMITTERS.get(type_, {})
    usable = [v for v in table if v <= opset]
    return table[max(usable)] if usable else None


def dims(layer) -> tuple[int, int, int]:
    """(C, H, W) of a layer's 4-D tensor (non-spatial layers: (outputs, 1, 1))."""
    w, h, c = layer.output
    if w and h and c and w * h * c == layer.outputs:
        return c, h, w
    return layer.outputs, 1, 1


# ------------------------------------------------------------------------------------------------
# convolution

def fused_conv(ctx: EmitCtx, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights and biases after ``fuse_conv_batchnorm``: the per-filter factor and the bias in double as
    darknet computes them; the weights scaled in float32 (darknet rounds the double product to float:
    at most 1 ulp apart, and no float64 copy of a 100 M-value kernel)."""
    lay = ctx.layers[index]
    w = ctx.weights.tensor(index, "weights")
    b = ctx.weights.get(index, "biases").astype(np.float64)
    if lay.conf["batch_normalize"] or lay.conf["cbn"]:
        scales = ctx.weights.get(index, "scales").astype(np.float64)
        mean = ctx.weights.get(index, "rolling_mean").astype(np.float64)
        var = ctx.weights.get(index, "rolling_variance").astype(np.float64)
        k = scales / np.sqrt(var + EPS)
        w = w * k.astype(np.float32)[:, None, None, None]
        b = b - k * mean
    return w, b.astype(np.float32)


def _end_pad(size_in: int, size_out: int, k_eff: int, stride: int, begin: int) -> int:
    """End padding that makes ONNX's floor formula give darknet's output size (may be negative)."""
    return (size_out - 1) * stride + k_eff - size_in - begin


def _conv_node(g: Graph, x: str, w: np.ndarray, b: np.ndarray | None, in_hw, out_hw, k: int,
               strides, pad: int, dil: int, groups: int) -> str:
    (h, wd), (oh, ow) = in_hw, out_hw
    k_eff = dil * (k - 1) + 1
    pe_h = _end_pad(h, oh, k_eff, strides[0], pad)
    pe_w = _end_pad(wd, ow, k_eff, strides[1], pad)
    ins = [x, g.const(w, "w")] + ([g.const(b, "b")] if b is not None else [])
    y = g.op("Conv", *ins, kernel_shape=[k, k], strides=list(strides), dilations=[dil, dil], group=groups,
             pads=[pad, pad, max(pe_h, 0), max(pe_w, 0)])
    if pe_h < 0:
        y = g.slice(y, 2, 0, oh)
    if pe_w < 0:
        y = g.slice(y, 3, 0, ow)
    return y


def _blur(g: Graph, x: str, c: int, in_hw, out_hw, mode: int, sx: int, sy: int) -> str:
    """Antialiasing: a fixed depthwise blur with the layer's stride (reference §12.2)."""
    if mode == 2:
        k, pad, kern = 2, 0, np.full((2, 2), 0.25)
    else:
        k, pad, kern = 3, 1, np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16.0
    w = np.broadcast_to(kern, (c, 1, k, k)).copy()
    return _conv_node(g, x, w, None, in_hw, out_hw, k, (sy, sx), pad, 1, c)


def _bin_output_linear(ctx: EmitCtx) -> bool:
    """``bin_output=1`` on an xnor layer forces linear unless the layer is routed or a shortcut,
    scale_channels or sam reads it (§12.2); ``calculate_binary_weights`` looks at xnor layers only,
    so without ``xnor`` the key changes nothing."""
    k = ctx.conf
    return bool(k["xnor"] and k["bin_output"]) and not ctx.consumers.get(ctx.layer.index)


@emitter("convolutional")
def conv(ctx: EmitCtx) -> Emitted:
    g, lay, k = ctx.g, ctx.layer, ctx.conf
    size = k["size"]
    sx = k["stride_x"] if k["stride_x"] >= 1 else k["stride"]
    sy = k["stride_y"] if k["stride_y"] >= 1 else k["stride"]
    pad = size // 2 if k["pad"] else k["padding"]
    dil = max(1, k["dilation"])
    groups = conv_groups(k)
    aa = k["antialiasing"]
    cs = (1, 1) if aa else (sy, sx)
    owner = lay.refs[0] if k["share_index"] != -1000000000 and lay.refs else lay.index
    w, b = fused_conv(ctx, owner)
    if size == 1 and dil == 1 and sx == 1 and (sy > 1 or pad >= 1) and not aa:
        raise Unsupported("a 1x1 convolution with stride_y>1 or padding>=1: darknet's 1x1 fast path reads "
                          "the input as if unpadded at stride 1 (reference §12.2), garbage an exporter "
                          "should not copy")
    out_hw = (lay.output.h, lay.output.w)
    in_hw = (lay.input.h, lay.input.w)
    x, scale = ctx.x, None
    if k["xnor"] and sx == sy:
        x, w, scale, b, pad, in_hw = _xnor(ctx, w, b, size, pad, sx, in_hw)
    if x is None:       # the xnor constant case: b' - m*sum(sign w), at every position
        y = _broadcast_const(g, ctx.x, np.broadcast_to(b.reshape(-1, 1, 1), (len(b), *out_hw)))
    elif scale is not None:
        # xnor: the +-1 sum S is exact in float32 in any order (|S| <= K < 2**24); then float(S) * m and
        # + b', two float32 roundings as gemm_nn_custom_bin_mean_transposed and add_bias make them.
        # (A conv with weights +-m would round its partial sums: values at 0 could change sign.)
        y = _conv_node(g, x, w, None, in_hw, out_hw, size, cs, pad, 1, 1)
        y = g.op("Add", g.op("Mul", y, g.const(scale.reshape(1, -1, 1, 1), "m")), g.const(b.reshape(1, -1, 1, 1), "b"))
    else:
        # darknet pads by p*dilation (im2col_cpu_ext): the window of output 0 starts at -p*d
        y = _conv_node(g, x, w, b, in_hw, out_hw, size, cs, pad * dil, dil, groups)
    act = "linear" if _bin_output_linear(ctx) else k["activation"]
    y = activate(g, y, act)
    if aa:
        nxt = ctx.layer.next
        return Emitted(y, _blur(g, y, lay.output.c, out_hw, (nxt.h, nxt.w), aa, sx, sy))
    return Emitted(y)


def _broadcast_const(g: Graph, x: str, value: np.ndarray) -> str:
    """A constant (C, H, W) map repeated over the batch of ``x``."""
    return g.op("Expand", g.const(value[None], "k"), g.batch_shape(x, value.shape))


def _xnor(ctx, w, b, size, pad, stride, in_hw):
    """darknet's binary conv (gpu_index=-1, as the CLI): out = float(S) * m + b', S = sum of sign(x)
    (padding -1) * sign(w'), m = mean|w'| per filter (float32 as darknet's mean_arr, rounded once: the
    -Ofast build's vectorised sum can be an ulp off in some filters). With C % 32 != 0
    only 3x3/stride 1/pad 1 fills the input bits; any other geometry sees all -1 inputs, a constant
    (reference §12.2). Returns (input, +-1 weights, m, biases, pad, input size); input None for the
    constant case, whose biases are then the constant."""
    g = ctx.g
    n, c = w.shape[0], w.shape[1]
    m = np.abs(w.reshape(n, -1)).mean(axis=1, dtype=np.float64).astype(np.float32)
    sw = np.where(w > 0, np.float32(1), np.float32(-1))
    if c % 32 and not (size == 3 and stride == 1 and pad == 1):
        s = -sw.reshape(n, -1).sum(axis=1, dtype=np.float64).astype(np.float32)
        return None, w, None, s * m + b, pad, in_hw       # float32 products and sums, as darknet's
    # padded cells read as -1: pad the 0/2-valued (sign + 1) with zeros, then subtract 1 (a Pad with a
    # constant value input is an op OpenCV's importer rejects)
    pos = g.mul(g.op("Cast", g.op("Greater", ctx.x, g.const(0.0)), to=g.onnx_dtype), 2.0)
    padded = g.add(g.op("Pad", pos, g.ints([0, 0, pad, pad, 0, 0, pad, pad])) if pad else pos, -1.0)
    return padded, sw, m, b, 0, (in_hw[0] + 2 * pad, in_hw[1] + 2 * pad)


# ------------------------------------------------------------------------------------------------
# dense layers

def _flat(ctx: EmitCtx, x: str) -> str:
    return ctx.g.reshape(x, [-1])


@emitter("connected")
def connected(ctx: EmitCtx) -> Emitted:
    g, i = ctx.g, ctx.layer.index
    w = ctx.weights.tensor(i, "weights")                          # (out, in) float32: can be 200 M values
    b = ctx.weights.get(i, "biases").astype(np.float64)
    if ctx.conf["batch_normalize"]:
        # darknet: BN on W.x (unfused), then + biases; folded per output row
        scales = ctx.weights.get(i, "scales").astype(np.float64)
        mean = ctx.weights.get(i, "rolling_mean").astype(np.float64)
        var = ctx.weights.get(i, "rolling_variance").astype(np.float64)
        kf = scales / np.sqrt(var + EPS)
        w, b = w * kf.astype(np.float32)[:, None], b - kf * mean
    y = g.op("Gemm", _flat(ctx, ctx.x), g.const(w, "w"), g.const(b.astype(np.float32), "b"), transB=1)
    y = activate(g, y, ctx.conf["activation"])
    return Emitted(g.reshape(y, [ctx.layer.outputs, 1, 1]))


@emitter("local")
def local(ctx: EmitCtx) -> Emitted:
    """Locally connected: patches by a fixed one-hot depthwise conv, then one matmul per location."""
    g, lay, k = ctx.g, ctx.layer, ctx.conf
    c, n, size, s = lay.input.c, k["filters"], k["size"], k["stride"]
    oh, ow = lay.output.h, lay.output.w
    L = oh * ow
    pad = k["pad"]
    eye = np.zeros((c * size * size, 1, size, size), np.float32)
    for ci in range(c):
        for j in range(size * size):
            eye[ci * size * size + j, 0, j // size, j % size] = 1.0
    patches = _conv_node(g, ctx.x, eye, None, (lay.input.h, lay.input.w), (oh, ow), size, (s, s), pad, 1, c)
    K = c * size * size
    p = g.op("Transpose", g.reshape(patches, [K, L, 1]), perm=[0, 2, 1, 3])        # [N, L, K, 1]
    wt = ctx.weights.get(lay.index, "weights").reshape(L, n, K)
    y = g.op("MatMul", g.const(wt, "w"), p)                                          # [N, L, n, 1]
    y = g.op("Transpose", g.reshape(y, [L, n]), perm=[0, 2, 1])                       # [N, n, L]
    bias = ctx.weights.get(lay.index, "biases").reshape(n, oh, ow)
    y = g.op("Add", g.reshape(y, [n, oh, ow]), g.const(bias, "b"))
    return Emitted(activate(g, y, k["activation"]))


@emitter("batchnorm")
def batchnorm(ctx: EmitCtx) -> Emitted:
    g, i = ctx.g, ctx.layer.index
    scales = ctx.weights.get(i, "scales").astype(np.float64)
    mean = ctx.weights.get(i, "rolling_mean").astype(np.float64)
    var = ctx.weights.get(i, "rolling_variance").astype(np.float64)
    bias = ctx.weights.get(i, "biases").astype(np.float64)
    a = scales / np.sqrt(var + EPS)
    y = g.op("Mul", ctx.x, g.const(a.reshape(-1, 1, 1)))
    return Emitted(g.op("Add", y, g.const((bias - a * mean).reshape(-1, 1, 1))))


@emitter("implicit")
def implicit(ctx: EmitCtx) -> Emitted:
    """Learned constant: ``weights`` as (filters, atoms, 1), broadcast to the batch; input ignored."""
    g, k = ctx.g, ctx.conf
    w = ctx.weights.get(ctx.layer.index, "weights").reshape(1, k["filters"], k["atoms"], 1)
    return Emitted(g.op("Expand", g.const(w, "w"), g.batch_shape(ctx.x, [k["filters"], k["atoms"], 1])))


# ------------------------------------------------------------------------------------------------
# pooling and resampling

def _pool_geometry(k: dict):
    stride = k["stride"]
    sx = k["stride_x"] if k["stride_x"] is not None else stride
    sy = k["stride_y"] if k["stride_y"] is not None else stride
    size = k["size"] if k["size"] is not None else stride
    padding = k["padding"] if k["padding"] is not None else size - 1
    return size, sx, sy, padding


def _pool_node(ctx: EmitCtx, op: str, size: int, strides, padding: int, **extra) -> str:
    g, lay = ctx.g, ctx.layer
    h, w = lay.input.h, lay.input.w
    oh, ow = lay.output.h, lay.output.w
    b = padding // 2
    pe_h, pe_w = _end_pad(h, oh, size, strides[0], b), _end_pad(w, ow, size, strides[1], b)
    y = g.op(op, ctx.x, kernel_shape=[size, size], strides=list(strides),
             pads=[b, b, max(pe_h, 0), max(pe_w, 0)], **extra)
    if pe_h < 0:
        y = g.slice(y, 2, 0, oh)
    if pe_w < 0:
        y = g.slice(y, 3, 0, ow)
    return y


@emitter("maxpool")
def maxpool(ctx: EmitCtx) -> Emitted:
    g, lay, k = ctx.g, ctx.layer, ctx.conf
    if k["maxpool_depth"]:
        c, oc = lay.input.c, k["out_channels"]
        if c % oc:
            raise Unsupported(f"maxpool_depth with {c} channels not a multiple of out_channels={oc}")
        y = g.reshape(ctx.x, [c // oc, oc, lay.input.h * lay.input.w])
        return Emitted(g.reshape(g.reduce("ReduceMax", y, [1], keepdims=0), [oc, lay.output.h, lay.output.w]))
    size, sx, sy, padding = _pool_geometry(k)
    aa = k["antialiasing"]
    y = _pool_node(ctx, "MaxPool", size, (1, 1) if aa else (sy, sx), padding)
    if aa:
        nxt = lay.next
        return Emitted(y, _blur(g, y, lay.output.c, (lay.output.h, lay.output.w), (nxt.h, nxt.w), aa, sx, sy))
    return Emitted(y)


@emitter("local_avgpool")
def local_avgpool(ctx: EmitCtx) -> Emitted:
    size, sx, sy, padding = _pool_geometry(ctx.conf)
    # darknet divides by the in-range cells only: count_include_pad=0
    return Emitted(_pool_node(ctx, "AveragePool", size, (sy, sx), padding, count_include_pad=0))


@emitter("avgpool")
def avgpool(ctx: EmitCtx) -> Emitted:
    return Emitted(ctx.g.op("GlobalAveragePool", ctx.x))


def _resize_13(g: Graph, x: str, s: int) -> str:
    return g.op("Resize", x, "", g.f32([1.0, 1.0, float(s), float(s)], "scales"), mode="nearest",
                coordinate_transformation_mode="asymmetric", nearest_mode="floor")


def _resize_18(g: Graph, x: str, s: int) -> str:
    # opset 18: scales for the spatial axes only (``axes``), no batch/channel 1.0 entries
    return g.op("Resize", x, "", g.f32([float(s), float(s)], "scales"), axes=[2, 3], mode="nearest",
                coordinate_transformation_mode="asymmetric", nearest_mode="floor")


def _upsample(ctx: EmitCtx, resize) -> Emitted:
    """out = scale * in[y / s, x / s] (nearest, floor); a negative stride sums t x t blocks (§12.5)."""
    g, lay, k = ctx.g, ctx.layer, ctx.conf
    s, scale = k["stride"], k["scale"]
    if s > 0:
        y = resize(g, ctx.x, s)
    else:
        t = -s
        if lay.input.h % t or lay.input.w % t:
            raise Unsupported(f"[upsample] stride={s} does not divide the {lay.input.w}x{lay.input.h} input: "
                              "darknet reads the buffer scrambled (reference §12.5)")
        # a sum over t x t blocks, not a mean
        y = g.mul(g.op("AveragePool", ctx.x, kernel_shape=[t, t], strides=[t, t]), float(t * t))
    return Emitted(g.mul(y, scale) if scale != 1 else y)


@emitter("upsample", since=13)
def upsample_13(ctx: EmitCtx) -> Emitted:
    return _upsample(ctx, _resize_13)


@emitter("upsample", since=18)
def upsample_18(ctx: EmitCtx) -> Emitted:
    return _upsample(ctx, _resize_18)


@emitter("reorg3d")
def reorg3d(ctx: EmitCtx) -> Emitted:
    g, lay, s = ctx.g, ctx.layer, ctx.conf["stride"]
    if not ctx.conf["reverse"]:
        return Emitted(g.op("SpaceToDepth", ctx.x, blocksize=s))
    c, h, w = lay.input.c, lay.input.h, lay.input.w
    if c % (s ** 4):
        raise Unsupported(f"[reorg3d] reverse=1 needs channels divisible by stride^4 ({c} by {s ** 4})")
    y = g.reshape(ctx.x, [c // (s * s), h * s, w * s])
    y = g.op("DepthToSpace", y, blocksize=s, mode="DCR")
    return Emitted(g.reshape(y, list(dims(lay))))


@emitter("reorg")
def reorg(ctx: EmitCtx) -> Emitted:
    """Old reorg: the input buffer viewed as (C/s^2, H*s, W*s), space-to-depth (reference §12.5)."""
    g, lay, s = ctx.g, ctx.layer, ctx.conf["stride"]
    if ctx.conf["reverse"]:
        return Emitted(g.op("DepthToSpace", ctx.x, blocksize=s, mode="DCR"))
    c, h, w = lay.input.c, lay.input.h, lay.input.w
    if c % (s * s):
        raise Unsupported(f"[reorg] needs channels divisible by stride^2 ({c} by {s * s})")
    y = g.reshape(ctx.x, [c // (s * s), h * s, w * s])
    y = g.op("SpaceToDepth", y, blocksize=s)
    return Emitted(g.reshape(y, list(dims(lay))))


# ------------------------------------------------------------------------------------------------
# wiring

@emitter("route")
def route(ctx: EmitCtx) -> Emitted:
    g, lay = ctx.g, ctx.layer
    G, gid = ctx.conf["groups"], ctx.conf["group_id"]
    srcs = [ctx.layers[r] for r in lay.refs]
    parts = []
    spatial = all(s.output.w == lay.output.w and s.output.h == lay.output.h and s.output.c % G == 0
                  and dims(s) == (s.output.c, s.output.h, s.output.w) for s in srcs) and lay.output.c
    for s in srcs:
        t = ctx.ref(s.index)
        if spatial:
            c = s.output.c // G
            parts.append(t if G == 1 else g.slice(t, 1, gid * c, (gid + 1) * c))
        else:
            part = s.outputs // G
            f = g.reshape(t, [-1])
            parts.append(f if G == 1 else g.slice(f, 1, gid * part, (gid + 1) * part))
    y = parts[0] if len(parts) == 1 else g.op("Concat", *parts, axis=1)
    if not spatial:
        y = g.reshape(y, list(dims(lay)))
    return Emitted(y)


def _normalised_weights(raw: np.ndarray, mode: str) -> np.ndarray:
    """``fuse_conv_batchnorm``'s weighted-shortcut normalisation over the sources (axis 0)."""
    if mode == "relu":
        r = np.maximum(raw, 0.001)
        return r / (1e-4 + r.sum(axis=0, keepdims=True))
    if mode == "softmax":
        e = np.exp(raw - raw.max(axis=0, keepdims=True))
        return e / (1e-4 + e.sum(axis=0, keepdims=True))
    return raw


@emitter("shortcut")
def shortcut(ctx: EmitCtx) -> Emitted:
    g, lay, k = ctx.g, ctx.layer, ctx.conf
    c = lay.output.c
    n = len(lay.refs)
    wt = k["weights_type"]
    wts = None
    if wt != "none":
        raw = ctx.weights.get(lay.index, "weights").astype(np.float64)
        raw = raw.reshape(n + 1, 1) if wt in ("per_feature", "per_layer") else raw.reshape(n + 1, c)
        wts = _normalised_weights(raw, k["weights_normalization"])
    y = ctx.x
    if wts is not None:
        y = g.op("Mul", y, g.const(wts[0].reshape(-1, 1, 1)))
    for j, r in enumerate(lay.refs):
        src = ctx.layers[r]
        t = ctx.ref(r)
        sc = src.output.c
        if sc > c:          # a larger source adds its first C channels
            t = g.slice(t, 1, 0, c)
        if wts is not None:
            t = g.op("Mul", t, g.const(wts[j + 1].reshape(-1, 1, 1) if wts.shape[1] == 1 else
                                       wts[j + 1][:min(sc, c)].reshape(-1, 1, 1)))
        if sc < c:          # a smaller one adds to the first sc channels; the rest passes unchanged
            t = g.op("Pad", t, g.ints([0, 0, 0, 0, 0, c - sc, 0, 0]))
        y = g.op("Add", y, t)
    return Emitted(activate(g, y, k["activation"]))


def _from_index(lay) -> int:
    return lay.refs[0]


@emitter("scale_channels")
def scale_channels(ctx: EmitCtx) -> Emitted:
    # prev is (C,1,1) or, with scale_wh, (1,H,W): both broadcast over from's (C,H,W)
    y = ctx.g.op("Mul", ctx.x, ctx.ref(_from_index(ctx.layer)))
    return Emitted(activate(ctx.g, y, ctx.conf["activation"]))


@emitter("sam")
def sam(ctx: EmitCtx) -> Emitted:
    y = ctx.g.op("Mul", ctx.x, ctx.ref(_from_index(ctx.layer)))
    return Emitted(activate(ctx.g, y, ctx.conf["activation"]))


def _identity(ctx: EmitCtx) -> Emitted:
    return Emitted(ctx.g.op("Identity", ctx.x))


for _t in ("dropout", "empty"):
    emitter(_t)(_identity)


def _zeros(ctx: EmitCtx) -> Emitted:
    """[cost] and [contrastive] leave their buffer zero outside training."""
    g = ctx.g
    return Emitted(g.op("ConstantOfShape", g.batch_shape(ctx.x, dims(ctx.layer)), value=_zero_tensor(g)))


def _zero_tensor(g):
    from onnx import helper
    return helper.make_tensor("zero", g.onnx_dtype, [1], [0])


for _t in ("cost", "contrastive"):
    emitter(_t)(_zeros)


@emitter("activation")
def activation(ctx: EmitCtx) -> Emitted:
    return Emitted(activate(ctx.g, ctx.x, ctx.conf["activation"]))


@emitter("crop")
def crop(ctx: EmitCtx) -> Emitted:
    g, lay, k = ctx.g, ctx.layer, ctx.conf
    dh = (lay.input.h - k["crop_height"]) // 2
    dw = (lay.input.w - k["crop_width"]) // 2
    y = g.op("Slice", ctx.x, g.ints([dh, dw]), g.ints([dh + k["crop_height"], dw + k["crop_width"]]),
             g.ints([2, 3]))
    return Emitted(y if k["noadjust"] else g.add(g.mul(y, 2.0), -1.0))


@emitter("normalization")
def normalization(ctx: EmitCtx) -> Emitted:
    """Darknet's LRN (reference §12.6): alpha not divided by size, and minus alpha*in[size/2]^2 at every k."""
    g, lay, k = ctx.g, ctx.layer, ctx.conf
    size, alpha, beta, kappa = k["size"], k["alpha"], k["beta"], k["kappa"]
    c, h, w = lay.input.c, lay.input.h, lay.input.w
    a, b = (size - 1) // 2, size // 2
    sq = g.op("Mul", ctx.x, ctx.x)
    col = g.reshape(sq, [1, c, h * w])
    win = g.op("Conv", col, g.const(np.ones((1, 1, size, 1))), kernel_shape=[size, 1], pads=[a, 0, b, 0])
    s = g.op("Sub", g.reshape(win, [c, h, w]), g.slice(sq, 1, b, b + 1))
    scale = g.op("Pow", g.add(g.mul(s, alpha), kappa), g.const(-beta))
    return Emitted(g.op("Mul", ctx.x, scale))


@emitter("softmax")
def softmax(ctx: EmitCtx) -> Emitted:
    g, lay, k = ctx.g, ctx.layer, ctx.conf
    if k["tree"]:
        raise Unsupported("[softmax] tree= (hierarchical softmax over a .tree file) is not exported")
    groups, t = k["groups"], k["temperature"]
    y = g.reshape(ctx.x, [groups, lay.outputs // groups])
    if t != 1:
        y = g.mul(y, 1.0 / t)
    y = g.op("Softmax", y, axis=-1)
    return Emitted(g.reshape(y, [lay.outputs, 1, 1]))


# ------------------------------------------------------------------------------------------------
# heads: the layer output as darknet's CPU forward leaves it (reference §12.7)

def _channel_affine(g: Graph, x: str, logistic: np.ndarray, scale: np.ndarray, shift: np.ndarray) -> str:
    """Per-channel: y = m*sigmoid(x) + (1-m)*x, then y*scale + shift (m, scale, shift are [C] vectors).

    Mul/Add with 0/1 masks instead of Where or 5-D reshapes: exact (one term is 0), and every ONNX
    consumer (OpenCV, TensorRT) accepts it."""
    y = x
    if logistic.any():
        m = logistic.astype(np.float64).reshape(-1, 1, 1)
        y = g.op("Add", g.op("Mul", g.op("Sigmoid", x), g.const(m)), g.op("Mul", x, g.const(1.0 - m)))
    if (scale != 1).any():
        y = g.op("Add", g.op("Mul", y, g.const(scale.reshape(-1, 1, 1))), g.const(shift.reshape(-1, 1, 1)))
    return y


def yolo_masks(conf: dict, per: int, logistic_e: Callable[[int], bool], xy: tuple[int, ...], n: int):
    s = conf["scale_x_y"]
    C = n * per
    log, scale, shift = np.zeros(C, bool), np.ones(C), np.zeros(C)
    for a in range(n):
        for e in range(per):
            ch = a * per + e
            log[ch] = logistic_e(e)
            if e in xy:
                scale[ch], shift[ch] = s, -0.5 * (s - 1)
    return log, scale, shift


@emitter("yolo")
def yolo(ctx: EmitCtx) -> Emitted:
    k = ctx.conf
    per = 5 + k["classes"]
    n = ctx.layer.output.c // per
    newc = bool(k["new_coords"])
    log, scale, shift = yolo_masks(k, per, lambda e: not newc and e not in (2, 3), (0, 1), n)
    return Emitted(_channel_affine(ctx.g, ctx.x, log, scale, shift))


@emitter("gaussian_yolo")
def gaussian_yolo(ctx: EmitCtx) -> Emitted:
    k = ctx.conf
    per = 9 + k["classes"]
    n = ctx.layer.output.c // per
    log, scale, shift = yolo_masks(k, per, lambda e: e not in (4, 6), (0, 2), n)
    return Emitted(_channel_affine(ctx.g, ctx.x, log, scale, shift))


@emitter("region")
def region(ctx: EmitCtx) -> Emitted:
    g, lay, k = ctx.g, ctx.layer, ctx.conf
    if k["tree"]:
        raise Unsupported("[region] tree= (YOLO9000's hierarchical softmax over a .tree file) is not exported")
    num, classes, coords = k["num"], k["classes"], k["coords"]
    E = coords + classes + 1
    hw = lay.input.h * lay.input.w
    y = g.op("Transpose", g.reshape(ctx.x, [num, E, hw]), perm=[0, 3, 1, 2])      # [N, HW, num, E]
    # entries 4 (objectness) and 5.. (classes) are hard-coded in darknet, whatever coords is
    head = g.slice(y, 3, 0, 4)
    obj = g.op("Sigmoid", g.slice(y, 3, 4, 5))
    parts = [head, obj]
    cls = g.slice(y, 3, 5, 5 + classes)
    parts.append(g.op("Softmax", cls, axis=-1) if k["softmax"] else cls)
    if E > 5 + classes:
        parts.append(g.slice(y, 3, 5 + classes, E))
    return Emitted(g.op("Concat", *parts, axis=3))


@emitter("detection")
def detection(ctx: EmitCtx) -> Emitted:
    g, lay, k = ctx.g, ctx.layer, ctx.conf
    y = _flat(ctx, ctx.x)
    if k["softmax"]:
        cells, classes = k["side"] ** 2, k["classes"]
        cls = g.op("Softmax", g.reshape(g.slice(y, 1, 0, cells * classes), [cells, classes]), axis=-1)
        y = g.op("Concat", g.reshape(cls, [-1]), g.slice(y, 1, cells * classes, lay.outputs), axis=1)
    return Emitted(g.reshape(y, [lay.outputs, 1, 1]))


HEAD_TYPES = ("yolo", "gaussian_yolo", "region", "detection")
UNSUPPORTED_WHY = {
    "rnn": "recurrent layers are not exported", "gru": "recurrent layers are not exported",
    "lstm": "recurrent layers are not exported", "crnn": "recurrent layers are not exported",
    "conv_lstm": "recurrent layers are not exported", "history": "[history] is not exported",
    "blank": "darknet does not know this section",
}
