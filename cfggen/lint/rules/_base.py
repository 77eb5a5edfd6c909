"""What a rule module sees, and small helpers shared by rules.

Everything several rules need about a document (which lines are merge-conflict markers, which keys
each section may have, ...) is computed once per document by ``facts(doc)`` and cached on the
document, so no rule re-reads or re-parses the text.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import Any, Mapping

from cfggen.cfg.model import Document, Option, Section
from cfggen.ir.build import Plan
from cfggen.ir.cnum import atof, atoi
from cfggen.ir.layers import ACTIVATIONS, COMMON_KEYS, LAYERS, NET_DEFAULTS, NET_TYPES
from cfggen.ir.model import Layer, Network
from cfggen.lint.model import Diagnostic


class RuleContext:
    """What a rule sees. Read-only by convention (a plain class with slots: a frozen dataclass costs a
    code generation at import and a slow ``__init__`` for every context the engine makes)."""

    __slots__ = ("doc", "plan", "net", "size", "options", "memo")

    def __init__(self, doc: Document, plan: Plan, net: Network, size: tuple[int, int] | None,
                 options: Mapping[str, Any] | None = None):
        self.doc = doc
        self.plan = plan
        self.net = net                   # the network at `size` (file-scope rules: the native size)
        self.size = size                 # None: the cfg's own size
        self.options = {} if options is None else options   # e.g. "names": NamesInfo from --data/--names
        self.memo: dict = {}             # what several rules derive from ``net`` (``layer_index(ctx)``)


_INDEX = attrgetter("index")


class ConvSettings:
    """Whether any [convolutional] layer has groups > 1, dilation > 1, stride_x or stride_y set (>= 1),
    a positive even size: the settings without which DN212, DN215, DN216, DN217 cannot report."""

    __slots__ = ("groups", "dilation", "strides", "even_size")

    def __init__(self, groups: bool, dilation: bool, strides: bool, even_size: bool):
        self.groups, self.dilation, self.strides, self.even_size = groups, dilation, strides, even_size


class Layers:
    """The network's layers indexed once, in one pass, for every rule that looks only at some of them.

    Most rules are about a few layer types (heads, routes) or a rare setting (groups, dilation); a
    Python loop over every layer per rule was most of their cost. One loop here collects what they
    ask about (a plain loop: in CPython 3.11 a ``map`` of attrgetter/methodcaller per layer costs more
    than the specialised bytecode of a loop body)."""

    __slots__ = ("layers", "present", "activations", "broken", "positive", "_by_type", "_of", "_conv")

    def __init__(self, layers):
        self.layers = layers
        by_type: dict[str, list] = {}
        activations = set()
        add_activation = activations.add
        broken = False
        positive = True
        for layer in layers:
            group = by_type.get(layer.type)
            if group is None:
                by_type[layer.type] = [layer]
            else:
                group.append(layer)
            add_activation(layer.conf.get("activation"))
            if layer.broken:
                broken = True
            w, h, c = layer.next
            if w <= 0 or h <= 0 or c <= 0:
                positive = False
        self._by_type = by_type
        self._of: dict = {}
        self._conv: ConvSettings | None = None
        self.present = by_type.keys()          # the layer types the network has
        self.activations = frozenset(activations)   # every layer's conf.get("activation")
        self.broken = broken                   # whether any layer is one darknet would stop at
        self.positive = positive               # whether every layer's ``next`` is positive everywhere

    def of(self, *types: str) -> list:
        """The layers of these types, in network order (the same list for every rule that asks)."""
        found = self._of.get(types)
        if found is None:
            groups = [self._by_type[t] for t in types if t in self._by_type]
            if not groups:
                found = []
            elif len(groups) == 1:
                found = groups[0]
            else:
                found = sorted((layer for group in groups for layer in group), key=_INDEX)
            self._of[types] = found
        return found

    def conv(self) -> "ConvSettings":
        """Which rare [convolutional] settings the network uses at all (one loop, for DN212/DN215-DN217)."""
        if self._conv is None:
            groups = dilation = strides = even = False
            # twin layers share one conf dict: each distinct conf is looked at once
            for k in {id(layer.conf): layer.conf for layer in self.of("convolutional")}.values():
                if k["groups"] > 1:
                    groups = True
                if k["dilation"] > 1:
                    dilation = True
                if k["stride_x"] >= 1 or k["stride_y"] >= 1:
                    strides = True
                size = k["size"]
                if size > 0 and not size % 2:
                    even = True
            self._conv = ConvSettings(groups, dilation, strides, even)
        return self._conv

    def values(self, key: str, *types: str) -> list:
        """``conf[key]`` of every layer of these types (type by type; for max/any/set tests)."""
        return [layer.conf[key] for t in types for layer in self._by_type.get(t, ())]


def layer_index(ctx: RuleContext) -> Layers:
    """``ctx.net``'s layer index (built on first use, shared by the rules of this context)."""
    index = ctx.memo.get("layers")
    if index is None:
        index = ctx.memo["layers"] = Layers(ctx.net.layers)
    return index


def at(section: Section, key: str | None = None) -> tuple[int, int]:
    """(line, col) of a key in a section (the first, darknet's), or of the section header."""
    if key is not None:
        opt = section.get(key)
        if opt is not None:
            return opt.line, opt.col
    return section.line, section.col


def diag(code: str, message: str, section: Section, key: str | None = None, **kw) -> Diagnostic:
    line, col = at(section, key)
    return Diagnostic(code, message, line=line, col=col, **kw)


def at_option(code: str, message: str, opt: Option, value: bool = False, **kw) -> Diagnostic:
    """A finding at an option line: at its key, or at its value (``value=True``)."""
    col = opt.value_col if value else opt.col
    return Diagnostic(code, message, line=opt.line, col=col, **kw)


# ------------------------------------------------------------------------------------------------
# per-document facts, computed once

# git's conflict markers: "<<<<<<< ours", "=======", ">>>>>>> theirs" (and diff3's "||||||| base")
# (compiled on first use by re's own cache: only a file with such a run of characters needs it)
_CONFLICT = r"^(?:(?:<{7}|>{7}|\|{7})(?:[ \t][^\n]*)?|={7}[ \t]*)\r?$"


class Facts:
    """A document's facts (a plain class with slots: no dataclass code generation at import)."""

    __slots__ = ("conflict_lines", "key_types", "odd", "memo", "unknown", "repeated")

    def __init__(self, conflict_lines, key_types, odd, memo=None, unknown=(), repeated=()):
        self.conflict_lines: frozenset[int] = conflict_lines   # merge-conflict marker lines (<<<<<<<, ...)
        # per section: the keys darknet reads there (None: an unknown section type)
        self.key_types: tuple[dict[str, str] | None, ...] = key_types
        # (section index, section, option) for every option line some key/value rule may have to look at;
        # the others are plainly right (see ``_odd_options``), so those rules loop over this short list
        self.odd: tuple[tuple[int, Section, Option], ...] = odd
        self.memo: dict = {} if memo is None else memo   # other per-document values rules compute once
        self.unknown: tuple[int, ...] = unknown     # the sections whose type darknet does not know
        self.repeated: tuple[int, ...] = repeated   # the known sections that have some key twice (DN103)


def facts(doc: Document) -> Facts:
    """The document's facts, computed on first use and cached in ``doc.extra``."""
    extra = getattr(doc, "extra", None)
    if extra is None:
        return _facts(doc)
    f = extra.get("lint.facts")
    if f is None:
        f = extra["lint.facts"] = _facts(doc)
    return f


def _facts(doc: Document) -> Facts:
    conflicts = set()
    text = doc.text
    # a marker starts its line: a comment rule such as "#=======" (common in cfgs) needs no regex scan;
    # '<', '>' and '|' are rare in a cfg, and a one-character search (memchr) is far cheaper than a
    # search for a longer string, so those markers are looked for only in a text that has the character
    if ("<" in text and "\n<<<<<<<" in text) or "\n=======" in text or (">" in text and "\n>>>>>>>" in text) or \
            ("|" in text and "\n|||||||" in text) or text.startswith(("<<<<<<<", "=======", ">>>>>>>", "|||||||")):
        for m in re.finditer(_CONFLICT, text, re.MULTILINE):
            conflicts.add(text.count("\n", 0, m.start()) + 1)
    get = (_TABLES or _tables()).get
    sections = doc.sections
    # per section, the (types, kinds) of its header (maps: a section is a few C steps here)
    tables = list(map(get, map(_HEADER, sections), repeat(_NO_TABLE)))
    if sections and (sections[0].header == "[net]" or sections[0].header == "[network]"):
        tables[0] = _NET_TABLE
    unknown = [i for i, table in enumerate(tables) if table is _NO_TABLE] if _NO_TABLE in tables else []
    spaced = _spaced(text)
    memo = {"spaced": spaced}
    odd, repeated = _odd_options(doc, list(map(_SECOND, tables)), spaced)
    return Facts(frozenset(conflicts), tuple(map(_FIRST, tables)), odd, memo, tuple(unknown), repeated)


_HEADER = attrgetter("header")
_FIRST, _SECOND = itemgetter(0), itemgetter(1)


def net_options(doc: Document) -> dict[str, Option]:
    """key -> the option darknet reads for it in [net] (``Section.get`` for every key at once: the
    schedule rules ask [net] for a dozen keys, each a walk over its options otherwise)."""
    memo = facts(doc).memo
    found = memo.get("net")
    if found is None:
        found = memo["net"] = {}
        if doc.net is not None:
            for opt in reversed(doc.net.options):   # the first occurrence is written last and wins
                if opt.form != "empty":
                    found[opt.key] = opt
    return found


def at_net(doc: Document, key: str) -> tuple[int, int]:
    """``at(doc.net, key)`` through ``net_options``."""
    opt = net_options(doc).get(key)
    return (opt.line, opt.col) if opt is not None else (doc.net.line, doc.net.col)


def always_odd(header: str, key: str) -> bool:
    """Whether every ``key`` option of a ``header`` section goes to ``Facts.odd`` (the key has no plain
    form there): a rule about such a key can look at the short list only. ``header`` "[net]": the
    first section."""
    tables = _TABLES or _tables()
    kinds = _NET_TABLE[1] if header == "[net]" else tables.get(header, _NO_TABLE)[1]
    return kinds is None or key not in kinds


# digits separated only by blanks (darknet deletes the blanks and reads one longer number: DN107)
# are DN107's ``_SPACED``, r"[0-9.]([ \t]+)[-+0-9.]": ``_spaced`` finds the lines where it matches
_PLAIN_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_PLAIN_INT_LIST = re.compile(r"-?[0-9]+(?:,-?[0-9]+)+")
_FLOAT_TO_INT = frozenset(("resize_step", "show_receptive_field", "assisted_excitation", "dropblock_size_abs"))
_ACTIVATIONS = frozenset(ACTIVATIONS)

# DN107's ``_SPACED`` over the whole text, fast: a regex that starts with a character class tries every
# position, one that starts with a literal is searched for in C. So the text is first mapped
# (bytes.translate, a table lookup per byte) to: digit or '.' -> \x01, '+'/'-' -> \x02, tab -> space,
# and the literal pattern is searched there. Bytes keep the newlines, so line numbers are the same;
# non-ASCII characters become bytes >= 0x80, which the table leaves alone (as ``_SPACED`` ignores them).
_SPACED_MAP = bytes(1 if b in b"0123456789." else 2 if b in b"+-" else 32 if b == 9 else 3 if b in (1, 2)
                    else b for b in range(256))
# written with a two-byte literal start ("\x01 " then " *", not "\x01 +"): re searches for a literal
# prefix in C and tries the rest only there, and a digit followed by a blank is rare where every
# value has digits
_SPACED_BYTES = re.compile(rb"\x01  *[\x01\x02]")


def _spaced(text: str) -> frozenset[int]:
    """The lines where DN107's ``_SPACED`` matches (a number and a digit separated only by blanks)."""
    if " " not in text and "\t" not in text:
        return frozenset()
    data = text.encode("utf-8", "surrogatepass").translate(_SPACED_MAP)
    lines = []
    line, at = 1, 0
    count = data.count
    for m in _SPACED_BYTES.finditer(data):     # line numbers counted on from the previous match
        start = m.start()
        line += count(b"\n", at, start)
        at = start
        lines.append(line)
    return frozenset(lines)


# header -> (the keys darknet reads there, key -> the plain form it can take); built on first use
_TABLES: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
_NET_TABLE: list = []
_NO_TABLE = (None, None)


def _kinds(types: dict[str, str]) -> dict[str, str]:
    """key -> "i" (plain: digits), "l" (a list: an optional '-' then digits, or several such
    separated by commas; "r" after ``_tables`` where the list key takes one entry only), "f" (a plain
    decimal float), "a" (a known activation); keys without a plain form (other strings, floats darknet stores in an
    int) are left out: their options always go to the list the option rules look at."""
    out = {}
    for key, typ in types.items():
        if typ in ("i", "l") or (typ == "f" and key not in _FLOAT_TO_INT):
            out[key] = typ
        elif typ == "s" and key == "activation":
            out[key] = "a"
    return out


# sections whose list-typed ``from`` takes one layer only (DN107 reports a comma there): kind "r"
_SINGLE_REF = ("[sam]", "[scale_channels]")


def _tables() -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    for header, spec in LAYERS.items():
        merged = _with_common(spec)
        kinds = _kinds(merged)
        if header in _SINGLE_REF and kinds.get("from") == "l":
            kinds["from"] = "r"
        _TABLES[header] = (merged, kinds)
    _NET_TABLE[:] = (NET_TYPES, _kinds(NET_TYPES))
    return _TABLES


def _odd_options(doc: Document, kinds, spaced: frozenset[int]
                 ) -> tuple[tuple[tuple[int, Section, Option], ...], tuple[int, ...]]:
    """The one shared pass over every option (issue #14): everything but the plainly right ones.

    Plainly right = in a known section, a key it reads, ``key=value`` with a value that is a plain
    non-negative integer (int keys), an optional '-' and digits or a comma list of such (list keys;
    one entry only for the single-reference ``from`` of [sam]/[scale_channels]), a plain decimal
    float, or a known activation; no '#', not on a line where blanks split a number. No option rule
    (DN102, DN104-DN108, DN111) can report such an option; anything else goes to the list they loop
    over. The same pass notes the known sections that have a key twice (for DN103).

    It looks at the first section of each group of twins (``Document.twins``): a twin of a clean
    section is clean, and only the twins of the others (or on a line where blanks split a number)
    are visited one by one. A section of plain ``key=value`` lines is decided on its pairs
    (``Section.pairs``), so a clean section's option records are never built. Per option it does as
    little as it can: one dict lookup for the key's plain form, then one str method (``isdigit`` is
    true only for ASCII digits once the whole text is known to be ASCII).
    """
    odd = []
    append = odd.append
    plain_float = _PLAIN_FLOAT.fullmatch
    plain_list = _PLAIN_INT_LIST.fullmatch
    ascii_text = doc.text.isascii()
    repeated = []
    # a twin (the very same options as an earlier section, ``Document.twins``) of a section with
    # nothing odd and no key twice has nothing either, and its options are not even built; only a
    # blank splitting a number (``spaced``, known by line) tells twins apart
    twins = doc.twins
    clean = set()
    split = set()
    if spaced:
        starts = [section.line for section in doc.sections]
        split = {bisect_right(starts, line) - 1 for line in spaced}

    def plain(kind, value) -> bool:
        """Whether a ``key=value`` option whose key has this plain form is plainly right."""
        if kind == "i":
            return value.isdigit() and (ascii_text or value.isascii())
        if kind == "f":
            return (value.replace(".", "", 1).isdigit() and (ascii_text or value.isascii())) or \
                plain_float(value) is not None
        if kind == "l" or kind == "r":
            v = value[1:] if value[0] == "-" else value
            if v.isdigit() and (ascii_text or v.isascii()):
                return True
            # a list of plain integers (layers=-1,-3; mask=0,1,2): every entry is read by atoi as
            # written; a single-reference key ("r") with a comma is DN107's
            return kind == "l" and plain_list(value) is not None
        return kind == "a" and value in _ACTIVATIONS

    sections = doc.sections
    # the first section of each group of twins, then (at -1) the twins that need a look of their own
    work = [i for i, t in enumerate(twins) if t == i]
    work.append(-1)
    resort = False
    for i in work:
        if i < 0:
            later = [k for k, t in enumerate(twins) if t != k and (t not in clean or k in split)]
            if later:
                work.extend(later)   # visited by this very loop, after the first sections
                resort = True
            continue
        section = sections[i]
        known = kinds[i]
        if known is None:
            odd.extend((i, section, opt) for opt in section.options)
            continue
        get = known.get
        # a section of plain key=value lines is decided on its (key, value) pairs, without building
        # its option records, when every option is plainly right and no key repeats
        pairs = None if i in split else section.pairs()     # (None once the records are built)
        if pairs is not None and len(set(map(_FIRST, pairs))) == len(pairs):
            # the hot path: ``plain`` inlined (a call per option would cost more than the test)
            for key, _, value in pairs:
                kind = get(key)
                if kind == "i":
                    if value.isdigit() and (ascii_text or value.isascii()):
                        continue
                elif kind == "a":
                    if value in _ACTIVATIONS:
                        continue
                elif kind == "l":
                    v = value[1:] if value[0] == "-" else value
                    if v.isdigit() and (ascii_text or v.isascii()) or plain(kind, value):
                        continue
                elif kind is not None:
                    if plain(kind, value):
                        continue
                break
            else:
                clean.add(i)
                continue
        seen = {}
        for opt in section.options:
            key, value, line, _, _, form = opt
            seen[key] = None
            # each plain form holds no '#' and no ',' (but for the integer lists)
            if form == "ok" and not (spaced and line in spaced) and plain(get(key), value):
                continue
            append((i, section, opt))
        if len(seen) != len(section.options):
            repeated.append(i)
        elif not odd or odd[-1][0] != i:
            clean.add(i)
    if resort:   # back to file order (a stable sort: each section's options stay in line order)
        odd.sort(key=_FIRST)
        repeated.sort()
    return tuple(odd), tuple(repeated)


_COMMON: dict[int, dict[str, str]] = {}


def _with_common(spec) -> dict[str, str]:
    merged = _COMMON.get(id(spec))
    if merged is None:
        merged = _COMMON[id(spec)] = {**spec.types, **COMMON_KEYS}
    return merged


def is_net(doc: Document, section: Section) -> bool:
    return section is doc.net


# ------------------------------------------------------------------------------------------------
# did-you-mean

def suggest(word: str, candidates, cutoff: float = 0.75) -> str | None:
    """The closest candidate: same spelling in another case first, then difflib's best match."""
    folded = {c.lower(): c for c in candidates}
    if word.lower() in folded:
        return folded[word.lower()]
    import difflib   # only when a finding needs a suggestion
    close = difflib.get_close_matches(word.lower(), list(folded), n=1, cutoff=cutoff)
    return folded[close[0]] if close else None


def value_head(value: str | None) -> str:
    """The part of a value before an inline comment (darknet keeps the comment; see DN106)."""
    if value is None:
        return ""
    return value.split("#", 1)[0]


def previous_layer(net: Network, layer: Layer) -> Layer | None:
    return net.layers[layer.index - 1] if layer.index > 0 else None


def is_default(section, is_net, key: str, value: str) -> bool:
    """Whether ``value``, read the way darknet reads ``key``, equals the key's default (the setting changes nothing)."""
    spec = None if is_net else LAYERS.get(section.header)
    defaults = NET_DEFAULTS if is_net else (spec.defaults if spec is not None else {})
    types = NET_TYPES if is_net else (spec.types if spec is not None else {})
    if key not in defaults or value is None:
        return False
    default, typ = defaults[key], types.get(key)
    if typ == "i":
        return atoi(value) == default
    if typ == "f":
        return atof(value) == default
    if typ == "s":
        return value == default
    return False
