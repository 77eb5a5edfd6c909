"""Run the catalogue over a document: every checked input size, severities, sorting, de-duplication."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Sequence

from cfggen.cfg.model import Document
from cfggen.ir.build import Plan, infer, plan
from cfggen.ir.model import Network
from cfggen.ir.sizes import training_sizes
from cfggen.lint.model import Diagnostic
from cfggen.lint.rules import RULES
from cfggen.lint.rules._base import RuleContext
from cfggen.lint.training import training_head

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
        from cfggen.lint.model import SEVERITY_RANK
        return max((d.severity for d in self.findings), key=SEVERITY_RANK.__getitem__, default=None)


def sizes_to_check(p: Plan, net: Network, spec: SizeSpec) -> tuple[tuple[int, int], ...]:
    """The input sizes to validate besides the native one."""
    native = (p.net["width"], p.net["height"])
    if spec == "native":
        return ()
    if spec == "training":
        head = training_head(net)
        random = head.conf.get("random") if head is not None else 0
        step = int(p.net["resize_step"])
        if not random or step <= 0:
            return ()
        try:
            found = training_sizes(native[0], native[1], random, step)
        except ValueError:
            return ()
        return tuple(s for s in found if s != native)
    return tuple(tuple(s) for s in spec)  # type: ignore[misc]


def analyze(doc: Document, sizes: SizeSpec = "training", rules: Iterable[str] | None = None) -> Analysis:
    """Everything cfggen knows about one document, with severities stamped and findings sorted.

    ``sizes``: "training" = the cfg's own size plus every size multi-scale training can visit;
    "native" = only the cfg's own size; a list of (w, h) = exactly those sizes instead.
    """
    p = plan(doc)
    selected = [RULES[c] for c in rules] if rules is not None else list(RULES.values())
    explicit = not isinstance(sizes, str)
    primary = tuple(sizes[0]) if explicit and sizes else None
    found: list[Diagnostic] = list(p.findings)
    net: Network | None = None
    extra: tuple[tuple[int, int], ...] = ()
    if doc.net is not None:
        net, at_primary = infer(p, primary)
        found.extend(at_primary)
    ctx = RuleContext(doc, p, net, primary)  # type: ignore[arg-type]
    for rule in selected:
        if rule.check is not None and (net is not None or rule.SCOPE == "file"):
            found.extend(rule.check(ctx))
    if net is not None and p.usable:
        extra = tuple(tuple(s) for s in sizes[1:]) if explicit else sizes_to_check(p, net, sizes)
        size_rules = [r for r in selected if r.SCOPE == "size"]
        for size in extra:
            snet, at_size = infer(p, size)
            found.extend(at_size)
            sctx = RuleContext(doc, p, snet, size)
            for rule in size_rules:
                found.extend(rule.check(sctx))
    return Analysis(doc.path, doc, p, net, tuple(finish(found, doc.path)), extra)


def finish(found: list[Diagnostic], path: str) -> list[Diagnostic]:
    """Stamp rule metadata, merge the same finding seen at several sizes, sort."""
    merged: dict[tuple, Diagnostic] = {}
    also: dict[tuple, list[tuple[int, int]]] = {}
    for d in found:
        rule = RULES.get(d.code)
        # the same finding at several sizes differs only in its shapes: merge on the place; findings
        # at the primary size are distinct when their messages are
        key = (d.code, d.line, d.col, d.layer) + (() if d.size is not None else (d.message,))
        place = (d.code, d.line, d.col, d.layer)
        if key in merged or (d.size is not None and any(k[:4] == place for k in merged)):
            first = merged.get(key)
            if first is not None and first.size is not None and d.size is not None:
                also[key].append(d.size)
            continue
        merged[key] = replace(d, path=path, name=rule.NAME if rule else d.name,
                              severity=d.severity or (rule.SEVERITY if rule else "error"))
        also[key] = []
    out = []
    for key, d in merged.items():
        if d.size is not None:
            sizes = [d.size] + also[key]
            where = ", ".join(f"{w}x{h}" for w, h in sizes[:6]) + (f" and {len(sizes) - 6} more" if len(sizes) > 6 else "")
            d = replace(d, message=f"{d.message} (at input size{'s' if len(sizes) > 1 else ''} {where})")
        out.append(d)
    out.sort(key=Diagnostic.sort_key)
    return out
