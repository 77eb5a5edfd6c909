"""``cfggen profile``: why FLOPs are not speed, and how much memory darknet takes.

Built on the validator's layer table (``cfggen.ir.build``): ``cost`` says what every layer computes
and moves, ``devices`` what a device can do, ``core`` combines them into a roofline estimate,
``memory`` applies darknet's allocation rules, ``report`` formats, ``plot`` draws and ``measure`` runs
the exported network in onnxruntime.
"""
from __future__ import annotations

from cfggen.errors import InputError

# Findings of the layer table at which darknet stops although the validator knows the shape it would go
# on with (asserts, "filters= doesn't correspond" exits): raised as non-fatal faults in cfggen.ir.layers.
STOPS = frozenset({"DN201", "DN204", "DN205", "DN212", "DN301"})


def load(path: str, size: tuple[int, int] | None = None):
    """The network darknet builds from ``path`` at ``size`` (default: its own), or an InputError."""
    from cfggen.cfg.parse import read_file
    from cfggen.ir.build import infer, plan

    p = plan(read_file(path))
    if not p.usable:
        f = p.findings[0] if p.findings else None
        raise InputError(f.message if f else "darknet cannot build this network", path=path,
                         line=f.line if f else None)
    net, findings = infer(p, size)
    stop = next((f for f in findings if f.code in STOPS), None)
    broken = next((layer for layer in net.layers if layer.broken), None)
    if stop is not None and (broken is None or stop.layer <= broken.index):
        broken = net.layers[stop.layer]
    if broken is not None:
        why = next((f.message for f in findings if f.layer == broken.index), "darknet stops here")
        where = f" at {size[0]}x{size[1]}" if size else ""
        raise InputError(f"darknet cannot build this network{where}: layer {broken.index} "
                         f"[{broken.type}]: {why}", path=path, line=broken.line,
                         hint="cfggen validate shows every finding")
    if not net.layers:
        raise InputError("the cfg has no layers", path=path)
    return net
