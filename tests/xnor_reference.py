"""A numpy re-implementation of darknet's CPU forward pass (reference §12) for xnor networks.

Independent of cfggen's exporter: shapes and options come from cfggen's shape engine, weights are read
from the .weights file here, and every layer is computed as darknet's C code computes it, in float32:

* float convolution: ``gemm_nn`` (AVX=0 build) accumulates ``C += A[i,k] * B[k,j]`` over k in order,
  from 0, each product and sum rounded to float32 (no FMA); then ``add_bias``, then the activation.
  The 1x1/stride 1 conv reads the input as the im2col matrix; others use ``im2col`` with zero padding.
* BN folding (``fuse_conv_batchnorm``): ``w' = float(w * (double)scale / sqrt((double)var + 1e-5))``,
  ``b' = float(b - (double)scale * mean / sqrt(var + 1e-5))``.
* xnor (``binary_align_weights``, ``gemm_nn_custom_bin_mean_transposed``, CLI's gpu_index -1):
  ``m_f`` = float32 mean of |w'| (``binarize_weights``), an input bit is ``in > 0``, padding is bit 0;
  ``S = 2*count - K`` is an exact integer, the output is ``float(S) * m_f`` (float32), then ``+ b'``
  (``add_bias``), then the activation (``linear`` when bin_output applies). C % 32 != 0 outside
  3x3/stride 1/pad 1 reads no input bits (all -1): a per-filter constant.
* maxpool (-FLT_MAX padding, offset -pad/2), route (concat, groups), shortcut (plain sum), upsample
  (nearest, times scale), global avgpool, softmax, yolo (logistic on x, y, objectness, classes).

Checked against the forward goldens (same weights and input): every sample and sum of every layer of
yolov3-tiny_xnor and tiny-yolo_xnor (up to [region]) and of darknet53_448_xnor's layers 0-75 is
reproduced bit for bit; only what follows reduces or exponentiates in vectorised code (the [yolo]
logistic, avgpool, softmax) is an ulp off. ``forward`` returns every layer's output (C, H, W float32);
``layer_diffs`` compares another runtime's outputs with it, sign flips at xnor inputs included.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

F32 = np.float32
SUPPORTED = ("convolutional", "maxpool", "route", "shortcut", "upsample", "yolo", "avgpool", "softmax",
             "dropout")


class Unsupported(Exception):
    pass


def read_conv_weights(path, network):
    """{layer index: (biases, scales|None, mean|None, var|None, weights)} read in darknet's file order."""
    raw = open(path, "rb").read()
    major, minor = np.frombuffer(raw[:8], "<i4")
    pos = 12 + (8 if major * 10 + minor >= 2 else 4)
    data = np.frombuffer(raw[pos:], "<f4")
    out, at = {}, 0
    for lay in network.layers:
        if lay.type == "convolutional":
            k = lay.conf
            n, c = k["filters"], lay.input.c // (1 if k["xnor"] else max(1, k["groups"]))
            take = []
            for count in (n,) + ((n, n, n) if k["batch_normalize"] else ()) + (n * c * k["size"] ** 2,):
                take.append(data[at:at + count])
                at += count
            b, w = take[0], take[-1].reshape(n, c, k["size"], k["size"])
            bn = take[1:4] if k["batch_normalize"] else (None, None, None)
            out[lay.index] = (b, *bn, w)
        elif sum(r.count for r in lay.records if not r.sub):
            raise Unsupported(f"layer {lay.index} {lay.type}: weights not in this reference")
    if at != data.size:
        raise ValueError(f"weights file has {data.size} floats, the network reads {at}")
    return out


def fuse(b, scales, mean, var, w):
    if scales is None:
        return w.astype(F32), b.astype(F32)
    d = scales.astype(np.float64) / np.sqrt(var.astype(np.float64) + .00001)
    wf = (w.astype(np.float64) * d[:, None, None, None]).astype(F32)
    bf = (b.astype(np.float64) - scales.astype(np.float64) * mean.astype(np.float64)
          / np.sqrt(var.astype(np.float64) + .00001)).astype(F32)
    return wf, bf


def im2col(x, k, stride_y, stride_x, pad, oh, ow, fill=0.0, dil=1):
    """(C*k*k, oh*ow) columns, rows ordered (c, ky, kx) like darknet's im2col."""
    c, h, w = x.shape
    big = max(0, (oh - 1) * stride_y + (k - 1) * dil + 1 - h - pad, (ow - 1) * stride_x + (k - 1) * dil + 1 - w - pad)
    xp = np.full((c, h + pad + big, w + pad + big), fill, x.dtype)
    xp[:, pad:pad + h, pad:pad + w] = x
    cols = np.empty((c, k, k, oh, ow), x.dtype)
    for ky in range(k):
        for kx in range(k):
            y0, x0 = ky * dil, kx * dil
            cols[:, ky, kx] = xp[:, y0:y0 + (oh - 1) * stride_y + 1:stride_y, x0:x0 + (ow - 1) * stride_x + 1:stride_x]
    return cols.reshape(c * k * k, oh * ow)


def gemm_sequential(a, b):
    """C = A @ B with darknet's gemm_nn rounding: float32, summed over k in order, starting at 0."""
    acc = np.zeros((a.shape[0], b.shape[1]), F32)
    step = max(1, (1 << 16) // max(1, a.shape[0]))        # column blocks that stay in the cache
    for j in range(0, b.shape[1], step):
        block, bb = acc[:, j:j + step], b[:, j:j + step]
        term = np.empty_like(block)
        for k in range(a.shape[1]):
            np.multiply(a[:, k:k + 1], bb[k:k + 1], out=term)
            block += term
    return acc


def activate(x, act):
    if act == "linear":
        return x
    if act == "leaky":      # activate_array_cpu_custom: ``.1*x`` (a double product, stored as float)
        out = x.astype(F32, copy=True)
        neg = ~(x > 0)
        out[neg] = (0.1 * x[neg].astype(np.float64)).astype(F32)
        return out
    if act == "relu":
        return np.where(x > 0, x, F32(0)).astype(F32)
    if act == "logistic":
        return (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(F32)
    raise Unsupported(f"activation {act}")


def bin_output_consumers(network) -> set:
    """Layers whose bin_output darknet's parser clears: listed by a [route], or a [shortcut]/
    [scale_channels]/[sam]'s previous layer and first ``from``."""
    out = set()
    for lay in network.layers:
        if lay.type == "route":
            out.update(lay.refs)
        elif lay.type in ("shortcut", "scale_channels", "sam"):
            out.add(lay.index - 1)
            if lay.refs:
                out.add(lay.refs[0])
    return out


def xnor_mean(w):
    """binarize_weights' per-filter mean of |w|, as the -Ofast build computes it: the float sum is
    vectorised over 4 SSE lanes (lane j sums elements j, j+4, ...), the lanes are added as
    (l0 + l2) + (l1 + l3), the K % 4 tail is added one by one, and ``mean / size`` becomes a
    multiplication by the reciprocal (-freciprocal-math). Bit-exact against the xnor forward goldens;
    a plain sequential sum or a float64 mean differ from darknet by an ulp in most filters."""
    n = w.shape[0]
    v = np.abs(w.reshape(n, -1)).astype(F32)
    K = v.shape[1]
    full = K - K % 4
    lanes = v[:, :full].reshape(n, -1, 4)
    acc = np.zeros((n, 4), F32)
    for i in range(lanes.shape[1]):
        acc += lanes[:, i]
    t = (acc[:, 0] + acc[:, 2]) + (acc[:, 1] + acc[:, 3])
    for i in range(full, K):
        t = t + v[:, i]
    return (t * (F32(1) / F32(K))).astype(F32)


def conv_layer(lay, x, wts, linear):
    k = lay.conf
    size = k["size"]
    sx = k["stride_x"] if k["stride_x"] >= 1 else k["stride"]
    sy = k["stride_y"] if k["stride_y"] >= 1 else k["stride"]
    pad = size // 2 if k["pad"] else k["padding"]
    dil = max(1, k["dilation"]) if size > 1 else 1
    oc, oh, ow = lay.output.c, lay.output.h, lay.output.w
    w, b = fuse(*wts)
    n = w.shape[0]
    act = "linear" if linear else k["activation"]
    if k["antialiasing"] or k["share_index"] != -1000000000 or k["groups"] > 1 and not k["xnor"]:
        raise Unsupported(f"layer {lay.index}: conv options outside this reference")
    if k["xnor"] and sx == sy:
        m = xnor_mean(w)
        sw = np.where(w > 0, F32(1), F32(-1)).reshape(n, -1)
        c = x.shape[0]
        if c % 32 and not (size == 3 and sx == 1 and pad == 1):
            s = np.broadcast_to(-sw.sum(axis=1)[:, None], (n, oh * ow))
        else:
            # +-1 products summed in float32 are exact whatever the order (|S| <= K < 2**24)
            cols = im2col(np.where(x > 0, F32(1), F32(-1)), size, sx, sx, pad, oh, ow, fill=-1.0)
            s = sw @ cols
        out = s.astype(F32) * m[:, None]
    else:
        if size == 1 and sx == 1 and sy == 1:
            cols = x.reshape(x.shape[0], -1)
        else:
            cols = im2col(x, size, sy, sx, pad * dil, oh, ow, dil=dil)
        out = gemm_sequential(w.reshape(n, -1), cols)
    out = (out + b[:, None]).astype(F32)
    return activate(out, act).reshape(oc, oh, ow)


def maxpool_layer(lay, x):
    k = lay.conf
    stride = k["stride"]
    sx = k["stride_x"] if k["stride_x"] is not None else stride
    sy = k["stride_y"] if k["stride_y"] is not None else stride
    size = k["size"] if k["size"] is not None else stride
    padding = k["padding"] if k["padding"] is not None else size - 1
    if k["maxpool_depth"] or k["antialiasing"]:
        raise Unsupported(f"layer {lay.index}: maxpool options outside this reference")
    oh, ow = lay.output.h, lay.output.w
    off = padding // 2
    c, h, w = x.shape
    lo = np.finfo(F32).min
    H, W = (oh - 1) * sy + size, (ow - 1) * sx + size
    xp = np.full((c, max(H, off + h), max(W, off + w)), lo, F32)
    xp[:, off:off + h, off:off + w] = x
    out = np.full((c, oh, ow), lo, F32)
    for ky in range(size):
        for kx in range(size):
            out = np.maximum(out, xp[:, ky:ky + (oh - 1) * sy + 1:sy, kx:kx + (ow - 1) * sx + 1:sx])
    return out


def yolo_layer(lay, x):
    k = lay.conf
    if k["new_coords"]:
        raise Unsupported("yolo new_coords")
    classes = k["classes"]
    nmask = len(str(k["mask"]).split(",")) if k["mask"] else k["num"]
    out = x.copy()
    per = 4 + 1 + classes
    for a in range(nmask):
        base = a * per
        for ch in [0, 1] + list(range(4, per)):
            out[base + ch] = activate(x[base + ch], "logistic")
        s = F32(k["scale_x_y"])
        if s != 1:
            for ch in (0, 1):
                out[base + ch] = out[base + ch] * s - F32(0.5) * (s - F32(1))
    return out


def forward(cfg, weights, size=None, x=None, stop=None):
    """Every layer's output (list of float32 arrays, CHW) for input ``x`` (C, H, W float32)."""
    from cfggen.export.build import load

    native, network = load(str(cfg), size)
    wts = read_conv_weights(weights, native)
    outs = []
    cur = x.astype(F32)
    for lay in network.layers[:stop]:
        y = step(network, lay, cur, outs, wts)
        outs.append(y)
        cur = y
    return network, outs


def step(network, lay, cur, outs, wts):
    """One layer: ``cur`` is what it reads (the previous output or the input), ``outs`` the earlier
    layers' outputs (for route/shortcut), ``wts`` from ``read_conv_weights``."""
    t, k = lay.type, lay.conf
    if t == "convolutional":
        bin_linear = bool(k["xnor"] and k["bin_output"] and lay.index not in bin_output_consumers(network))
        y = conv_layer(lay, cur, wts[lay.index], bin_linear)
    elif t == "maxpool":
        y = maxpool_layer(lay, cur)
    elif t == "route":
        G, gid = k["groups"], k["group_id"]
        parts = [outs[r] for r in lay.refs]
        y = np.concatenate([p[gid * (p.shape[0] // G):(gid + 1) * (p.shape[0] // G)] for p in parts])
    elif t == "shortcut":
        src = outs[lay.refs[0]]
        if src.shape != cur.shape or len(lay.refs) != 1:
            raise Unsupported(f"layer {lay.index}: shortcut shapes outside this reference")
        y = activate((cur + src).astype(F32), k["activation"])
    elif t == "upsample":
        s = k["stride"]
        y = cur.repeat(s, axis=1).repeat(s, axis=2) * F32(k["scale"])
    elif t == "yolo":
        y = yolo_layer(lay, cur)
    elif t == "avgpool":
        y = (np.add.accumulate(cur.reshape(cur.shape[0], -1), axis=1, dtype=F32)[:, -1]
             / F32(cur.shape[1] * cur.shape[2])).reshape(-1, 1, 1).astype(F32)
    elif t == "softmax":
        v = cur.reshape(-1).astype(np.float64)
        e = np.exp(v - v.max())
        y = (e / e.sum()).astype(F32).reshape(-1, 1, 1)
    elif t == "dropout":
        y = cur
    else:
        raise Unsupported(f"layer {lay.index} {t}")
    return np.ascontiguousarray(y, dtype=F32)


def xnor_spp_cfg(text: str, width: int, height: int, classes: int = 6, layers: int | None = None,
                 slim: bool = False) -> str:
    """The published xnor yolov3-spp pattern rebuilt from the corpus ``yolov3-spp.cfg``: ``xnor=1`` and
    ``bin_output=1`` on every inner convolution (69 of 76: not the first one, not the three head convs
    (filters = 3*(5+classes), linear) and not the 3x3 convs that feed them), ``classes``, WxH;
    ``layers``: keep only the first that many layers; ``slim``: halve every ``filters`` >= 64 (a quarter
    of the weights; every channel count stays a multiple of 32, so the same xnor paths run)."""
    import re

    sections = re.split(r"(?m)^(?=\[)", text)
    convs = [i for i, s in enumerate(sections) if s.startswith("[convolutional]")]
    heads = {i for i in convs if re.search(r"(?m)^filters\s*=\s*255\s*$", sections[i])}
    feeders = {convs[convs.index(h) - 1] for h in heads}
    out = []
    for i, s in enumerate(sections):
        if s.startswith("[net]"):
            s = re.sub(r"(?m)^width\s*=.*$", f"width={width}", s)
            s = re.sub(r"(?m)^height\s*=.*$", f"height={height}", s)
        elif i in heads:
            s = re.sub(r"(?m)^filters\s*=\s*255\s*$", f"filters={3 * (5 + classes)}", s)
        elif s.startswith("[yolo]"):
            s = re.sub(r"(?m)^classes\s*=.*$", f"classes={classes}", s)
        elif i in convs and i != convs[0] and i not in feeders:
            s = s.replace("[convolutional]\n", "[convolutional]\nxnor=1\nbin_output=1\n", 1)
        if slim and i in convs:
            s = re.sub(r"(?m)^filters\s*=\s*(\d+)\s*$",
                       lambda m: f"filters={int(m[1]) // 2 if int(m[1]) >= 64 else m[1]}", s)
        out.append(s)
    if layers is not None:
        out = out[:out.index(next(s for s in out if s.startswith("[net]"))) + 1 + layers]
    return "".join(out)


def recipe_weights(network, path, tools) -> None:
    """Write ``fwd_weights.py``'s deterministic weights (the forward goldens' recipe; ``tools`` is its
    folder) for a cfg that has no shape golden: the recipe reads each layer's index, type and
    parameter counts."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(tools))
    try:
        import fwd_weights
    finally:
        sys.path.remove(str(tools))
    layers = []
    for lay in network.layers:
        p = lay.params
        floats = sum(r.count for r in lay.records if not r.sub)
        layers.append({"index": lay.index, "type": lay.type,
                       "params": {"weights_file_floats": floats, "biases": p.biases, "weights": p.weights,
                                  "bn_scales": p.bn_scales}})
    golden = {"layers": layers, "totals": {"weights_file_floats": network.totals.weights_file_floats}}
    Path(path).write_bytes(fwd_weights.weights_bytes(golden))


def recipe_input(network) -> np.ndarray:
    """The forward goldens' input recipe at the network's size: (C, H, W) float32."""
    c, h, w = network.channels, network.height, network.width
    return np.random.default_rng([20261128, 999999]).random(c * h * w, dtype=F32).reshape(c, h, w)


def xnor_spp(folder, corpus_cfg, size: int, tools, **kw):
    """The xnor yolov3-spp pattern at size x size (``xnor_spp_cfg(**kw)`` of the corpus file ``corpus_cfg``)
    written into ``folder`` with ``recipe_weights``: (cfg, weights, network, native, input)."""
    from pathlib import Path

    from cfggen.export.build import load

    cfg = Path(folder) / f"xnor-spp-{size}.cfg"
    cfg.write_text(xnor_spp_cfg(Path(corpus_cfg).read_text(), size, size, **kw))
    native, network = load(str(cfg), None)
    weights = Path(folder) / "xnor-spp.weights"
    recipe_weights(native, weights, tools)
    return cfg, weights, network, native, recipe_input(network)


def run_export(cfg, weights, x, optimise: bool = False) -> list:
    """The other side: every layer's output from cfggen's exported model, batch axis dropped; onnxruntime
    with its graph optimisations off (as in the forward-golden tests) or, ``optimise``, at its default (all)."""
    import onnxruntime as ort

    from cfggen.export import to_onnx

    opts = ort.SessionOptions()
    opts.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimise
                                     else ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    sess = ort.InferenceSession(to_onnx(cfg, weights, debug_layers="all").SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])
    res = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, {"input": x[None]})))
    return [res[f"layer_{i}"][0] for i in range(len(res) - sum(not k.startswith("layer_") for k in res))]


class LayerDiff(NamedTuple):
    index: int
    type: str
    xnor: bool
    scale: float            # M = max |reference output|
    max_rel: float          # max |export - reference| / M
    beyond: int             # elements with |export - reference| > 1e-3*M + 1e-5 (the goldens' tolerance)
    flips: int              # xnor layers: input elements whose bit (in > 0) differs
    near_zero_flips: int    # ... of which the input value itself agrees to 1e-5 of its layer's range
    flip_max_rel: float     # largest |reference input| / M_input among the near-zero flips (0: none)


def layer_diffs(network, ref, out, x) -> list[LayerDiff]:
    """Per layer, the export's output ``out[i]`` against the reference ``ref[i]``; for an xnor layer
    also the sign flips of its input: a flip whose input value agrees between the two (within
    1e-5 of the input layer's range) comes from rounding at zero; any other is carried from upstream."""
    rows = []
    for lay in network.layers:
        i = lay.index
        a, r = out[i].reshape(-1).astype(np.float64), ref[i].reshape(-1).astype(np.float64)
        M = float(np.abs(r).max()) or 1.0
        d = np.abs(a - r)
        flips = near = 0
        fmax = 0.0
        if lay.type == "convolutional" and lay.conf["xnor"]:
            ri = (ref[i - 1] if i else x).reshape(-1).astype(np.float64)
            ai = (out[i - 1] if i else x).reshape(-1).astype(np.float64)
            Mi = float(np.abs(ri).max()) or 1.0
            flipped = (ri > 0) != (ai > 0)
            close = np.abs(ai - ri) <= 1e-5 * Mi
            flips, near = int(flipped.sum()), int((flipped & close).sum())
            if near:
                fmax = float(np.abs(ri[flipped & close]).max() / Mi)
        rows.append(LayerDiff(i, lay.type, bool(lay.conf.get("xnor")), M, float(d.max() / M),
                              int((d > 1e-3 * M + 1e-5).sum()), flips, near, fmax))
    return rows
