"""The block tree: which contiguous layer ranges may fold into one box.

Blocks come from two places. A cfg ``cfggen build`` wrote names its blocks in comments
(``# stage 2 block 1: MBConv6 k3 s2, 16 -> 24, SE 4``); any other cfg gets blocks from its wiring: a
span that is entered from one layer and left from its last layer only (single entry, single exit),
ending in a layer that merges (a ``[shortcut]`` and the span back to its ``from``, a ``[route]`` of
several layers closing a CSP split, a ``[scale_channels]``/``[sam]`` closing a squeeze-excitation).
Candidates that cross are dropped (comment blocks first, then longer spans), so the accepted spans
nest into a tree. Consecutive sibling blocks made of the same layers become one run ("x N").

Pure: ``Network`` (+ the document's comments) in, a tuple of frozen ``Block`` out. A block never holds
a head layer (heads stay visible at every collapse level).
"""
from __future__ import annotations

import bisect
import re
from typing import NamedTuple, Sequence

from cfggen.ir.model import Layer

# darknet's detection and loss layers: drawn as heads, never folded away
HEAD_TYPES = frozenset({"yolo", "gaussian_yolo", "region", "detection", "softmax", "cost", "contrastive"})
# layers whose extra inputs close a structure that may fold
MERGE_TYPES = frozenset({"shortcut", "route", "scale_channels", "sam"})
MAX_SPAN = 256          # a longer span is a network part, not a block
MIN_SPAN = 3
# keys that do not make two units different: references (compared relatively) and the dropout rate
# (the generator's drop-connect stand-in grows along the network; identity at inference)
_UNSIGNED = frozenset({"layers", "from", "probability"})

_new = tuple.__new__    # a record's C constructor (a namedtuple's own __new__ is Python code): all fields given
_HINT = re.compile(r"#\s*stage\s+\d+\s+block\s+\d+\s*:")
_HINT_END = re.compile(r"#\s*====")
_HINT_TEXT = re.compile(r"^[ \t]*#\s*stage\s+\d+\s+block\s+\d+\s*:", re.M)


class Block(NamedTuple):
    first: int                      # first layer index
    last: int                       # last layer index (inclusive)
    label: str                      # "stage 2 block 1: MBConv6 k3 s2, 16 -> 24", "residual", "CSP", ...
    children: tuple["Block", ...]   # nested blocks, in layer order
    count: int = 1                  # > 1: a run of `count` identical units (the children)

    @property
    def id(self) -> str:
        return f"B{self.first}-{self.last}"


def inputs(layer: Layer) -> tuple[int, ...]:
    """The layers ``layer`` reads: the previous one (-1 = the network input) unless it is a
    ``[route]``, then every reference."""
    if layer.type == "route":
        return tuple(layer.refs)
    return (layer.index - 1, *layer.refs)


def _hinted(layers: Sequence[Layer], comments) -> list[tuple[int, int, str]]:
    """Spans named by the generator's block comments."""
    starts: list[tuple[int, str]] = []   # (comment line, label) ; label "" ends a block
    for c in comments:
        text = c.text.strip()
        if _HINT.match(text):
            starts.append((c.line, text.lstrip("#").strip()))
        elif _HINT_END.match(text):
            starts.append((c.line, ""))
    if not starts:
        return []
    lines = [layer.section.line for layer in layers]
    spans = []
    for k, (line, label) in enumerate(starts):
        if not label:
            continue
        first = bisect.bisect_left(lines, line)
        end_line = starts[k + 1][0] if k + 1 < len(starts) else None
        last = (bisect.bisect_left(lines, end_line) if end_line is not None else len(lines)) - 1
        if first <= last:
            spans.append((first, last, label))
    return spans


def _closed(first: int, last: int, layers: Sequence[Layer], reach: list[int]) -> bool:
    """One entry (every input from outside the span comes from the same layer), one exit (only
    ``last`` is read after the span)."""
    if last > first and max(reach[first:last]) > last:      # read after the span (one C-level pass)
        return False
    source = None
    for v in range(first, last + 1):
        layer = layers[v]
        refs = layer.refs
        if not refs:            # reads the previous layer only (or nothing: a broken [route])
            if v == first and layer.type != "route":
                source = v - 1
            continue
        for u in (refs if layer.type == "route" else (v - 1, *refs)):
            if u < first or u > last:
                if source is None:
                    source = u
                elif u != source:
                    return False
    return True


def _same_layer(a: Layer, b: Layer) -> bool:
    """Two layers doing the same thing: type, references relative to themselves, every other key."""
    if a.type != b.type or len(a.refs) != len(b.refs):
        return False
    if any(r - a.index != q - b.index for r, q in zip(a.refs, b.refs)):
        return False
    if a.conf == b.conf:
        return True
    return ({k: v for k, v in a.conf.items() if k not in _UNSIGNED}
            == {k: v for k, v in b.conf.items() if k not in _UNSIGNED})


def _same(layers: Sequence[Layer], x: "Block", y: "Block") -> bool:
    """Blocks of identical layers (and identical nesting)."""
    if x.last - x.first != y.last - y.first or len(x.children) != len(y.children):
        return False
    for a, b in zip(layers[x.first:x.last + 1], layers[y.first:y.last + 1]):
        # twin sections (the very same lines) share their conf: the same layer unless it references
        if not (a.conf is b.conf and not a.refs and not b.refs and a.type == b.type) and not _same_layer(a, b):
            return False
    return True


def _label(layers: Sequence[Layer], first: int, last: int) -> str:
    kind = layers[last].type
    if kind != "route":
        return {"shortcut": "residual", "scale_channels": "squeeze-excitation", "sam": "spatial attention"}[kind]
    inside = {layer.type for layer in layers[first:last]}
    if inside <= {"maxpool", "route"}:
        return "SPP"                   # parallel poolings, concatenated
    split = any(layer.type == "route" and (layer.conf.get("groups") or 1) > 1 for layer in layers[first - 1:last])
    return "CSP" if "shortcut" in inside or split else "concat"


def detect(layers: Sequence[Layer], doc=None) -> tuple[Block, ...]:
    """The top-level blocks of a network, each with its nested blocks (see the module docstring);
    ``doc``: the parsed document, whose block comments name blocks."""
    n = len(layers)
    types = [layer.type for layer in layers]
    # the furthest layer reading each layer: the next one unless it is a [route], then the references
    reach = [u + 1 if u + 1 < n and types[u + 1] != "route" else u for u in range(n)]
    merges = []
    for layer in layers:
        if layer.refs:
            v = layer.index
            for u in layer.refs:
                if 0 <= u < n and v > reach[u]:
                    reach[u] = v
            if layer.type in MERGE_TYPES and (layer.type != "route" or len(layer.refs) > 1):
                merges.append(layer)
    heads = [i for i, t in enumerate(types) if t in HEAD_TYPES]

    def has_head(first: int, last: int) -> bool:
        k = bisect.bisect_left(heads, first)
        return k < len(heads) and heads[k] <= last

    candidates: list[tuple[int, int, int, str]] = []   # (priority, first, last, label)
    if doc is not None and "block" in doc.text and _HINT_TEXT.search(doc.text):
        for first, last, label in _hinted(layers, doc.comments):
            if not has_head(first, last):
                candidates.append((0, first, last, label))
    for layer in merges:
        v = layer.index
        low = min(layer.refs) if layer.type == "route" else min(v - 1, *layer.refs)
        if low < 0 or v - low > MAX_SPAN:
            continue
        for first in (low + 1, low):
            if v - first + 1 >= MIN_SPAN and not has_head(first, v) and _closed(first, v, layers, reach):
                candidates.append((1, first, v, _label(layers, first, v)))
                break
    # comment blocks first, then longer spans first; a span crossing an accepted one is dropped
    candidates.sort(key=lambda c: (c[0], c[1] - c[2], c[1]))
    accepted: list[tuple[int, int, str]] = []
    starts: list[tuple[int, int]] = []      # (first, last) of the accepted spans, sorted
    ends: list[tuple[int, int]] = []        # (last, first), sorted
    seen = set()
    for _, first, last, label in candidates:
        if (first, last) in seen:
            continue
        # crossing: an accepted span starting inside (first, last] and ending after it, or ending inside
        # [first, last) and starting before it
        k = bisect.bisect_right(starts, (first, n))
        cross = False
        while k < len(starts) and starts[k][0] <= last:
            if starts[k][1] > last:
                cross = True
                break
            k += 1
        if not cross:
            k = bisect.bisect_left(ends, (first, -1))
            while k < len(ends) and ends[k][0] < last:
                if ends[k][1] < first:
                    cross = True
                    break
                k += 1
        if cross:
            continue
        seen.add((first, last))
        accepted.append((first, last, label))
        bisect.insort(starts, (first, last))
        bisect.insort(ends, (last, first))
    accepted.sort(key=lambda s: (s[0], -s[1]))
    return _runs(_nest(accepted, 0, len(accepted))[0], layers)


def _nest(spans: list[tuple[int, int, str]], i: int, end: int) -> tuple[tuple[Block, ...], int]:
    """Spans sorted by (first, -last), laminar -> trees."""
    out = []
    while i < end:
        first, last, label = spans[i]
        j = i + 1
        while j < end and spans[j][0] <= last:
            j += 1
        kids, _ = _nest(spans, i + 1, j)
        out.append(_new(Block, (first, last, label, kids, 1)))
        i = j
    return tuple(out), i


def _runs(blocks: tuple[Block, ...], layers) -> tuple[Block, ...]:
    """Consecutive sibling blocks of identical layers -> one run block of ``count`` units, at every level."""
    out: list[Block] = []
    i = 0
    while i < len(blocks):
        j = i + 1
        while j < len(blocks) and blocks[j].first == blocks[j - 1].last + 1 and _same(layers, blocks[i], blocks[j]):
            j += 1
        if j - i > 1:
            unit = blocks[i].label.split(":")[0] if blocks[i].label.startswith("stage") else blocks[i].label
            out.append(Block(blocks[i].first, blocks[j - 1].last, unit, blocks[i:j], j - i))
        else:
            out.append(_with_runs(blocks[i], layers))
        i = j
    return tuple(out)


def _with_runs(block: Block, layers) -> Block:
    if not block.children:
        return block
    return _new(Block, (block.first, block.last, block.label, _runs(block.children, layers), block.count))
