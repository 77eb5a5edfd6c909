"""What a rule module sees, and small helpers shared by rules.

Everything several rules need about a document (which lines are merge-conflict markers, which keys
each section may have, ...) is computed once per document by ``facts(doc)`` and cached on the
document, so no rule re-reads or re-parses the text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from cfggen.cfg.model import Document, Option, Section
from cfggen.ir.build import Plan
from cfggen.ir.cnum import atof, atoi
from cfggen.ir.layers import ACTIVATIONS, COMMON_KEYS, LAYERS, NET_DEFAULTS, NET_TYPES
from cfggen.ir.model import Layer, Network
from cfggen.lint.model import Diagnostic


@dataclass(frozen=True)
class RuleContext:
    doc: Document
    plan: Plan
    net: Network                         # the network at `size` (file-scope rules: the native size)
    size: tuple[int, int] | None         # None: the cfg's own size
    options: Mapping[str, Any] = field(default_factory=dict)  # e.g. "names": NamesInfo from --data/--names


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
_CONFLICT = re.compile(r"^(?:(?:<{7}|>{7}|\|{7})(?:[ \t][^\n]*)?|={7}[ \t]*)\r?$", re.MULTILINE)


@dataclass(frozen=True)
class Facts:
    conflict_lines: frozenset[int]       # merge-conflict marker lines (git's <<<<<<<, =======, >>>>>>>)
    key_types: tuple[dict[str, str] | None, ...]   # per section: the keys darknet reads there (None: unknown)
    # (section index, section, option) for every option line some key/value rule may have to look at;
    # the others are plainly right (see ``_odd_options``), so those rules loop over this short list
    odd: tuple[tuple[int, Section, Option], ...]
    memo: dict = field(default_factory=dict, compare=False)   # other per-document values rules compute once


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
    if "<<<<<<<" in text or "=======" in text or ">>>>>>>" in text or "|||||||" in text:
        for m in _CONFLICT.finditer(text):
            conflicts.add(text.count("\n", 0, m.start()) + 1)
    types: list[dict[str, str] | None] = []
    for i, section in enumerate(doc.sections):
        if i == 0 and section.header in ("[net]", "[network]"):
            types.append(NET_TYPES)
        else:
            spec = LAYERS.get(section.header)
            types.append(_with_common(spec) if spec is not None else None)
    spaced = frozenset(text.count("\n", 0, m.start()) + 1 for m in _SPACED.finditer(text))
    memo = {"spaced": spaced}
    return Facts(frozenset(conflicts), tuple(types), _odd_options(doc, types, spaced), memo)


# digits separated only by blanks (darknet deletes the blanks and reads one longer number: DN107)
_SPACED = re.compile(r"[0-9.]([ \t]+)[-+0-9.]")
_PLAIN_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_FLOAT_TO_INT = frozenset(("resize_step", "show_receptive_field", "assisted_excitation", "dropblock_size_abs"))
_ACTIVATIONS = frozenset(ACTIVATIONS)


def _odd_options(doc: Document, types, spaced: frozenset[int]) -> tuple[tuple[int, Section, Option], ...]:
    """The one shared pass over every option (issue #14): everything but the plainly right ones.

    Plainly right = in a known section, a key it reads, ``key=value`` with a value that is a plain
    non-negative integer (int keys, single list entries), a plain decimal float, or a known
    activation; no '#', no ',', not on a line where blanks split a number. No option rule (DN102,
    DN104-DN108, DN111) can report such an option; anything else goes to the list they loop over.
    """
    odd = []
    append = odd.append
    plain_float = _PLAIN_FLOAT.fullmatch
    for i, section in enumerate(doc.sections):
        known = types[i]
        if known is None:
            odd.extend((i, section, opt) for opt in section.options)
            continue
        get = known.get
        for opt in section.options:
            key, value, line, _, _, form = opt
            if form != "ok" or (spaced and line in spaced):
                append((i, section, opt))
                continue
            # each plain form below holds no '#' and no ','
            typ = get(key)
            if typ == "i":
                if value.isdigit() and value.isascii():
                    continue
            elif typ == "f":
                if key not in _FLOAT_TO_INT and plain_float(value):
                    continue
            elif typ == "l":
                v = value[1:] if value[0] == "-" else value
                if v.isdigit() and v.isascii():
                    continue
            elif typ == "s":
                if key == "activation" and value in _ACTIVATIONS:
                    continue
            append((i, section, opt))
    return tuple(odd)


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
