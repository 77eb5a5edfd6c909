"""``--outputs boxes|boxes-noobj`` and ``--nms``: darknet's box decoding (reference §5, §12.7) in the graph.

Each head's layer output (as darknet's forward leaves it) is decoded the way ``get_yolo_box``,
``get_region_box`` and YOLOv1's ``get_detection_boxes`` do, in input pixels (``relative=1`` times the
network size; no letterbox correction: the input is what ``network_predict`` reads). Boxes are listed
per head in darknet's order (cell, then anchor), heads in layer order.

* ``boxes``: ``[N, boxes, 5 + C]`` = cx, cy, w, h, objectness, class scores (Gaussian_yolo's scores
  already carry the ``1 - mean(sigma)`` factor).
* ``boxes-noobj``: ``[N, 4 + C, boxes]``, scores = objectness x class score.
* nms ``(iou, score, maxdet)``: ONNX NonMaxSuppression per class on the noobj scores (darknet's
  ``do_nms_sort`` is per class too), then the ``maxdet`` best: ``[1, K, 6]`` = x1, y1, x2, y2, score,
  class (batch 1 only: a per-image K has no static layout).
"""
from __future__ import annotations

import numpy as np
from onnx import TensorProto

from cfggen.export import ExportError
from cfggen.export.emitters import HEAD_TYPES
from cfggen.export.graph import Graph
from cfggen.ir.cnum import float_list, int_list


def _anchor_pairs(conf: dict) -> list[tuple[float, float]]:
    v = float_list(conf["anchors"]) if conf.get("anchors") else []
    return [(v[2 * i], v[2 * i + 1]) for i in range(len(v) // 2)]


def _grid(h: int, w: int, a: int) -> np.ndarray:
    """(col j, row i) per box, cell-major then anchor: darknet's get_*_detections order."""
    jj, ii = np.meshgrid(np.arange(w), np.arange(h))
    cells = np.stack([jj.ravel(), ii.ravel()], axis=1).astype(np.float64)
    return np.repeat(cells, a, axis=0)


def _boxes_last(g: Graph, t: str, a: int, e: int, hw: int) -> str:
    """[N, a*e, H, W] -> [N, H*W*a, e]."""
    y = g.op("Transpose", g.reshape(t, [a, e, hw]), perm=[0, 3, 1, 2])
    return g.reshape(y, [hw * a, e])


def _sl(g: Graph, x: str, start: int, end: int) -> str:
    return g.slice(x, 2, start, end)


def _yolo(g: Graph, layer, t: str, net_wh) -> tuple[str, str, str]:
    k = layer.conf
    gauss = layer.type == "gaussian_yolo"
    per = (9 if gauss else 5) + k["classes"]
    h, w = layer.output.h, layer.output.w
    a = layer.output.c // per
    mask = int_list(k["mask"], stop_at_hash=True) if k.get("mask") else tuple(range(a))
    anchors = _anchor_pairs(k)
    wh = np.array([anchors[m] for m in mask] * (h * w), np.float64)           # cell-major, anchor inner
    stride = np.array([net_wh[0] / w, net_wh[1] / h])
    y = _boxes_last(g, t, a, per, h * w)
    if gauss:
        if k.get("yolo_point", "center") != "center":
            raise ExportError(f"layer {layer.index} [Gaussian_yolo]: boxes for yolo_point={k['yolo_point']} "
                              "are not decoded; export --outputs raw")
        txy = g.op("Concat", _sl(g, y, 0, 1), _sl(g, y, 2, 3), axis=2)
        twh = g.op("Concat", _sl(g, y, 4, 5), _sl(g, y, 6, 7), axis=2)
        sig = g.op("Concat", _sl(g, y, 1, 2), _sl(g, y, 3, 4), _sl(g, y, 5, 6), _sl(g, y, 7, 8), axis=2)
        obj = _sl(g, y, 8, 9)
        unc = g.add(g.mul(g.reduce("ReduceMean", sig, [2]), -1.0), 1.0)
        cls = g.op("Mul", _sl(g, y, 9, per), unc)
    else:
        txy, twh, obj, cls = _sl(g, y, 0, 2), _sl(g, y, 2, 4), _sl(g, y, 4, 5), _sl(g, y, 5, per)
    xy = g.op("Mul", g.op("Add", txy, g.const(_grid(h, w, a))), g.const(stride))
    if k.get("new_coords"):
        size = g.op("Mul", g.mul(g.op("Mul", twh, twh), 4.0), g.const(wh))
    else:
        size = g.op("Mul", g.op("Exp", twh), g.const(wh))
    return g.op("Concat", xy, size, axis=2), obj, cls


def _region(g: Graph, layer, t: str, net_wh) -> tuple[str, str, str]:
    k = layer.conf
    num, classes = k["num"], k["classes"]
    h, w = layer.input.h, layer.input.w
    E = k["coords"] + classes + 1
    y = g.reshape(t, [h * w * num, E])
    anchors = _anchor_pairs(k)
    wh = np.array([anchors[i] for i in range(num)] * (h * w), np.float64)      # grid cells
    cell = np.array([net_wh[0] / w, net_wh[1] / h])
    xy = g.op("Mul", g.op("Add", g.op("Sigmoid", _sl(g, y, 0, 2)), g.const(_grid(h, w, num))), g.const(cell))
    size = g.op("Mul", g.op("Exp", _sl(g, y, 2, 4)), g.const(wh * cell))
    return g.op("Concat", xy, size, axis=2), _sl(g, y, 4, 5), _sl(g, y, 5, 5 + classes)


def _detection(g: Graph, layer, t: str, net_wh) -> tuple[str, str, str]:
    k = layer.conf
    side, num, classes = k["side"], k["num"], k["classes"]
    cells = side * side
    flat = g.reshape(t, [-1])
    cls = g.reshape(g.slice(flat, 1, 0, cells * classes), [cells, 1, classes])
    cls = g.op("Expand", cls, g.ints([1, 1, num, 1]))
    cls = g.reshape(cls, [cells * num, classes])
    conf = g.reshape(g.slice(flat, 1, cells * classes, cells * (classes + num)), [cells * num, 1])
    box = g.reshape(g.slice(flat, 1, cells * (classes + num), cells * (classes + 5 * num)), [cells * num, 4])
    scale = np.array(net_wh, np.float64)
    xy = g.op("Mul", g.op("Add", _sl(g, box, 0, 2), g.const(_grid(side, side, num))), g.const(scale / side))
    twh = _sl(g, box, 2, 4)
    if k["sqrt"]:
        twh = g.op("Mul", twh, twh)
    size = g.op("Mul", twh, g.const(scale))
    return g.op("Concat", xy, size, axis=2), conf, cls


DECODERS = {"yolo": _yolo, "gaussian_yolo": _yolo, "region": _region, "detection": _detection}


def decode_outputs(g: Graph, network, emitted, outputs: str, nms, n_dim):
    """[(tensor, name, shape)] for the graph outputs of ``--outputs boxes/boxes-noobj`` and ``--nms``."""
    heads = [layer for layer in network.layers if layer.type in HEAD_TYPES]
    if not heads:
        raise ExportError("--outputs boxes/--nms need a detection head ([yolo], [Gaussian_yolo], [region], "
                          "[detection]); this network has none")
    classes = {h.conf["classes"] for h in heads}
    if len(classes) != 1:
        raise ExportError(f"the heads predict different class counts {sorted(classes)}: boxes cannot be "
                          "concatenated; export --outputs raw")
    C = classes.pop()
    fp16 = g.onnx_dtype != TensorProto.FLOAT
    xywh, objs, clss = [], [], []
    for h in heads:
        t = emitted[h.index].output
        if fp16:
            t = g.op("Cast", t, to=TensorProto.FLOAT)
        g.dtype = np.float32          # decode in float32 (grids of large inputs do not fit float16 well)
        b, o, c = DECODERS[h.type](g, h, t, (network.width, network.height))
        xywh.append(b)
        objs.append(o)
        clss.append(c)
    g.dtype = np.float16 if fp16 else np.float32

    def cat(parts):
        return parts[0] if len(parts) == 1 else g.op("Concat", *parts, axis=1)
    box, obj, cls = cat(xywh), cat(objs), cat(clss)
    total = sum(_count(h) for h in heads)
    result = []
    if nms is None and outputs == "boxes":
        result.append((g.op("Concat", box, obj, cls, axis=2), "boxes", [n_dim, total, 5 + C]))
    scores = g.op("Mul", cls, obj)                                                 # [N, B, C]
    if nms is None and outputs == "boxes-noobj":
        y = g.op("Transpose", g.op("Concat", box, scores, axis=2), perm=[0, 2, 1])
        result.append((y, "boxes", [n_dim, 4 + C, total]))
    if nms is not None:
        result.append(_nms(g, box, scores, nms, n_dim))
    return result


def _count(h) -> int:
    k = h.conf
    if h.type == "region":
        return h.input.h * h.input.w * k["num"]
    if h.type == "detection":
        return k["side"] ** 2 * k["num"]
    per = (9 if h.type == "gaussian_yolo" else 5) + k["classes"]
    return h.output.h * h.output.w * (h.output.c // per)


def corners(g: Graph, box: str) -> str:
    half = g.mul(_sl(g, box, 2, 4), 0.5)
    return g.op("Concat", g.op("Sub", _sl(g, box, 0, 2), half), g.op("Add", _sl(g, box, 0, 2), half), axis=2)


def _nms(g: Graph, box: str, scores: str, nms, n_dim):
    iou, score, maxdet = nms
    if n_dim != 1:
        raise ExportError("--nms needs --batch 1 (its detections have a per-image count)")
    if not (0 <= iou <= 1) or maxdet < 1:
        raise ExportError(f"--nms {iou},{score},{maxdet}: IOU in [0, 1], MAXDET >= 1")
    xyxy = corners(g, box)                                                          # [1, B, 4]
    sel = g.op("NonMaxSuppression", xyxy, g.op("Transpose", scores, perm=[0, 2, 1]),
               g.ints([maxdet]), g.f32([iou]), g.f32([score]), center_point_box=0)  # [K, 3]
    b_idx = g.op("Gather", sel, g.ints(2), axis=1)                                  # [K]
    c_idx = g.op("Gather", sel, g.ints(1), axis=1)
    boxes = g.op("Gather", g.op("Squeeze", xyxy, g.ints([0])), b_idx, axis=0)                 # [K, 4]
    flat = g.op("Squeeze", scores, g.ints([0]))                                     # [B, C]
    pairs = g.op("Concat", g.op("Unsqueeze", b_idx, g.ints([1])), g.op("Unsqueeze", c_idx, g.ints([1])), axis=1)
    sc = g.op("GatherND", flat, pairs)                                              # [K]
    k = g.op("Min", g.op("Shape", sc), g.ints([maxdet]))
    top, order = g.op_multi("TopK", [sc, k], 2, axis=0, largest=1, sorted=1)
    rows = g.op("Concat", g.op("Gather", boxes, order, axis=0), g.op("Unsqueeze", top, g.ints([1])),
                g.op("Unsqueeze", g.op("Cast", g.op("Gather", c_idx, order, axis=0), to=TensorProto.FLOAT),
                     g.ints([1])), axis=1)
    return g.op("Unsqueeze", rows, g.ints([0])), "detections", [1, "detections", 6]
