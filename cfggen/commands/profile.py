"""``cfggen profile``: roofline estimate per layer, memory darknet takes, measured latency."""
from __future__ import annotations

import os
import re

import click

from cfggen.errors import InputError, UsageError
from cfggen.options import FINITE, SIZE

# the fitted constant of the inference memory model: darknet's driver process with a trivial network
# plus the allocator's slack (median residual over the 85 forward goldens; docs/profile.md)
PROCESS_BASELINE_MIB = 5.6


def parse_bytes(text: str) -> int:
    """``8G``, ``8GiB``, ``7.5g``, ``512M``, ``8000000000`` -> bytes (binary units)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(?:i?[bB])?\s*", text)
    if not m:
        raise UsageError(f"--gpu-memory {text!r} is not a size like 8G or 11GiB")
    scale = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}[m.group(2).lower()]
    return int(float(m.group(1)) * scale)


@click.command()
@click.argument("cfgs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--size", type=SIZE, default=None, help="Input size [default: each cfg's own].")
@click.option("--batch", type=int, default=None,
              help="Images per forward pass [default 1]; with --train, the training batch [default: [net] batch].")
@click.option("--device", default=None, help="Preset: cpu (calibrated here), t4, rtx2070, rtx3090, a100, "
              "jetson-nano, jetson-xavier [default: cpu].")
@click.option("--peak-gflops", type=FINITE, default=None, help="Custom device: achievable GFLOP/s.")
@click.option("--bandwidth-gbs", type=FINITE, default=None, help="Custom device: achievable GB/s.")
@click.option("--launch-us", type=FINITE, default=None, help="Override the per-layer fixed cost (µs).")
@click.option("--precision", type=click.Choice(["fp32", "fp16"]), default="fp32", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
@click.option("--layers/--no-layers", "show_layers", default=None,
              help="Per-layer table in text output [default: with one cfg].")
@click.option("--top", type=int, default=5, show_default=True, help="How many top layers to list.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write a roofline + time-by-kind PNG (needs matplotlib).")
@click.option("--measure", is_flag=True, help="Run the exported network in onnxruntime and show measured "
              "next to estimated time per layer (needs cfggen export and onnxruntime).")
@click.option("--train", is_flag=True, help="Training memory (GPU, darknet's allocation rules).")
@click.option("--subdivisions", type=int, default=None, help="With --train [default: [net] subdivisions].")
@click.option("--gpu-memory", default=None, help="With --train: GPU memory (e.g. 8G); prints the smallest "
              "subdivisions that fits and the largest mini-batch.")
@click.option("--recalibrate", is_flag=True, help="Measure the cpu preset again instead of using the cache.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the report to FILE (atomically) instead of standard output.")
def profile(cfgs, size, batch, device, peak_gflops, bandwidth_gbs, launch_us, precision, fmt, show_layers, top,
            plot_path, measure, train, subdivisions, gpu_memory, recalibrate, output):
    """Estimate per-layer time (roofline), memory and FLOP/time shares for one or more CFGs.

    FLOPs are 2·MACs with groups counted; time = max(FLOPs / compute, bytes / bandwidth) + a fixed
    cost per layer. Several CFGs are compared side by side with a sentence that explains the gap.
    """
    from cfggen import profile as prof
    from cfggen.profile import memory, report
    from cfggen.profile.core import profile as run
    from cfggen.profile.devices import cpu_device, resolve

    if batch is not None and batch < 1:
        raise UsageError("--batch must be at least 1")
    if subdivisions is not None and subdivisions < 1:
        raise UsageError("--subdivisions must be at least 1")
    if (subdivisions is not None or gpu_memory is not None) and not train:
        raise UsageError("--subdivisions and --gpu-memory need --train")
    if top < 0:
        raise UsageError("--top must be 0 or more")
    budget = parse_bytes(gpu_memory) if gpu_memory is not None else None
    if recalibrate and (device or "cpu").lower() == "cpu" and peak_gflops is None:
        cpu_device(refresh=True)
    dev = resolve(device, peak_gflops, bandwidth_gbs, launch_us)
    nets = [(path, prof.load(path, size)) for path in cfgs]
    infer_batch = 1 if train or batch is None else batch
    profiles = [run(net, dev, os.path.basename(path), infer_batch, precision) for path, net in nets]
    memories, extra, measured = [], [], []
    for path, net in nets:
        lines = []
        if train:
            tb = batch if batch is not None else max(1, net.net.get("batch", 1))
            sub = subdivisions if subdivisions is not None else max(1, net.net.get("subdivisions", 1))
            mem = memory.training(net, tb, sub)
            lines.append(f"training: batch {tb}, subdivisions {sub} -> mini-batch {mem.batch}; "
                         f"optimized_memory={net.net.get('optimized_memory', 0)}; "
                         "model of darknet's allocation rules, not yet checked on a GPU")
            if budget is not None:
                best_sub, best_mini = memory.fits(net, tb, budget)
                lines.append(f"fits {report.human_bytes(budget)}: " + (f"subdivisions={best_sub} (mini-batch {tb // best_sub})"
                             if best_sub else f"no subdivisions of batch {tb} fits")
                             + f"; largest mini-batch that fits: {best_mini}")
        else:
            mem = memory.inference(net, infer_batch)
        memories.append(mem)
        if measure:
            from cfggen.profile.measure import measure_onnxruntime
            m = measure_onnxruntime(path, (net.width, net.height), infer_batch)
            measured.append({"backend": m.backend, "total_s": m.total_s,
                             "per_layer_s": {str(k): v for k, v in sorted(m.per_layer_s.items())},
                             "unattributed_s": m.unattributed_s})
            lines += _measured_lines(profiles[len(memories) - 1], m)
        extra.append(lines)
    if fmt == "json":
        ext = {"memory_baseline_mib": PROCESS_BASELINE_MIB} if not train else None
        text = report.as_json(profiles, memories, measured, ext)
    elif fmt == "csv":
        text = report.as_csv(profiles)
    else:
        layers = show_layers if show_layers is not None else len(profiles) == 1
        text = report.text(profiles, memories, top, layers, extra, None if train else PROCESS_BASELINE_MIB)
    if plot_path:
        from cfggen.profile.plot import plot
        try:
            plot(profiles, plot_path)
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror or exc}", path=plot_path) from None
        click.echo(f"wrote {plot_path}", err=True)
    if output:
        from cfggen.fileio import write_output
        write_output(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


def _measured_lines(p, m) -> list[str]:
    """Measured next to estimated, per darknet layer: the per-layer times come from the profiled
    session (basic optimisation, one node per op), whose node total is printed beside the wall time."""
    out = [f"measured ({m.backend}, median of {m.runs}): {m.total_s * 1e3:.2f} ms (best {m.best_s * 1e3:.2f} ms); "
           f"estimated {p.time_s * 1e3:.2f} ms"]
    if m.nodes_s:
        out.append(f"per layer (profiled session, node time {m.nodes_s * 1e3:.2f} ms per run, "
                   f"{m.unattributed_s * 1e3:.2f} ms in nodes of no darknet layer; "
                   f"{len(m.per_layer_s)} of {len(p.layers)} layers timed)")
    out.append(f"{'layer':>5} {'type':<15} {'est. µs':>10} {'meas. µs':>10} {'est/meas':>8}")
    for lp in p.layers:
        if lp.index in m.per_layer_s or lp.time_s:
            meas = m.per_layer_s.get(lp.index)
            ratio = f"{lp.time_s / meas:.2f}" if meas else "-"
            out.append(f"{lp.index:>5} {lp.type:<15} {lp.time_s * 1e6:>10.1f} "
                       f"{'-' if meas is None else f'{meas * 1e6:.1f}':>10} {ratio:>8}")
    return out
