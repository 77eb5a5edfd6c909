"""``--plot``: a roofline chart and a stacked bar of time by layer kind (matplotlib, imported lazily).

Left: every layer a point at (FLOPs per byte, FLOPs / estimated time), coloured by kind, under the
device's roof (bandwidth slope, compute ceiling). Points far below the roof are layers the fixed
per-layer cost dominates. Right: one stacked bar per cfg, the estimated time split by kind, with the
FLOP split beside it: the picture of "FLOPs are not speed".
"""
from __future__ import annotations

from typing import Sequence

from cfggen.errors import UsageError
from cfggen.profile.core import Profile
from cfggen.profile.cost import KIND_LABELS, KINDS

COLORS = {"regular": "#1f77b4", "pointwise": "#17becf", "depthwise": "#d62728", "se": "#ff7f0e",
          "pooling": "#2ca02c", "routing": "#9467bd", "connected": "#8c564b", "head": "#7f7f7f",
          "other": "#bcbd22"}
MARKERS = "os^Dvp*hX"


def _pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError("--plot needs matplotlib", hint="pip install 'cfggen[plot]'") from None
    return plt


def plot(profiles: Sequence[Profile], path: str) -> None:
    """Draw the figure and write it atomically to ``path`` (PNG)."""
    import io

    from cfggen.fileio import write_atomic

    plt = _pyplot()
    fig, (roof, bars) = plt.subplots(1, 2, figsize=(14, 5.5), gridspec_kw={"width_ratios": [3, 2]})
    dev, prec = profiles[0].device, profiles[0].precision
    xs_all = []
    for j, p in enumerate(profiles):
        for kind in KINDS:
            pts = [(lp.intensity, lp.flops / lp.time_s / 1e9) for lp in p.layers
                   if lp.kind == kind and lp.flops > 0 and lp.time_s > 0 and lp.intensity not in (0, float("inf"))]
            if not pts:
                continue
            xs, ys = zip(*pts)
            xs_all += xs
            label = KIND_LABELS[kind] if len(profiles) == 1 else f"{p.name}: {KIND_LABELS[kind]}"
            roof.scatter(xs, ys, s=14, c=COLORS[kind], marker=MARKERS[j % len(MARKERS)], alpha=0.75,
                         label=label, edgecolors="none")
    lo = min(xs_all, default=0.1) / 2
    hi = max(xs_all, default=100) * 2
    ridge = dev.ridge(prec)
    roof.plot([lo, ridge], [lo * dev.gbs(), dev.gflops(prec)], "k-", lw=1.2)
    roof.plot([ridge, max(hi, ridge * 2)], [dev.gflops(prec)] * 2, "k-", lw=1.2, label=f"{dev.name} roofline")
    roof.set_xscale("log")
    roof.set_yscale("log")
    roof.set_xlabel("arithmetic intensity (FLOPs per byte)")
    roof.set_ylabel("estimated achieved GFLOP/s")
    roof.set_title(f"roofline on {dev.name} ({prec})")
    roof.grid(True, which="both", alpha=0.25)
    roof.legend(fontsize=7, loc="lower right", ncol=1 if len(profiles) == 1 else 2)

    names = [p.name for p in profiles]
    width = 0.38
    for k_i, kind in enumerate(KINDS):
        t = [p.kind(kind).time_share for p in profiles]
        f = [p.kind(kind).flop_share for p in profiles]
        if not any(t) and not any(f):
            continue
        bt = [sum(p.kind(k).time_share for k in KINDS[:k_i]) for p in profiles]
        bf = [sum(p.kind(k).flop_share for k in KINDS[:k_i]) for p in profiles]
        xs = range(len(profiles))
        bars.bar([x - width / 2 for x in xs], t, width, bottom=bt, color=COLORS[kind], label=KIND_LABELS[kind])
        bars.bar([x + width / 2 for x in xs], f, width, bottom=bf, color=COLORS[kind], alpha=0.45, hatch="//")
    bars.set_xticks(range(len(profiles)))
    bars.set_xticklabels([f"{n}\ntime | FLOPs" for n in names], fontsize=8)
    bars.set_ylabel("share")
    bars.set_ylim(0, 1)
    bars.set_title("estimated time (solid) vs FLOPs (hatched) by layer kind")
    bars.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), framealpha=0.8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    write_atomic(path, buf.getvalue())
