"""Run the catalogue over a document: every checked input size, severities, suppressions, sorting.

``analyze(doc, sizes)`` is the one entry point. Optional keyword arguments narrow it down without
changing the default behaviour: ``rules`` (the codes to report; every other finding is dropped and
its check is not even run), ``severity`` (per-code overrides, e.g. from the configuration) and
``options`` (extra facts some rules compare against, e.g. the dataset's class names).
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

from cfggen.cfg.model import Document
from cfggen.ir.build import Plan, infer, plan
from cfggen.ir.model import Network
from cfggen.ir.sizes import training_sizes
from cfggen.ir.spatial import compile_spatial
from cfggen.lint import suppress
from cfggen.findings import Diagnostic, _Record, _set
from cfggen.nogc import nogc
from cfggen.lint.group import group
from cfggen.lint.rules import RULES
from cfggen.lint.rules._base import RuleContext, layer_index
from cfggen.lint.training import training_head
from cfggen.source import printable

SizeSpec = str | Sequence[tuple[int, int]]   # "native", "training", or explicit (w, h) sizes


class Analysis(_Record):
    """Everything cfggen knows about one document (a read-only record, see ``cfggen.findings``)."""

    __slots__ = ("path", "doc", "plan", "network", "findings", "sizes")
    __match_args__ = __slots__
    path: str
    doc: Document
    plan: Plan
    network: Network | None            # at the cfg's own size (None: darknet cannot build it at all)
    findings: tuple[Diagnostic, ...]
    sizes: tuple[tuple[int, int], ...]  # input sizes checked besides the cfg's own

    def __init__(self, path: str, doc: Document, plan: Plan, network: Network | None,
                 findings: tuple[Diagnostic, ...], sizes: tuple[tuple[int, int], ...]):
        _set(self, "path", path)
        _set(self, "doc", doc)
        _set(self, "plan", plan)
        _set(self, "network", network)
        _set(self, "findings", findings)
        _set(self, "sizes", sizes)

    @property
    def worst(self) -> str | None:
        from cfggen.findings import SEVERITY_RANK
        return max((d.severity for d in self.findings), key=SEVERITY_RANK.__getitem__, default=None)


def sizes_to_check(p: Plan, net: Network, spec: SizeSpec) -> tuple[tuple[int, int], ...]:
    """The input sizes to validate besides the native one."""
    native = (p.net["width"], p.net["height"])
    if spec == "native":
        return ()
    if spec == "training":
        head = training_head(net)
        random = head.conf.get("random") if head is not None else 0
        step_f = p.net["resize_step"]   # darknet reads a float and stores it in an int
        if not random or not (math.isfinite(step_f) and 1 <= step_f < 2**31):
            return ()   # <= 0, NaN, inf or beyond int: no meaningful size (DN107 reports the value)
        step = int(step_f)
        try:
            found = training_sizes(native[0], native[1], random, step)
        except ValueError:
            return ()
        return tuple(s for s in found if s != native)
    return tuple(tuple(s) for s in spec)  # type: ignore[misc]


# The rule modules that ``analyze`` runs, in catalogue order (the order their findings are made in),
# split once at import instead of testing every module's scope on every call.
_CHECKED = tuple(m for m in RULES.values() if m.check is not None and m.SCOPE != "suppress")
_ALL_CHECKS = tuple((m.check, m.SCOPE == "file") for m in _CHECKED)
_ALL_SIZE = tuple(m for m in _CHECKED if m.SCOPE == "size")
# The network rules that declare ``LAYER_TYPES`` can report nothing on a network without a layer of one
# of those types (head rules on a classifier, ...). Per network, the checks to run depend only on which
# of these gates its layer types open: one tuple per pattern, made on first use.
_GATES = tuple(dict.fromkeys(frozenset(m.LAYER_TYPES) for m in _CHECKED if getattr(m, "LAYER_TYPES", None)))
_BY_PATTERN: dict[tuple[bool, ...], tuple] = {}


def _gated_checks(present) -> tuple:
    """``_ALL_CHECKS`` without the rules whose ``LAYER_TYPES`` none of the ``present`` layer types opens."""
    pattern = tuple(not gate.isdisjoint(present) for gate in _GATES)
    found = _BY_PATTERN.get(pattern)
    if found is None:
        shut = {gate for gate, open_ in zip(_GATES, pattern) if not open_}
        found = _BY_PATTERN[pattern] = tuple(
            (m.check, m.SCOPE == "file") for m in _CHECKED
            if not getattr(m, "LAYER_TYPES", None) or frozenset(m.LAYER_TYPES) not in shut)
    return found


@nogc
def analyze(doc: Document, sizes: SizeSpec = "training", rules: Iterable[str] | None = None, *,
            severity: Mapping[str, str] | None = None, options: Mapping[str, Any] | None = None) -> Analysis:
    """Everything cfggen knows about one document, with severities stamped, suppressions applied, sorted.

    ``sizes``: "training" = the cfg's own size plus every size multi-scale training can visit;
    "native" = only the cfg's own size; a list of (w, h) = exactly those sizes instead.
    ``rules``: the codes to report (default: all). ``severity``: code -> "error"/"warning"/"info".
    """
    p = plan(doc)
    if rules is None:
        enabled = None
        checks, size_rules = _ALL_CHECKS, _ALL_SIZE
    else:
        enabled = frozenset(rules)
        checks = tuple((m.check, m.SCOPE == "file") for m in _CHECKED if m.CODE in enabled)
        size_rules = tuple(m for m in _ALL_SIZE if m.CODE in enabled)
    explicit = not isinstance(sizes, str)
    primary = tuple(sizes[0]) if explicit and sizes else None
    found: list[Diagnostic] = list(p.findings)
    net: Network | None = None
    extra: tuple[tuple[int, int], ...] = ()
    if doc.net is not None:
        net, at_primary = infer(p, primary)
        found.extend(at_primary)
    options = options or {}
    ctx = RuleContext(doc, p, net, primary, options)  # type: ignore[arg-type]
    extend = found.extend
    if net is not None:
        if enabled is None:
            checks = _gated_checks(layer_index(ctx).present)
        for check, _ in checks:
            extend(check(ctx))
    else:
        for check, file_scope in checks:
            if file_scope:
                extend(check(ctx))
    if net is not None and p.usable:
        extra = tuple(tuple(s) for s in sizes[1:]) if explicit else sizes_to_check(p, net, sizes)
        # a clean size adds nothing only when findings at the first size carry no size of their own (the
        # cfg's own size): otherwise the sizes they list would have to include every clean size too
        own = primary is None or primary == (p.net["width"], p.net["height"])
        spatial = compile_spatial(net) if own and len(extra) > 1 else None
        # every size's spatial verdict at once (``Spatial.check_many``: one pass per dimension)
        clean = spatial.check_many(extra) if spatial is not None else None
        for k, size in enumerate(extra):
            # a size a rule wants to see (``quiet`` false) is inferred whatever the spatial check says
            if clean is not None and clean[k] and all(r.quiet(ctx, size) for r in size_rules):
                continue   # nothing can differ from the cfg's own size here (see cfggen.ir.spatial)
            snet, at_size = infer(p, size)
            extend(at_size)
            sctx = RuleContext(doc, p, snet, size, options)
            for rule in size_rules:
                extend(rule.check(sctx))
    if enabled is not None:
        found = [d for d in found if d.code in enabled]
    if not found and not suppress.has_directives(doc):
        return Analysis(doc.path, doc, p, net, (), extra)   # the common case: a clean file
    merged = finish(found, doc.path, severity)
    if net is not None:
        merged = [_with_fix(d, net, doc) for d in merged]
    merged = suppress.apply(doc, merged, enabled)
    merged = [_stamp(d, doc.path, severity) if not d.name else d for d in merged]
    if any(d.layer is None for d in merged):
        merged = _with_layers(doc, merged)
    if len(merged) > 1:
        merged.sort(key=Diagnostic.sort_key)
        merged = group(merged)   # one finding per fact and per cause (cfggen/lint/group.py)
    return Analysis(doc.path, doc, p, net, tuple(merged), extra)


def _rebuilt(d: Diagnostic, message: str, layer: int | None, hint: str | None, related: tuple, severity: str,
             name: str, path: str) -> Diagnostic:
    """``d`` with the fields the engine fills in, by one positional construction (``replace`` looks the
    fields up and builds keyword arguments, per finding): the one place that spells Diagnostic's order."""
    return Diagnostic(d.code, message, d.line, d.col, layer, d.size, hint, related, d.fix, d.end_col, severity, name,
                      path, d.extra)


def _stamp(d: Diagnostic, path: str, severity: Mapping[str, str] | None, suffix: str = "") -> Diagnostic:
    """``d`` with the rule's name, its severity, printable text and ``path``; ``suffix`` ends the message."""
    rule = RULES.get(d.code)
    level = (severity and severity.get(d.code)) or d.severity or (rule.SEVERITY if rule else "error")
    hint = d.hint and printable(d.hint)
    related = tuple((line, printable(what)) for line, what in d.related) if d.related else ()
    return _rebuilt(d, printable(d.message) + suffix, d.layer, hint, related, level, rule.NAME if rule else d.name,
                    path)


def _with_layers(doc: Document, found: list[Diagnostic]) -> list[Diagnostic]:
    """Findings placed inside a layer section (a key, a comment) name that layer too."""
    import bisect
    if doc.net is None:
        return found   # darknet builds no layers at all
    starts = [s.line for s in doc.sections]
    out = []
    for d in found:
        if d.layer is None:
            k = bisect.bisect_right(starts, d.line) - 1
            if k >= 1:
                d = _rebuilt(d, d.message, doc.sections[k].index, d.hint, d.related, d.severity, d.name, d.path)
        out.append(d)
    return out


def _with_fix(d: Diagnostic, net: Network, doc: Document) -> Diagnostic:
    """Findings made by shape inference get their fix from the rule module, if it offers one."""
    if d.fix is not None:
        return d
    add_fix = _ADD_FIX.get(d.code)
    return d if add_fix is None else add_fix(d, net, doc)


_ADD_FIX = {code: m.add_fix for code, m in RULES.items() if getattr(m, "add_fix", None) is not None}


def finish(found: list[Diagnostic], path: str, severity: Mapping[str, str] | None = None) -> list[Diagnostic]:
    """Stamp rule metadata and merge the same finding seen at several sizes (``analyze`` sorts once, last)."""
    merged: dict[tuple, Diagnostic] = {}
    also: dict[tuple, list[tuple[int, int]]] = {}
    places: set[tuple] = set()
    for d in found:
        # the same finding at several sizes differs only in its shapes: merge on the place; findings
        # at the primary size are distinct when their messages are
        place = (d.code, d.line, d.col, d.layer)
        key = place + (() if d.size is not None else (d.message,))
        if key in merged or (d.size is not None and place in places):
            first = merged.get(key)
            if first is not None and first.size is not None and d.size is not None:
                also[key].append(d.size)
            continue
        merged[key] = d
        places.add(place)
        also[key] = []
    out = []
    for key, d in merged.items():
        suffix = ""
        if d.size is not None:
            sizes = [d.size] + also[key]
            where = ", ".join(f"{w}x{h}" for w, h in sizes[:6]) + (f" and {len(sizes) - 6} more" if len(sizes) > 6 else "")
            suffix = f" (at input size{'s' if len(sizes) > 1 else ''} {where})"
        out.append(_stamp(d, path, severity, suffix))
    return out
