"""``cfggen validate --sizes``: which input sizes a network accepts, and its total stride."""
from __future__ import annotations

from cfggen.ir.build import infer
from cfggen.ir.spatial import compile_spatial
from cfggen.lint.engine import Analysis

_SPATIAL_TYPES_SKIP = ("softmax", "cost", "detection", "contrastive", "gru", "blank")


def fitter(analysis: Analysis):
    """``sizes -> [every layer fits at that size, ...]``: by spatial arithmetic alone, every size at once
    (``Spatial.check_many``), when it can decide (``cfggen.ir.spatial``); else ``fits`` size by size."""
    spatial = compile_spatial(analysis.network) if analysis.network is not None and analysis.plan.usable else None
    if spatial is not None:
        return spatial.check_many
    return lambda sizes: [fits(analysis, size) for size in sizes]


def fits(analysis: Analysis, size: tuple[int, int]) -> bool:
    """Every layer builds at this size: no darknet failure and no empty or negative map."""
    net, found = infer(analysis.plan, size, stop_at_break=True)
    # channel-only mismatches and head filters do not depend on the size; the question here is shape
    if any(d.code not in ("DN202", "DN301") for d in found):
        return False
    return all(min(L.next) > 0 for L in net.layers if L.type not in _SPATIAL_TYPES_SKIP and not L.broken)


def total_stride(analysis: Analysis) -> int | None:
    """How much the coarsest spatial map is downsampled (32 for most YOLOs), probed at a large size."""
    probe = 4096
    net, _ = infer(analysis.plan, (probe, probe))
    widths = [L.output.w for L in net.layers if L.output.w > 0 and L.type not in ("avgpool", "connected",
                                                                                   "implicit")]
    widths = [w for w in widths if w > 1]
    return probe // min(widths) if widths else None


def _runs(values: list[int]) -> str:
    """Compress a sorted list into runs: ``32..2048 step 32`` or ``97-101`` (every size)."""
    if not values:
        return "none"
    out, i = [], 0
    while i < len(values):
        j = i
        step = values[i + 1] - values[i] if i + 1 < len(values) else 0
        while step and j + 1 < len(values) and values[j + 1] - values[j] == step:
            j += 1
        if j - i >= 3:
            out.append(f"{values[i]}-{values[j]}" if step == 1 else f"{values[i]}..{values[j]} step {step}")
            i = j + 1
        else:
            out.append(str(values[i]))
            i += 1
    return ", ".join(out)


def valid_sizes_text(analysis: Analysis, size_range: tuple[int, int], aspect: bool) -> str:
    if analysis.network is None or not analysis.plan.usable:
        return f"{analysis.path}: no network to size\n"
    lo, hi = size_range
    stride = total_stride(analysis)
    fit = fitter(analysis)
    sides = range(max(1, lo), hi + 1)
    square = [s for s, ok in zip(sides, fit([(s, s) for s in sides])) if ok]
    lines = [f"{analysis.path}: total stride {stride if stride else 'n/a'}",
             f"  square sizes {lo}..{hi} at which every layer fits: {_runs(square)}"]
    if aspect:
        step = stride or 32
        cands = [s for s in range(max(step, lo - lo % step), hi + 1, step)]
        ok_w = [w for w, ok in zip(cands, fit([(w, cands[0]) for w in cands])) if ok]
        others = [(w, h) for w in cands for h in cands if w != h and w in ok_w]
        pairs = [size for size, ok in zip(others, fit(others)) if ok]
        lines.append(f"  non-square sizes (multiples of {step}) that fit: {len(pairs)} of "
                     f"{len(cands) * (len(cands) - 1)}" + (f", e.g. {', '.join(f'{w}x{h}' for w, h in pairs[:8])}"
                                                         if pairs else ""))
    return "\n".join(lines) + "\n"
