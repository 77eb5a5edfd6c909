"""The roofline profile of one network on one device: per layer, totals, per kind.

time = max(FLOPs / achievable compute, bytes / achievable bandwidth) + the device's per-layer fixed
cost + exp/log/tanh evaluations / the device's transcendental rate (when it has one: the cpu preset
measures it; GPUs' special-function units hide it in the memory pass). Depthwise convs get their own
compute ceiling where the device has one (the cpu preset measures it: no GEMM, far below peak). The
achievable bandwidth is the cache's for a layer whose working set fits the device's cache tier (the cpu
preset measures it), else memory's. Layers that do no work (darknet's in-place [dropout]/[empty]) pay no
fixed cost: darknet's forward returns at once and exporters drop them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from cfggen.ir.model import Network
from cfggen.profile.cost import KINDS, kinds, work
from cfggen.profile.devices import Device

BYTES = {"fp32": 4, "fp16": 2}


class LayerProfile(NamedTuple):
    index: int
    type: str
    kind: str
    line: int
    output: str               # WxHxC darknet prints
    flops: float
    params: int
    bytes_read: int
    bytes_written: int
    intensity: float          # FLOPs per byte moved
    bound: str                # "compute", "memory" or "-" (no work)
    time_s: float
    time_share: float
    flop_share: float


class KindShare(NamedTuple):
    kind: str
    layers: int
    flops: float
    time_s: float
    bytes: int
    flop_share: float
    time_share: float


@dataclass(frozen=True)
class Profile:
    name: str
    size: tuple[int, int]
    batch: int
    precision: str
    device: Device
    layers: tuple[LayerProfile, ...]
    by_kind: tuple[KindShare, ...]
    flops: float
    params: int
    bytes: int
    time_s: float
    darknet_bflops: float

    @property
    def bflops(self) -> float:
        return self.flops / 1e9

    def top(self, n: int = 5) -> list[LayerProfile]:
        return sorted(self.layers, key=lambda lp: -lp.time_s)[:n]

    def kind(self, name: str) -> KindShare:
        return next(k for k in self.by_kind if k.kind == name)


def _activation_time(w, device: Device, exp_rate: float) -> float:
    """Seconds (per image) the layer's exp/log/tanh work adds: the runtime's measured cost of its
    activation when the device has one, else its transcendental count at the device's exp rate."""
    ns = device.activation_cost(w.activation) if w.activation else None
    if ns is not None:
        return w.activated * ns * 1e-9
    return w.transcendental / exp_rate if exp_rate else 0.0


def profile(net: Network, device: Device, name: str = "", batch: int = 1, precision: str = "fp32") -> Profile:
    """Cost every layer of ``net`` (batch ``batch``) on ``device``."""
    nbytes = BYTES[precision]
    gflops = device.gflops(precision) * 1e9
    dw_rate = device.depthwise(precision) * 1e9
    exp_rate = device.exp_gops * 1e9
    fixed = device.launch_us * 1e-6
    rows = []
    for layer, kind in zip(net.layers, kinds(net)):
        w = work(layer, net)
        flops = w.flops * batch
        read = ((w.read_act + w.repass) * batch + w.param_floats) * nbytes
        written = (w.written + w.repass) * batch * nbytes
        moved = read + written
        if moved == 0 and flops == 0:
            t, bound, intensity = 0.0, "-", 0.0
        else:
            gbs = device.gbs_for(moved - 2 * w.repass * batch * nbytes) * 1e9    # working set: distinct bytes
            tc, tm = flops / (dw_rate if kind == "depthwise" else gflops), moved / gbs
            t, bound = (tc, "compute") if tc >= tm else (tm, "memory")
            t += fixed + _activation_time(w, device, exp_rate) * batch
            intensity = flops / moved if moved else float("inf")
        rows.append((layer, kind, flops, read, written, intensity, bound, t))
    total_t = sum(r[7] for r in rows) or 1.0
    total_f = sum(r[2] for r in rows) or 1.0
    new = tuple.__new__
    layers = tuple(new(LayerProfile, (layer.index, layer.type, kind, layer.section.line, str(layer.output), flops,
                                      layer.params.file_floats, read, written, intensity, bound, t, t / total_t,
                                      flops / total_f))
                   for layer, kind, flops, read, written, intensity, bound, t in rows)
    by_kind = []
    for k in KINDS:
        mine = [lp for lp in layers if lp.kind == k]
        f, t = sum(lp.flops for lp in mine), sum(lp.time_s for lp in mine)
        by_kind.append(KindShare(k, len(mine), f, t, sum(lp.bytes_read + lp.bytes_written for lp in mine),
                                 f / total_f, t / total_t))
    return Profile(name, (net.width, net.height), batch, precision, device, layers, tuple(by_kind),
                   sum(lp.flops for lp in layers), net.totals.params,
                   sum(lp.bytes_read + lp.bytes_written for lp in layers), sum(lp.time_s for lp in layers),
                   net.totals.bflops)
