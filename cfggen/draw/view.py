"""What the picture shows: the visible units (a layer, or a folded block) and the edges between them.

A view is cut from the block tree the way torchview cuts its module tree: a folded block is one unit
showing its layer range, its input -> output shape, its summed cost and the worst severity of its
members; an expanded block shows each of its layers. An edge whose end is hidden is re-attached to
the unit that holds it; parallel edges merge (a reference wins over the implicit previous-layer one).
Boxes show the keys that differ from darknet's default (``LAYERS``), and always the activation.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from itertools import compress, repeat
from operator import attrgetter, ne
from typing import NamedTuple, Sequence

from cfggen.draw.blocks import HEAD_TYPES, Block
from cfggen.findings import SEVERITY_RANK
from cfggen.ir.layers import BY_TYPE
from cfggen.ir.model import Layer

# Netron's categories (darknet-metadata.json), as CSS classes
CATEGORY = {
    **dict.fromkeys(("convolutional", "connected", "local", "crnn", "conv_lstm", "rnn", "gru", "lstm",
                     "implicit"), "layer"),
    **dict.fromkeys(("maxpool", "avgpool", "local_avgpool"), "pool"),
    **dict.fromkeys(("route", "shortcut", "scale_channels", "sam"), "tensor"),
    **dict.fromkeys(("upsample", "reorg", "reorg3d", "crop"), "shape"),
    **dict.fromkeys(("batchnorm", "normalization", "activation", "dropout", "empty", "history"), "norm"),
    **dict.fromkeys(HEAD_TYPES, "head"),
}
KEY_LINE = 30         # characters per line of keys in a box
KEY_LINES = 2         # lines of keys in a box (the tooltip has all)
VALUE_CHARS = 16      # a longer value is cut (anchors=...)
SHORT = {"batch_normalize": "bn", "activation": "act"}
# layer types in a folded box's summary
SHORT_TYPE = {"convolutional": "conv", "scale_channels": "scale", "local_avgpool": "lavgpool",
              "gaussian_yolo": "gyolo", "normalization": "lrn", "connected": "fc"}
EDGE_KEYS = frozenset({"layers", "from"})   # drawn as edges
_TYPE, _BFLOPS, _PARAMS = attrgetter("type"), attrgetter("bflops"), attrgetter("params")
_new = tuple.__new__    # a record's C constructor (a namedtuple's own __new__ is Python code): all fields given


class Mark(NamedTuple):
    code: str
    severity: str
    message: str
    line: int
    layer: int           # the layer the finding is on (or -1: the file)


class Unit(NamedTuple):
    id: str              # "L12", "B14-22", "input"
    first: int
    last: int
    lines: tuple[str, ...]      # box text
    category: str               # CSS class
    detail: str                 # tooltip text
    marks: tuple[Mark, ...]
    severity: str | None        # worst of marks
    time_share: float | None
    flop_share: float | None
    folded: bool = False        # a folded block (a click expands it in HTML)
    count: int = 1


class Edge(NamedTuple):
    src: str
    dst: str
    ref: bool            # a reference (route layers, from=) rather than the implicit previous layer
    label: str           # "w x h x c" of the source, and a route's slice
    src_layer: int
    dst_layer: int


class View(NamedTuple):
    units: tuple[Unit, ...]       # in layer order, "input" first
    edges: tuple[Edge, ...]
    marks: tuple[Mark, ...]       # every finding, for the legend
    title: str


class _Shown(NamedTuple):
    keys: tuple[str, ...]           # the keys a box may show, in LAYERS order
    defaults: tuple                 # their defaults
    labels: tuple[str, ...]         # what a box calls them
    activation: int                 # position of "activation" among them, or -1


_SHOWN: dict[str, _Shown] = {}   # layer type -> what its boxes may show
_MISSING = object()


def _shown(kind: str) -> _Shown:
    found = _SHOWN.get(kind)
    if found is None:
        spec = BY_TYPE.get(kind)
        items = [] if spec is None else [(k, d) for k, d in spec.defaults.items() if k not in EDGE_KEYS]
        names = tuple(k for k, _ in items)
        found = _SHOWN[kind] = _Shown(names, tuple(d for _, d in items), tuple(SHORT.get(k, k) for k in names),
                                      names.index("activation") if "activation" in names else -1)
    return found


def _text(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return str(value)


def keys(layer: Layer) -> list[str]:
    """``key=value`` for every key whose value differs from darknet's default, in ``LAYERS`` order;
    the activation always."""
    shown = _shown(layer.type)
    values = list(map(layer.conf.get, shown.keys, repeat(_MISSING)))
    differ = list(map(ne, values, shown.defaults))          # C-level: a flag per key
    if shown.activation >= 0:
        differ[shown.activation] = values[shown.activation] is not _MISSING
    # an int or a str prints as itself (the common case, no call); floats and lists through _text
    return [f"{label}={v}" if v.__class__ is int or v.__class__ is str else f"{label}={_text(v)}"
            for label, v in compress(zip(shown.labels, values), differ) if v is not None and v is not _MISSING]


def _wrap(items: list[str], width: int, lines: int) -> list[str]:
    out: list[str] = []
    cur = ""
    for item in items:
        if len(item) > VALUE_CHARS + 8:
            item = item[:VALUE_CHARS + 7] + "…"
        if cur and len(cur) + 1 + len(item) > width:
            out.append(cur)
            cur = item
        else:
            cur = f"{cur} {item}" if cur else item
    if cur:
        out.append(cur)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][:width - 1] + "…"
    return out


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _slice(layer: Layer, layers: Sequence[Layer]) -> str:
    """A grouped route's slice: ``[32:64]`` of each input's channels."""
    g, gid = layer.conf.get("groups", 1), layer.conf.get("group_id", 0)
    if layer.type != "route" or not g or g <= 1:
        return ""
    parts = []
    for r in layer.refs:
        c = layers[r].output.c if 0 <= r < len(layers) else 0
        part = c // g
        parts.append(f"ch {part * gid}:{part * (gid + 1)}")
    return " " + ",".join(dict.fromkeys(parts))


def _shape(layer: Layer) -> str:
    out = layer.output
    return "?" if layer.broken else f"{out.w}x{out.h}x{out.c}"


def _share(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def _worst(marks) -> str | None:
    if not marks:
        return None
    return max((m.severity for m in marks), key=SEVERITY_RANK.__getitem__)


def marks_by_layer(findings) -> tuple[dict[int, list[Mark]], tuple[Mark, ...]]:
    """Each finding on its layer, and on every other layer it names (``… and 1 more layer: 143``)."""
    by: dict[int, list[Mark]] = {}
    every = []
    for d in findings:
        layer = d.layer if d.layer is not None else -1
        m = Mark(d.code, d.severity, d.message, d.line or 0, layer)
        every.append(m)
        if layer >= 0:
            by.setdefault(layer, []).append(m)
        for _, other in (d.extra or {}).get("same", ()):
            if isinstance(other, int) and other != layer:
                by.setdefault(other, []).append(m._replace(layer=other))
    return by, tuple(every)


def _conf_text(layer: Layer) -> tuple:
    """What a layer's box takes from its conf (and type): the wrapped key lines, the keys for the
    tooltip (a line of their own, or ""), the type's head text and CSS class."""
    ks = keys(layer)
    kind = layer.type
    return tuple(_wrap(ks, KEY_LINE, KEY_LINES)), "\n" + " ".join(ks) if ks else "", " " + kind, \
        CATEGORY.get(kind, "other")


def _layer_unit(layer: Layer, layers, marks: dict, shares, memo: dict, shape: str) -> Unit:
    # twin sections (the very same lines) share one conf dict: what comes from it is worked out once
    found = memo.get(id(layer.conf))
    if found is None:
        found = memo[id(layer.conf)] = _conf_text(layer)
    wrapped, joined, kind, category = found
    i = layer.index
    lines = (f"{i}{kind}", *wrapped, "→ " + shape)
    detail = f"layer {i} [{layer.type}] line {layer.section.line}\ninput {'%dx%dx%d' % layer.input} → output {shape}"
    if layer.refs:
        detail += "\nreads layers " + ", ".join(map(str, layer.refs)) + _slice(layer, layers)
    floats = sum(layer.params)
    if floats:
        detail = f"{detail}{joined}\nparams {floats:,}  BFLOPs {layer.bflops:.3f}"
    elif joined:
        detail += joined
    t = f = None
    if shares is not None:
        t, f = shares[i]
        lines += (f"time {_share(t)} · FLOPs {_share(f)}",)
        detail += f"\nestimated time {_share(t)} of the network, FLOPs {_share(f)}"
    mine = marks.get(i)
    if mine:
        mine = tuple(mine)
        detail += "".join(f"\n{m.severity} {m.code}: {m.message}" for m in mine)
        return _new(Unit, (f"L{i}", i, i, lines, category, detail, mine, _worst(mine), t, f, False, 1))
    return _new(Unit, (f"L{i}", i, i, lines, category, detail, (), None, t, f, False, 1))


def _block_unit(block: Block, layers, marks: dict, marked: list[int], shares) -> Unit:
    """``marked``: the layers with marks, sorted."""
    members = layers[block.first:block.last + 1]
    inside = marked[bisect_left(marked, block.first):bisect_right(marked, block.last)]
    mine = tuple(m for i in inside for m in marks[i])
    kinds = Counter(map(_TYPE, members))     # first seen first
    head = f"{block.first}-{block.last}"
    name, _, more = block.label.partition(": ")
    times = f" x{block.count}" if block.count > 1 else ""
    lines = [_cut(f"{head}{times} {name}", KEY_LINE + 8)]
    if more and block.count == 1:
        lines.append(_cut(more, KEY_LINE + 8))
    lines.append(f"{len(members)} layers: " + ", ".join(
        f"{SHORT_TYPE.get(k, k)}{' x' + str(n) if n > 1 else ''}"
        for k, n in sorted(kinds.items(), key=lambda kv: -kv[1])[:3]) + (", …" if len(kinds) > 3 else ""))
    first_in = members[0].input
    lines.append(f"{first_in.w}x{first_in.h}x{first_in.c} → {_shape(members[-1])}")
    t = f = None
    if shares is not None:
        t = sum(shares[i][0] for i in range(block.first, block.last + 1))
        f = sum(shares[i][1] for i in range(block.first, block.last + 1))
        lines.append(f"time {_share(t)} · FLOPs {_share(f)}")
    bflops = sum(map(_BFLOPS, members))
    params = sum(map(sum, map(_PARAMS, members)))       # a layer's params sum to its file floats
    detail = [f"layers {head} ({block.label}{', ' + str(block.count) + ' identical units' if block.count > 1 else ''})",
              f"lines {members[0].line}-{members[-1].line}",
              f"input {first_in} → output {_shape(members[-1])}",
              f"params {params:,}  BFLOPs {bflops:.3f}",
              "layers: " + ", ".join(f"{k} x{n}" for k, n in kinds.items())]
    if shares is not None:
        detail.append(f"estimated time {_share(t)} of the network, FLOPs {_share(f)}")
    detail += [f"{m.severity} {m.code} (layer {m.layer}): {m.message}" for m in mine]
    detail.append("folded: the .html page expands it on click; --collapse none draws every layer")
    return Unit(block.id, block.first, block.last, tuple(lines), "block", "\n".join(detail), mine, _worst(mine),
                t, f, True, block.count)


def block_units(layers: Sequence[Layer], blocks: tuple[Block, ...], findings, shares=None) -> dict[str, Unit]:
    """The folded box of every block, nested ones included (the HTML page opens them one by one)."""
    marks, _ = marks_by_layer(findings)
    marked = sorted(marks)
    out: dict[str, Unit] = {}
    todo = list(blocks)
    while todo:
        b = todo.pop()
        out[b.id] = _block_unit(b, layers, marks, marked, shares)
        todo += b.children
    return out


def _shape_of(layers: Sequence[Layer], shapes: list, i: int) -> str:
    text = shapes[i]
    if text is None:
        layer = layers[i]
        text = shapes[i] = "?" if layer.broken else "%dx%dx%d" % layer.output
    return text


def view(layers: Sequence[Layer], blocks: tuple[Block, ...], findings, net_shape, title: str,
         collapse: bool, expanded: frozenset[str] = frozenset(), shares=None) -> View:
    """The units and edges of one picture. ``collapse``: top-level blocks folded unless ``expanded``
    names them; ``shares``: per layer (time share, FLOP share) or None."""
    marks, every = marks_by_layer(findings)
    marked = sorted(marks)
    owner: list[str] = [""] * len(layers)
    units: list[Unit] = []
    w, h, c = net_shape
    units.append(Unit("input", -1, -1, ("input", f"→ {w}x{h}x{c}"), "data", f"network input {w}x{h}x{c}",
                      (), None, None, None))
    folded: dict[int, Block] = {}
    memo: dict[int, tuple] = {}     # id(conf) -> keys; the layers hold their confs for the whole call
    if collapse:
        for b in blocks:
            if b.id not in expanded:
                folded[b.first] = b
    # output shapes as text, made when a box or an edge label first needs one
    shapes: list[str | None] = [None] * len(layers)
    i = 0
    n = len(layers)
    while i < n:
        b = folded.get(i)
        if b is not None:
            u = _block_unit(b, layers, marks, marked, shares)
            units.append(u)
            owner[b.first:b.last + 1] = [u.id] * (b.last + 1 - b.first)
            i = b.last + 1
            continue
        layer = layers[i]
        shape = shapes[i] = "?" if layer.broken else "%dx%dx%d" % layer.output
        u = _layer_unit(layer, layers, marks, shares, memo, shape)
        units.append(u)
        owner[i] = u.id
        i += 1
    edges: dict[tuple[str, str], Edge] = {}
    source = f"{w}x{h}x{c}"
    # only the first layer of a box and the layers with references can start an edge between boxes
    entries = sorted({u.first for u in units if u.first >= 0}.union(i for i, layer in enumerate(layers) if layer.refs))
    for v in entries:
        layer = layers[v]
        dst = owner[v]
        if layer.type != "route":       # the implicit previous-layer edge
            src = owner[v - 1] if v else "input"
            if src != dst and (src, dst) not in edges:
                edges[(src, dst)] = _new(Edge, (src, dst, False, _shape_of(layers, shapes, v - 1) if v else source,
                                                v - 1, v))
        for r in layer.refs:
            if not 0 <= r < n:          # outside the network (a finding says so): nothing to draw from
                continue
            src = owner[r]
            if src == dst:
                continue
            old = edges.get((src, dst))
            if old is not None and old.ref:
                continue
            edges[(src, dst)] = _new(Edge, (src, dst, True, _shape_of(layers, shapes, r) + _slice(layer, layers), r, v))
    return View(tuple(units), tuple(edges.values()), every, title)
