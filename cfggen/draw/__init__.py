"""``cfggen draw``: the network as a picture, with its findings and its cost on it.

Drawn only from what ``validate`` knows (one ``analyze`` run: the ``Network`` at the cfg's size, its
findings) and, with a device, the profiler's estimate; no second shape inference, no Graphviz, no
browser. ``blocks`` finds what may fold, ``view`` cuts the picture from the block tree, ``layout``
places it (pure passes), ``svg`` writes it and ``page`` writes one HTML file holding every box and
the wiring, whose script lays out the view of any set of open blocks (a port of ``layout``).
"""
from __future__ import annotations

import os

from cfggen.draw import blocks as _blocks
from cfggen.draw.layout import layout, measure
from cfggen.draw.svg import render
from cfggen.draw.view import View, view
from cfggen.nogc import nogc

COLLAPSE = ("auto", "none")


class Picture:
    """Everything a picture is made from, computed once: views are cut from it."""

    __slots__ = ("layers", "blocks", "findings", "shape", "title", "shares", "device")

    def __init__(self, analysis, device=None):
        net = analysis.network
        self.layers = net.layers
        self.blocks = _blocks.detect(net.layers, analysis.doc)
        self.findings = analysis.findings
        self.shape = (net.width, net.height, net.channels)
        t = net.totals
        self.title = (f"{os.path.basename(analysis.path)}: {len(net.layers)} layers, input "
                      f"{net.width}x{net.height}x{net.channels}, {t.bflops:.3f} BFLOPs, {t.params:,} params")
        self.shares = None
        self.device = None
        if device is not None:
            from cfggen.profile.core import profile
            p = profile(net, device)
            self.shares = [(lp.time_share, lp.flop_share) for lp in p.layers]
            self.device = device.name

    def view(self, collapse: str = "auto", expanded: frozenset[str] = frozenset()) -> View:
        return view(self.layers, self.blocks, self.findings, self.shape, self.title, collapse == "auto",
                    expanded, self.shares)

    def svg(self, collapse: str = "auto", expanded: frozenset[str] = frozenset()) -> str:
        v = self.view(collapse, expanded)
        return render(v, place(v), self.device)


def place(v: View):
    """The layout of a view: unit sizes by fixed-width metrics, edges as unit numbers."""
    index = {u.id: k for k, u in enumerate(v.units)}
    sizes = [measure(u.lines) for u in v.units]
    return layout(sizes, [(index[e.src], index[e.dst]) for e in v.edges])


@nogc
def draw(analysis, fmt: str = "svg", collapse: str = "auto", device=None) -> str:
    """SVG or HTML text of the analysed network (``analysis.network`` must exist)."""
    pic = Picture(analysis, device)
    if fmt == "html":
        from cfggen.draw.page import page
        return page(pic, collapse)
    return pic.svg(collapse)


__all__ = ["COLLAPSE", "Picture", "draw", "place"]
