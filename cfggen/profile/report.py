"""Text, JSON and CSV views of profiles (one record model, three small formatters).

The JSON layout is documented in docs/profile.md and pinned by ``cfggen/profile/schema.json``.
"""
from __future__ import annotations

import csv
import io
import json
from typing import Sequence

from cfggen.profile.core import Profile
from cfggen.profile.cost import KIND_LABELS
from cfggen.profile.memory import Memory

SCHEMA_VERSION = 1
CSV_COLUMNS = ("cfg", "index", "type", "kind", "line", "output", "flops", "params", "bytes_read",
               "bytes_written", "intensity", "bound", "time_us", "time_share", "flop_share")


def human_bytes(n: float) -> str:
    """Bytes in binary units, KiB to GiB."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n / 2**10:,.1f} KiB"


def _time(s: float) -> str:
    return f"{s * 1e3:,.2f} ms" if s >= 1e-3 else f"{s * 1e6:,.1f} µs"


def device_line(p: Profile) -> str:
    d = p.device
    cache = (f" ({d.cache_gbs_achievable():,.1f} GB/s for working sets up to {d.cache_mb:g} MB)"
             if d.cache_gbs else "")
    return (f"device {d.name}: {d.gflops(p.precision):,.0f} GFLOP/s and {d.gbs():,.1f} GB/s{cache} achievable "
            f"({p.precision}), {d.launch_us:g} µs per layer; ridge {d.ridge(p.precision):.1f} FLOP/byte")


def explain(a: Profile, b: Profile) -> str:
    """Why ``a`` (fewer FLOPs) is not proportionally faster than ``b``: the kinds whose time share in
    ``a`` most exceeds their FLOP share, their bytes per FLOP, and the fixed cost of ``a``'s layers."""
    if a.flops > b.flops:
        a, b = b, a
    fr = b.flops / a.flops if a.flops else float("inf")
    tr = b.time_s / a.time_s if a.time_s else float("inf")
    speed = f"{tr:.1f}× faster" if tr >= 1 else f"{1 / tr:.1f}× slower"
    parts = [f"{a.name}: {fr:.1f}× fewer FLOPs than {b.name} but only {speed} (estimated on {a.device.name})"]
    # the (at most two) kinds whose share of the time most exceeds their share of the FLOPs
    slow = sorted((k for k in a.by_kind if k.time_share - k.flop_share > 0.05),
                  key=lambda k: k.flop_share - k.time_share)[:2]
    for i, k in enumerate(slow):
        label = KIND_LABELS[k.kind]
        bpf = k.bytes / k.flops if k.flops else float("inf")
        other = b.kind(k.kind)
        text = (f"{k.time_share:.0%} of its time is in {label} layers ({k.layers}), which do {k.flop_share:.1%} "
                f"of its FLOPs and move {bpf:.2f} bytes per FLOP")
        if i == 0:
            text += f" (compute-bound needs under {1 / a.device.ridge(a.precision):.2f})"
        parts.append(text + f"; in {b.name} {label} layers take {other.time_share:.0%}")
    na, nb = (sum(1 for lp in p.layers if lp.bound != "-") for p in (a, b))
    fixed = a.device.launch_us * 1e-6 * na
    parts.append(f"its {na} layers (vs {nb}) pay {_time(fixed)} of fixed cost ({fixed / a.time_s:.0%} of its time)")
    return "; ".join(parts) + "."


def memory_lines(mem: Memory, baseline_mib: float | None = None) -> list[str]:
    order = sorted(mem.groups.items(), key=lambda kv: -kv[1])
    detail = ", ".join(f"{k} {human_bytes(v)}" for k, v in order if v)
    if mem.train:
        return [f"training memory (GPU, mini-batch {mem.batch}): {human_bytes(mem.total)}: {detail}"]
    line = f"inference memory (darknet CPU forward, batch {mem.batch}): {human_bytes(mem.total)} of buffers: {detail}"
    if baseline_mib is not None:
        line += f"; peak RSS about {human_bytes(mem.total + baseline_mib * 2**20)} with the {baseline_mib:g} MiB process baseline"
    return [line]


def text(profiles: Sequence[Profile], memories: Sequence[Memory | None] = (), top: int = 5,
         layers: bool = True, extra: Sequence[Sequence[str]] = (), baseline_mib: float | None = None) -> str:
    out: list[str] = []
    for i, p in enumerate(profiles):
        out.append(f"{p.name} at {p.size[0]}x{p.size[1]}, batch {p.batch}")
        out.append(device_line(p))
        if layers:
            out.append(f"{'layer':>5} {'type':<15} {'kind':<10} {'output':>13} {'MFLOPs':>10} {'params':>10} "
                       f"{'read KB':>10} {'write KB':>10} {'FLOP/B':>7} {'bound':<7} {'time µs':>9} {'share':>6}")
            for lp in p.layers:
                out.append(f"{lp.index:>5} {lp.type:<15} {lp.kind:<10} {lp.output:>13} {lp.flops / 1e6:>10.2f} "
                           f"{lp.params:>10,} {lp.bytes_read / 1024:>10.1f} {lp.bytes_written / 1024:>10.1f} "
                           f"{lp.intensity:>7.1f} {lp.bound:<7} {lp.time_s * 1e6:>9.1f} {lp.time_share:>6.1%}")
        flops = f"{p.bflops:.3f} BFLOPs" if p.bflops >= 0.01 else f"{p.flops / 1e6:.3f} MFLOPs"
        out.append(f"total: {flops} (2·MACs; darknet prints {p.darknet_bflops:.3f} BFLOPs), "
                   f"{p.params:,} params, {human_bytes(p.bytes)} moved, estimated {_time(p.time_s)}")
        tops = ", ".join(f"{lp.index} {lp.type} ({lp.kind}) {lp.time_share:.0%}" for lp in p.top(top))
        out.append(f"top {top} layers by time: {tops}")
        out.append(f"{'kind':<20} {'layers':>6} {'FLOP share':>10} {'time share':>10}")
        for k in p.by_kind:
            if k.layers:
                out.append(f"{KIND_LABELS[k.kind]:<20} {k.layers:>6} {k.flop_share:>10.1%} {k.time_share:>10.1%}")
        mem = memories[i] if i < len(memories) else None
        more = list(extra[i]) if i < len(extra) else []
        mem_lines = memory_lines(mem, baseline_mib) if mem is not None else []
        # training: the batch/subdivisions line first, then the memory, then what fits
        out += (more[:1] + mem_lines + more[1:]) if mem is not None and mem.train else (mem_lines + more)
        out.append("")
    if len(profiles) > 1:
        base = profiles[0]
        out.append(f"{'cfg':<30} {'BFLOPs':>9} {'FLOPs ratio':>11} {'est. time':>11} {'time ratio':>10}")
        for p in profiles:
            out.append(f"{p.name:<30} {p.bflops:>9.3f} {p.flops / base.flops:>11.2f} {_time(p.time_s):>11} "
                       f"{p.time_s / base.time_s:>10.2f}")
        for p in profiles[1:]:
            out.append(explain(base, p))
    return "\n".join(out).rstrip("\n") + "\n"


def _num(x: float) -> float | None:
    return x if x == x and x not in (float("inf"), float("-inf")) else None


def as_record(p: Profile, mem: Memory | None = None, measured: dict | None = None) -> dict:
    d = p.device
    rec = {
        "cfg": p.name, "size": list(p.size), "batch": p.batch, "precision": p.precision,
        "device": {"name": d.name, "peak_gflops": d.peak_gflops, "peak_gflops_fp16": d.peak_gflops_fp16,
                   "bandwidth_gbs": d.bandwidth_gbs, "launch_us": d.launch_us, "compute_eff": d.compute_eff,
                   "bandwidth_eff": d.bandwidth_eff, "depthwise_gflops": d.depthwise_gflops,
                   "exp_gops": d.exp_gops, "activation_ns": dict(d.activation_ns), "cache_mb": d.cache_mb,
                   "cache_gbs": d.cache_gbs, "source": d.source},
        "totals": {"flops": p.flops, "bflops": p.bflops, "darknet_bflops": p.darknet_bflops, "params": p.params,
                   "bytes": p.bytes, "time_s": p.time_s, "layers": len(p.layers)},
        "by_kind": [{"kind": k.kind, "layers": k.layers, "flops": k.flops, "time_s": k.time_s, "bytes": k.bytes,
                     "flop_share": k.flop_share, "time_share": k.time_share} for k in p.by_kind],
        "layers": [{"index": lp.index, "type": lp.type, "kind": lp.kind, "line": lp.line, "output": lp.output,
                    "flops": lp.flops, "params": lp.params, "bytes_read": lp.bytes_read,
                    "bytes_written": lp.bytes_written, "intensity": _num(lp.intensity), "bound": lp.bound,
                    "time_s": lp.time_s, "time_share": lp.time_share, "flop_share": lp.flop_share}
                   for lp in p.layers],
        "top": [lp.index for lp in p.top(5)],
    }
    if mem is not None:
        rec["memory"] = {"mode": "training" if mem.train else "inference", "batch": mem.batch,
                         "total_bytes": mem.total, "groups": dict(mem.groups)}
    if measured is not None:
        rec["measured"] = measured
    return rec


def as_json(profiles: Sequence[Profile], memories: Sequence[Memory | None] = (), measured: Sequence = (),
            extra: dict | None = None) -> str:
    recs = [as_record(p, memories[i] if i < len(memories) else None, measured[i] if i < len(measured) else None)
            for i, p in enumerate(profiles)]
    doc = {"version": SCHEMA_VERSION, "profiles": recs}
    if len(profiles) > 1:
        doc["comparison"] = [{"cfg": p.name, "flops_ratio": p.flops / profiles[0].flops,
                              "time_ratio": p.time_s / profiles[0].time_s,
                              "explanation": explain(profiles[0], p) if i else None}
                             for i, p in enumerate(profiles)]
    if extra:
        doc.update(extra)
    return json.dumps(doc, indent=1) + "\n"


def as_csv(profiles: Sequence[Profile]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for p in profiles:
        for lp in p.layers:
            w.writerow((p.name, lp.index, lp.type, lp.kind, lp.line, lp.output, f"{lp.flops:.0f}", lp.params,
                        lp.bytes_read, lp.bytes_written, f"{lp.intensity:.4g}" if _num(lp.intensity) is not None else "",
                        lp.bound, f"{lp.time_s * 1e6:.3f}", f"{lp.time_share:.6f}", f"{lp.flop_share:.6f}"))
    return buf.getvalue()
