"""MixNet's mixed and grouped convolutions as darknet sections: channel splits with ``[route] groups=``.

A MixNet conv (timm/geffnet ``MixedConv2d``) splits its input channels into groups with
``_split_channels``: ``n`` parts of ``C // n``, the first one taking the remainder. Each part gets
its own conv (a depthwise k x k per kernel size, or a plain 1x1 for a grouped pointwise conv), and
the outputs are concatenated in order.

Darknet has two tools, and both take *equal* parts only:

* ``[convolutional] groups=g``: a grouped conv, exact when one kernel size is used and ``g``
  divides both the input and the output channels;
* ``[route] layers=X groups=G group_id=j``: channels ``[j*C/G, (j+1)*C/G)`` of layer X. It is a
  channel slice only when ``G`` divides ``C`` (reference §3.6: otherwise darknet slices the flat
  CHW buffer, which cuts through channels and changes with the input size).

An unequal part ``[a, b)`` is still exact with a short chain of routes: each route takes an
*aligned* chunk ``[j*d, (j+1)*d)`` with ``d`` dividing ``C`` (``groups=C/d``, ``group_id=j``), a
concatenating ``[route]`` joins the chunks, and the conv reads that. ``aligned_chunks`` picks the
largest aligned chunk at each step, so equal splits cost one route per part, as in the hand-written
MixNet cfgs. A part that would need more than ``MAX_CHUNKS`` routes is refused with the reason
(never approximated by a different split).
"""
from __future__ import annotations

import math
from typing import NamedTuple

from cfggen.errors import GenerateError

MAX_CHUNKS = 16  # routes per part before a split is refused as unreasonable (never hit by the variants)


def split_channels(channels: int, parts: int) -> tuple[int, ...]:
    """geffnet's ``_split_channels``: equal parts, the remainder on the first one."""
    split = [channels // parts] * parts
    split[0] += channels - sum(split)
    return tuple(split)


def aligned_chunks(channels: int, start: int, stop: int) -> tuple[tuple[int, int], ...]:
    """``[start, stop)`` of ``channels`` as (groups, group_id) route slices, largest first.

    Each slice is ``[group_id*d, (group_id+1)*d)`` with ``d = channels // groups`` dividing
    ``channels``, so darknet takes whole channels at every input size. A chunk starting at ``at``
    has a size ``d`` dividing both ``channels`` and ``at``, i.e. ``gcd(channels, at)``: the largest
    divisor of that gcd that still fits before ``stop`` (no list of all divisors of ``channels``,
    which dominated generation time for wide MixNets).
    """
    chunks = []
    at = start
    while at < stop:
        d = _largest_divisor(math.gcd(channels, at), stop - at)
        chunks.append((channels // d, at // d))
        at += d
    return tuple(chunks)


def _largest_divisor(n: int, limit: int) -> int:
    """The largest divisor of ``n`` that is at most ``limit`` (>= 1): trial division up to sqrt(n)."""
    if n <= limit:
        return n
    best = 1
    i = 1
    while i * i <= n:
        if n % i == 0:
            if i <= limit:
                best = max(best, i)
            if n // i <= limit:
                best = max(best, n // i)
        i += 1
    return best


# The plan records are NamedTuples: every block builds three plans, and a NamedTuple costs a third
# of a frozen dataclass to construct (generation time is mostly per-block work).
class Route(NamedTuple):
    layers: str          # relative offsets, as the cfg writes them
    groups: int = 1
    group_id: int = 0


class Piece(NamedTuple):
    """One conv of a split: the routes that gather its input channels, then the conv."""

    routes: tuple[Route, ...]
    filters: int
    kernel: int
    groups: int          # conv groups (filters for a depthwise conv)


class ConvPlan(NamedTuple):
    """The sections of one (possibly mixed or grouped) conv; ``join`` concatenates the pieces."""

    pieces: tuple[Piece, ...]
    join: str | None
    stride: int
    note: str = ""       # cfg comment describing an unequal split ("" when none)

    @property
    def single(self) -> Piece | None:
        """The one conv when no route is needed (templates print it directly: the common case)."""
        return self.pieces[0] if self.join is None and not self.pieces[0].routes else None

    @property
    def layers(self) -> int:
        return sum(len(p.routes) + 1 for p in self.pieces) + (self.join is not None)


def plan_conv(in_channels: int, out_channels: int, kernels: tuple[int, ...], stride: int = 1,
              depthwise: bool = False, groups: int = 1, where: str = "conv") -> ConvPlan:
    """Sections for a conv over ``in_channels`` whose input is the previous layer.

    ``depthwise``: one depthwise conv per kernel size on ``split_channels(in, len(kernels))``;
    otherwise a 1x1 conv in ``groups`` groups (``kernels`` is then a single kernel).
    """
    parts = len(kernels) if depthwise else groups
    if depthwise and in_channels != out_channels:
        raise GenerateError(f"{where}: a depthwise conv keeps its width ({in_channels} -> {out_channels})")
    kernel = kernels[0]
    if parts == 1:
        return ConvPlan((Piece((), out_channels, kernel, in_channels if depthwise else 1),), None, stride)
    if not depthwise and in_channels % parts == 0 and out_channels % parts == 0:
        return ConvPlan((Piece((), out_channels, kernel, parts),), None, stride)   # darknet's grouped conv

    in_split = split_channels(in_channels, parts)
    out_split = in_split if depthwise else split_channels(out_channels, parts)
    pieces, convs, position, start = [], [], 0, 0
    for j, (width, filters) in enumerate(zip(in_split, out_split)):
        chunks = aligned_chunks(in_channels, start, start + width)
        if len(chunks) > MAX_CHUNKS:
            raise GenerateError(
                f"{where}: splits {in_channels} channels as {'+'.join(map(str, in_split))} (geffnet's "
                f"_split_channels); darknet's [route] groups= takes equal parts only, and part {j + 1} "
                f"(channels {start}..{start + width - 1}) would need {len(chunks)} routes; refusing "
                f"rather than changing the split (choose a width that divides evenly)")
        routes = [Route(str(-1 - (position + i)), g, gid) for i, (g, gid) in enumerate(chunks)]
        position += len(routes)
        if len(routes) > 1:    # concatenate the chunks: one contiguous input for the conv
            routes.append(Route(",".join(str(-(len(routes) - i)) for i in range(len(routes)))))
            position += 1
        pieces.append(Piece(tuple(routes), filters, kernels[j] if depthwise else kernel,
                            filters if depthwise else 1))
        convs.append(position)
        position += 1
        start += width
    join = ",".join(str(c - position) for c in convs)
    equal = len(set(in_split)) == 1 and len(set(out_split)) == 1
    note = "" if equal else (f"unequal split {'+'.join(map(str, in_split))} of {in_channels} channels, "
                             f"each part gathered by aligned [route] groups= slices")
    return ConvPlan(tuple(pieces), join, stride, note)
