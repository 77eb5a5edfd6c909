"""Run the catalogue over a document: every checked input size, severities, suppressions, sorting.

``analyze(doc, sizes)`` is the one entry point. Optional keyword arguments narrow it down without
changing the default behaviour: ``rules`` (the codes to report; every other finding is dropped and
its check is not even run), ``severity`` (per-code overrides, e.g. from the configuration) and
``options`` (extra facts some rules compare against, e.g. the dataset's class names).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Iterable, Mapping, Sequence

from cfggen.cfg.model import Document
from cfggen.ir.build import Plan, infer, plan
from cfggen.ir.model import Network
from cfggen.ir.sizes import training_sizes
from cfggen.ir.spatial import compile_spatial
from cfggen.lint import suppress
from cfggen.findings import Diagnostic
from cfggen.lint.group import group
from cfggen.lint.rules import RULES
from cfggen.lint.rules._base import RuleContext
from cfggen.lint.training import training_head
from cfggen.source import printable

SizeSpec = str | Sequence[tuple[int, int]]   # "native", "training", or explicit (w, h) sizes


@dataclass(frozen=True)
class Analysis:
    path: str
    doc: Document
    plan: Plan
    network: Network | None            # at the cfg's own size (None: darknet cannot build it at all)
    findings: tuple[Diagnostic, ...]
    sizes: tuple[tuple[int, int], ...]  # input sizes checked besides the cfg's own

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


def analyze(doc: Document, sizes: SizeSpec = "training", rules: Iterable[str] | None = None, *,
            severity: Mapping[str, str] | None = None, options: Mapping[str, Any] | None = None) -> Analysis:
    """Everything cfggen knows about one document, with severities stamped, suppressions applied, sorted.

    ``sizes``: "training" = the cfg's own size plus every size multi-scale training can visit;
    "native" = only the cfg's own size; a list of (w, h) = exactly those sizes instead.
    ``rules``: the codes to report (default: all). ``severity``: code -> "error"/"warning"/"info".
    """
    p = plan(doc)
    enabled = frozenset(rules) if rules is not None else None
    selected = [m for c, m in RULES.items() if enabled is None or c in enabled]
    explicit = not isinstance(sizes, str)
    primary = tuple(sizes[0]) if explicit and sizes else None
    found: list[Diagnostic] = list(p.findings)
    net: Network | None = None
    extra: tuple[tuple[int, int], ...] = ()
    if doc.net is not None:
        net, at_primary = infer(p, primary)
        found.extend(at_primary)
    ctx = RuleContext(doc, p, net, primary, options or {})  # type: ignore[arg-type]
    for rule in selected:
        if rule.check is not None and rule.SCOPE != "suppress" and (net is not None or rule.SCOPE == "file"):
            found.extend(rule.check(ctx))
    if net is not None and p.usable:
        extra = tuple(tuple(s) for s in sizes[1:]) if explicit else sizes_to_check(p, net, sizes)
        size_rules = [r for r in selected if r.SCOPE == "size"]
        # a clean size adds nothing only when findings at the first size carry no size of their own (the
        # cfg's own size): otherwise the sizes they list would have to include every clean size too
        own = primary is None or primary == (p.net["width"], p.net["height"])
        spatial = compile_spatial(net) if own and len(extra) > 1 else None
        for size in extra:
            if spatial is not None and spatial.check(*size) and all(r.quiet(ctx, size) for r in size_rules):
                continue   # nothing can differ from the cfg's own size here (see cfggen.ir.spatial)
            snet, at_size = infer(p, size)
            found.extend(at_size)
            sctx = RuleContext(doc, p, snet, size, options or {})
            for rule in size_rules:
                found.extend(rule.check(sctx))
    if enabled is not None:
        found = [d for d in found if d.code in enabled]
    merged = finish(found, doc.path, severity)
    if net is not None:
        merged = [_with_fix(d, net, doc) for d in merged]
    merged = suppress.apply(doc, merged, enabled)
    merged = [_stamp(d, doc.path, severity) if not d.name else d for d in merged]
    if any(d.layer is None for d in merged):
        merged = _with_layers(doc, merged)
    merged.sort(key=Diagnostic.sort_key)
    merged = group(merged)   # one finding per fact and per cause (cfggen/lint/group.py)
    return Analysis(doc.path, doc, p, net, tuple(merged), extra)


def _stamp(d: Diagnostic, path: str, severity: Mapping[str, str] | None) -> Diagnostic:
    rule = RULES.get(d.code)
    level = (severity or {}).get(d.code) or d.severity or (rule.SEVERITY if rule else "error")
    message, hint = printable(d.message), d.hint and printable(d.hint)
    related = tuple((line, printable(what)) for line, what in d.related) if d.related else ()
    return replace(d, path=path, name=rule.NAME if rule else d.name, severity=level, message=message, hint=hint,
                   related=related)


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
                d = replace(d, layer=doc.sections[k].index)
        out.append(d)
    return out


def _with_fix(d: Diagnostic, net: Network, doc: Document) -> Diagnostic:
    """Findings made by shape inference get their fix from the rule module, if it offers one."""
    rule = RULES.get(d.code)
    add_fix = getattr(rule, "add_fix", None)
    if add_fix is None or d.fix is not None:
        return d
    return add_fix(d, net, doc)


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
        merged[key] = _stamp(d, path, severity)
        places.add(place)
        also[key] = []
    out = []
    for key, d in merged.items():
        if d.size is not None:
            sizes = [d.size] + also[key]
            where = ", ".join(f"{w}x{h}" for w, h in sizes[:6]) + (f" and {len(sizes) - 6} more" if len(sizes) > 6 else "")
            d = replace(d, message=f"{d.message} (at input size{'s' if len(sizes) > 1 else ''} {where})")
        out.append(d)
    return out
