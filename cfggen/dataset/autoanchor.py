"""``cfggen anchors`` and ``adapt --data`` as a library: boxes -> anchors, figures, masks.

``compute`` reads the training boxes (``boxes.read_train_boxes``), takes the anchor count and the
heads' strides from a cfg when one is given, searches (``anchors.search``), scores the result with
both yardsticks, and splits the masks by stride (reference §13.8). A ``[region]`` (YOLOv2) cfg has its
anchors in grid cells (reference §5.3): the boxes are then taken at the grid size, as the how-to's
``calc_anchors -width 13 -height 13`` does, and written with darknet's 4 decimals. Bad input is a one-line
``InputError``/``UsageError``: no boxes; more clusters than boxes (darknet's ``calc_anchors`` reads
past its index array there: a segfault); fewer distinct box sizes than clusters.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cfggen.dataset import anchors as A
from cfggen.dataset.trainboxes import TrainBoxes, read_train_boxes
from cfggen.errors import InputError, UsageError

YOLO_HEADS = ("yolo", "gaussian_yolo")
DEFAULT_NUM = 9       # the how-to's -num_of_clusters 9 (darknet's own default is 5)


@dataclass(frozen=True)
class CfgHeads:
    path: str
    size: tuple[int, int]              # the cfg's width x height
    num: int                           # anchors in the table (num= of the first [yolo])
    heads: tuple[tuple[int, int, int, str], ...]   # (layer index, section line, stride, header) per [yolo]
    anchors: np.ndarray | None         # the cfg's own anchors (num pairs, darknet's 0.5 padding) or None
    masks: tuple[tuple[int, ...], ...]  # each head's mask now
    other_heads: tuple[str, ...]       # heads left out ([region] beside [yolo] heads, [detection])
    region_stride: int = 0             # a [region] (YOLOv2) cfg: its anchors are in grid cells of this stride


def built(doc):
    """(plan, network at the cfg's own size) of a parsed cfg; the network is None when darknet has no
    input size to build it at. ``cfg_heads`` and ``convert.adapt.adapt`` take it, so that ``adapt
    --data`` builds the cfg once."""
    from cfggen.ir.build import infer, plan
    p = plan(doc)
    return p, (infer(p)[0] if doc.net is not None and p.usable else None)


def cfg_heads(doc, build=None) -> CfgHeads:
    """The [yolo]/[Gaussian_yolo] heads of a parsed cfg with their strides (input width / grid width);
    for a cfg whose heads are [region] (YOLOv2), the last one's anchor table and grid stride.
    ``build``: ``built(doc)`` when the caller has it."""
    from cfggen.ir.cnum import int_list
    p, network = build if build is not None else built(doc)
    if network is None:
        raise InputError("not a darknet network cfg with an input size ([net] width/height)", path=doc.path,
                         line=1)
    yolo = [layer for layer in network.layers if layer.type in YOLO_HEADS]
    other = tuple(layer.section.header for layer in network.layers if layer.type in ("region", "detection"))
    if not yolo:
        regions = [layer for layer in network.layers if layer.type == "region"]
        if not regions:
            raise InputError("no [yolo], [Gaussian_yolo] or [region] head: nothing has anchors"
                             + (f" ({other[0]} predicts boxes without them)" if other else ""), path=doc.path)
        return _region_heads(doc, network, regions[-1])
    w, _ = network.size
    heads = []
    masks = []
    for layer in yolo:
        gw = layer.input.w
        if gw <= 0:
            raise InputError(f"layer {layer.index} {layer.section.header}: no grid size (the network does "
                             "not build)", path=doc.path, line=layer.section.line)
        heads.append((layer.index, layer.section.line, max(1, round(w / gw)), layer.section.header))
        k = layer.conf
        masks.append(tuple(int_list(k["mask"], stop_at_hash=True)) if k.get("mask") is not None
                     else tuple(range(k["num"])))
    num = yolo[0].conf["num"]
    return CfgHeads(doc.path, network.size, num, tuple(heads), _cfg_anchors(yolo[0].conf, num), tuple(masks),
                    other)


def _cfg_anchors(conf: dict, num: int) -> np.ndarray | None:
    """The anchor table darknet fills: the first 2*num numbers, missing ones 0.5."""
    from cfggen.ir.cnum import float_list
    raw = conf.get("anchors")
    if raw is None or num <= 0:
        return None
    vals = list(float_list(raw, stop_at_hash=True))[:2 * num]
    vals += [0.5] * (2 * num - len(vals))
    return np.array(vals, np.float64).reshape(num, 2)


def _region_heads(doc, network, region) -> CfgHeads:
    """A YOLOv2 cfg: one anchor table in grid cells (reference §5.3), every anchor used, no masks."""
    gw = region.input.w
    if gw <= 0:
        raise InputError(f"layer {region.index} [region]: no grid size (the network does not build)",
                         path=doc.path, line=region.section.line)
    stride = max(1, round(network.size[0] / gw))
    num = region.conf["num"]
    return CfgHeads(doc.path, network.size, num, (), _cfg_anchors(region.conf, num), (), (), stride)


@dataclass(frozen=True)
class HeadReport:
    layer: int
    line: int
    header: str
    stride: int
    limit: float | None        # the head takes anchors smaller than limit x limit (None: the rest)
    mask: tuple[int, ...]
    boxes: int                 # boxes whose nearest anchor (darknet's 1 - IoU) is one of this head's
    bpr: float                 # share of all boxes that fit one of this head's anchors (ratio, thr)


@dataclass(frozen=True)
class Figures:
    avg_iou: A.AvgIou
    ratio: A.RatioMetrics


@dataclass(frozen=True)
class AnchorReport:
    boxes: TrainBoxes
    size: tuple[int, int]              # the network input size
    scale: tuple[float, float]         # what a relative box size is multiplied by: size, or the grid
    units: str                         # "pixels", or "cells" (a [region] head's grid cells)
    num: int
    seed: int
    search: A.Search
    figures: Figures
    heads: tuple[HeadReport, ...]       # () without a cfg
    before: Figures | None              # the cfg's own anchors on the same boxes
    tiny: tuple[int, int]               # boxes with a side under 3 px; with both sides under 2 px
    warnings: tuple[str, ...]

    @property
    def anchors(self) -> np.ndarray:
        return self.search.anchors

    @property
    def masks_ok(self) -> bool:
        return bool(self.heads) and all(h.mask for h in self.heads)


def figures(px: np.ndarray, anchors: np.ndarray, thr: float) -> Figures:
    return Figures(A.darknet_avg_iou(px, anchors), A.ratio_metrics(px, anchors, thr))


def format_anchors(anchors: np.ndarray, width: int) -> str:
    """``w,h, w,h, ...`` as written into ``anchors=``: whole pixels above 32 px, else 4 decimals."""
    fmt = (lambda v: f"{v:.0f}") if width > 32 else (lambda v: f"{v:.4f}")
    return ", ".join(f"{fmt(w)},{fmt(h)}" for w, h in anchors)


def compute(data_path: str, *, num: int | None = None, size: tuple[int, int] | None = None, cfg=None,
            seed: int = 0, thr: float = 4.0, starts: int = 24, generations: int = 1000,
            train: TrainBoxes | None = None, data=None, build=None) -> AnchorReport:
    """Anchors for the training boxes of ``data_path``; ``cfg`` (a parsed Document) gives the count,
    the size and the heads to split masks over. ``data`` (the ``DataFile`` of ``data_path``) and
    ``build`` (``built(cfg)``) are what the caller has already read or built."""
    heads = cfg_heads(cfg, build) if cfg is not None else None
    if size is None:
        if heads is None:
            raise UsageError("give --size WxH (the network input size the anchors are for) or --cfg")
        size = heads.size
    if num is None:
        num = heads.num if heads is not None else DEFAULT_NUM
    if num < 1:
        raise UsageError(f"--num must be at least 1, not {num}")
    if thr <= 1:
        raise UsageError(f"--thr must be above 1, not {thr:g}")
    tb = train if train is not None else read_train_boxes(data_path, data)
    n = len(tb.wh)
    if n == 0:
        miss = f", {len(tb.missing)} label files missing" if tb.missing else ""
        raise InputError(f"no boxes in the label files of train={tb.train_path} ({tb.images} images{miss}): "
                         "nothing to cluster", path=data_path)
    if num > n:
        raise InputError(f"{num} clusters but only {n} box{'es' * (n != 1)}: darknet's calc_anchors reads "
                         "past its index array here (a segfault); use fewer anchors or more labels",
                         path=data_path)
    width, height = size
    units = "pixels"
    if heads is not None and heads.region_stride:   # darknet's how-to: calc_anchors -width 13 -height 13
        units = "cells"
        width, height = (v / heads.region_stride for v in size)
        width, height = (int(v) if v == int(v) else v for v in (width, height))
    px = tb.pixels(width, height)
    rng = np.random.default_rng(seed)
    try:
        result = A.search(px, num, rng, width=width, starts=starts, generations=generations)
    except ValueError as exc:
        raise InputError(f"{exc}: the boxes cannot give {num} different anchors; use fewer", path=data_path) \
            from None
    warnings: list[str] = []
    if tb.missing:
        warnings.append(f"{len(tb.missing)} label file{'s' * (len(tb.missing) != 1)} missing (darknet: "
                        f"\"Can't open label file\"; those images count as negatives), first: {tb.missing[0]}")
    if tb.stopped:
        warnings.append(f"{len(tb.stopped)} label file{'s' * (len(tb.stopped) != 1)} where darknet stops "
                        f"reading early, first: {tb.stopped[0]}")
    if tb.wrong:
        warnings.append(f"{tb.wrong} box{'es' * (tb.wrong != 1)} with x, y, w or h outside (0, 1], used anyway "
                        f"as darknet's calc_anchors uses them (it prints 'Wrong label'), first: {tb.first_wrong}")
    if tb.negative_ids:
        warnings.append(f"{tb.negative_ids} box{'es' * (tb.negative_ids != 1)} with a negative class id: "
                        "darknet's calc_anchors corrupts its heap on those (abort)")
    if result.avg_iou.wrong:
        warnings.append(f"{result.avg_iou.wrong} box{'es' * (result.avg_iou.wrong != 1)} with an IoU outside "
                        "[0, 1] (non-positive sizes): darknet leaves them out of the sum, not the divisor")
    fits = A.fit_matrix(px, result.anchors, thr)
    final = Figures(result.avg_iou, A.metrics_from_fits(fits, thr))
    inpx = px if units == "pixels" else tb.pixels(*size)    # Ultralytics' small-box counts are in pixels
    under3 = int(((inpx < 3).any(axis=1)).sum())
    under2 = int(((inpx < 2).all(axis=1)).sum())
    head_reports: list[HeadReport] = []
    before = None
    if heads is not None:
        if heads.other_heads:
            warnings.append(f"{heads.other_heads[0]} heads are left out (their anchors are in grid cells)")
        splits = (A.split_masks(result.anchors, [(layer, stride) for layer, _, stride, _ in heads.heads])
                  if heads.heads else [])
        per_anchor = np.bincount(result.nearest, minlength=num)
        for (layer, line, stride, header), sp in zip(heads.heads, splits):
            m = list(sp.mask)
            head_reports.append(HeadReport(layer, line, header, stride, sp.limit, sp.mask,
                                           int(per_anchor[m].sum()) if m else 0,
                                           float(fits[m].any(axis=0).mean()) if m else 0.0))
            if not m:
                top = max((x.limit for x in splits if x.limit), default=0)
                what = (f"is smaller than {sp.limit:g}x{sp.limit:g}" if sp.limit else
                        f"is {top:g}x{top:g} or larger")
                warnings.append(f"layer {layer} {header} (stride {stride}) gets no anchor: none {what} "
                                "(the how-to: if many anchors do not fit their layers, keep the default "
                                "anchors)")
        if heads.anchors is not None and size == heads.size:
            before = figures(px, heads.anchors, thr)
    return AnchorReport(tb, size, (width, height), units, num, seed, result, final, tuple(head_reports),
                        before, (under3, under2), tuple(warnings))


def to_json(r: AnchorReport) -> dict:
    def fig(f: Figures) -> dict:
        return {"avg_iou": round(f.avg_iou.percent, 4), "avg_iou_printed": f.avg_iou.printed,
                "bpr": round(f.ratio.bpr, 6), "aat": round(f.ratio.aat, 6)}
    out = {
        "data": r.boxes.data_path, "train": r.boxes.train_path, "images": r.boxes.images,
        "label_files_missing": len(r.boxes.missing), "boxes": int(len(r.boxes.wh)),
        "size": list(r.size), "units": r.units, "scale": list(r.scale), "num": r.num, "seed": r.seed, "thr": r.figures.ratio.thr,
        "anchors": [[float(w), float(h)] for w, h in r.anchors],
        "anchors_text": format_anchors(r.anchors, r.scale[0]),
        **fig(r.figures),
        "objective": r.search.objective,
        "search": {"kmeans_starts": r.search.starts, "generations": r.search.generations},
        "tiny_boxes": {"side_under_3px": r.tiny[0], "both_under_2px": r.tiny[1]},
        "warnings": list(r.warnings),
    }
    if r.heads:
        out["masks"] = [{"layer": h.layer, "line": h.line, "head": h.header, "stride": h.stride,
                         "limit": h.limit, "mask": list(h.mask),
                         "anchors": [[float(v) for v in r.anchors[i]] for i in h.mask],
                         "boxes": h.boxes, "bpr": round(h.bpr, 6)} for h in r.heads]
    if r.before is not None:
        out["cfg_anchors"] = fig(r.before)
    return out


def to_text(r: AnchorReport) -> str:
    tb = r.boxes
    w, h = r.size
    unit = (f"anchors for {w}x{h}" if r.units == "pixels" else
            f"anchors in [region] grid cells ({r.scale[0]:g}x{r.scale[1]:g} at {w}x{h})")
    lines = [f"{tb.data_path}: {len(tb.wh)} boxes from {tb.images} images (train={tb.train_path}), {unit}",
             f"anchors = {format_anchors(r.anchors, r.scale[0])}",
             f"avg IoU = {r.figures.avg_iou.printed} %   (darknet's calc_anchors figure, 1 - IoU distance)",
             f"BPR = {r.figures.ratio.bpr:.4f}, {r.figures.ratio.aat:.2f} anchors/box past thr="
             f"{r.figures.ratio.thr:g}   (Ultralytics autoanchor's figures)"]
    if r.before is not None:
        b = r.before
        lines.append(f"the cfg's anchors now: avg IoU = {b.avg_iou.printed} %, BPR = {b.ratio.bpr:.4f}, "
                     f"{b.ratio.aat:.2f} anchors/box")
    lines.append(f"search: {r.search.starts} k-means starts, best few climbed {r.search.generations} mutation "
                 f"generations and polished; objective: {r.search.objective}; seed {r.seed}")
    if r.tiny[0]:
        lines.append(f"{r.tiny[0]} boxes have a side under 3 px ({r.tiny[1]} both sides under 2 px; "
                     "Ultralytics drops those)")
    if r.heads:
        lines.append("masks by stride (the how-to: anchors smaller than 30x30 to stride 8, 60x60 to stride 16, "
                     "the rest to the coarsest):")
        for hr in r.heads:
            which = f"smaller than {hr.limit:g}x{hr.limit:g}" if hr.limit else "the rest"
            anchors = format_anchors(r.anchors[list(hr.mask)], w) if hr.mask else "none"
            lines.append(f"  layer {hr.layer} {hr.header} line {hr.line}, stride {hr.stride} ({which}): "
                         f"mask={','.join(map(str, hr.mask)) or '-'}  ({anchors}); nearest for {hr.boxes} "
                         f"boxes, BPR {hr.bpr:.4f}")
    lines += [f"warning: {m}" for m in r.warnings]
    return "\n".join(lines) + "\n"
