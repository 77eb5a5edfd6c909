"""Output formats: each a pure function from a Report (analyses + notices) to text.

``FORMATTERS`` is the one table; the CLI offers its keys as ``--format`` choices.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

from cfggen.lint.engine import Analysis
from cfggen.lint.model import Diagnostic
from cfggen.source import snippet


@dataclass
class Report:
    analyses: list[Analysis]
    notices: list[str] = field(default_factory=list)     # skipped files and the like
    errors: list[str] = field(default_factory=list)      # files that could not be read at all
    concise: bool = False
    targets: dict = field(default_factory=dict)          # path -> {reader: Verdict} (validate --target)

    @property
    def findings(self) -> list[Diagnostic]:
        return [d for a in self.analyses for d in a.findings]


def display_path(path: str) -> str:
    """A path as CI tools want it: relative to the current folder when inside it, '/' separators."""
    import os
    if os.path.isabs(path):
        try:
            rel = os.path.relpath(path)
        except ValueError:  # another drive (Windows)
            return path.replace(os.sep, "/")
        if not rel.startswith(".."):
            path = rel
    return path.replace(os.sep, "/")


def end_column(a: Analysis, d: Diagnostic) -> int:
    """The column after the flagged text (at least col + 1)."""
    if d.end_col and d.end_col > d.col:
        return d.end_col
    text = a.doc.line_text(d.line) if 1 <= d.line else ""
    return d.col + _token_width(text, d.col)


def _token_width(text: str, col: int) -> int:
    rest = text[col - 1:].rstrip()
    first = rest.split()[0] if rest.split() else ""
    return max(1, len(first))


def counts_line(report: Report) -> str:
    return _counts(report)


def _counts(report: Report) -> str:
    by = {"error": 0, "warning": 0, "info": 0}
    for d in report.findings:
        by[d.severity] = by.get(d.severity, 0) + 1
    files = len(report.analyses)
    parts = [f"{by['error']} error{'s' * (by['error'] != 1)}", f"{by['warning']} warning{'s' * (by['warning'] != 1)}"]
    if by["info"]:
        parts.append(f"{by['info']} info")
    return f"{', '.join(parts)} in {files} file{'s' * (files != 1)}" + (
        f" ({len(report.errors)} unreadable)" if report.errors else "")


def format_text(report: Report) -> str:
    out: list[str] = []
    for a in report.analyses:
        lines = [line.text for line in a.doc.lines]
        for d in a.findings:
            out.append(f"{d.path}:{d.line}:{d.col}: {d.severity}: {d.message} [{d.code} {d.name}]")
            if report.concise:
                continue
            snip = snippet(lines, d.line, d.col, _width(lines, d))
            if snip:
                out.append(snip)
            for line, what in d.related:
                out.append(f"      = line {line}: {what}")
            if d.hint:
                out.append(f"      = hint: {d.hint}")
            if d.fix is not None and d.fix.safe:
                out.append(f"      = fix: {d.fix.description} (cfggen validate --fix)")
        if a.path in report.targets:
            from cfggen.targets.report import verdict_lines
            out.extend(verdict_lines(a.path, report.targets[a.path], report.concise))
    out.extend(report.notices)
    out.append(_counts(report))
    return "\n".join(out) + "\n"


def _width(lines: list[str], d: Diagnostic) -> int:
    if d.end_col:
        return max(1, d.end_col - d.col)
    text = lines[d.line - 1] if 1 <= d.line <= len(lines) else ""
    rest = text[d.col - 1:].rstrip()
    return max(1, len(rest.split()[0]) if rest.split() else 1)


def diagnostic_json(d: Diagnostic) -> dict:
    return {"rule": d.code, "name": d.name, "severity": d.severity, "line": d.line, "column": d.col,
            "layer": d.layer, "size": list(d.size) if d.size else None, "message": d.message,
            "hint": d.hint, "related": [{"line": line, "note": note} for line, note in d.related],
            "fixable": d.fix is not None}


def analysis_json(a: Analysis) -> dict:
    net = a.network
    doc = {"path": a.path,
           "network": {"width": a.plan.net["width"], "height": a.plan.net["height"],
                       "channels": a.plan.net["channels"]},
           "layers": [], "totals": None,
           "sizes_checked": [[a.plan.net["width"], a.plan.net["height"]]] + [list(s) for s in a.sizes],
           "findings": [diagnostic_json(d) for d in a.findings]}
    if net is not None:
        doc["layers"] = [{"index": L.index, "type": L.type, "line": L.line, "input": list(L.input),
                          "output": list(L.output), "outputs": L.outputs, "params": L.params.trainable,
                          "weights_file_floats": L.params.file_floats, "bflops": L.bflops}
                         for L in net.layers]
        t = net.totals
        doc["totals"] = {"params": t.params, "weights_file_floats": t.weights_file_floats, "bflops": t.bflops,
                         "bflops_printed": t.bflops_printed, "weights_file_bytes": t.weights_file_bytes}
    return doc


def _with_targets(report: Report, a: Analysis) -> dict:
    doc = analysis_json(a)
    if a.path in report.targets:
        from cfggen.targets.report import verdicts_json
        doc["targets"] = verdicts_json(report.targets[a.path])
    return doc


def format_json(report: Report) -> str:
    return json.dumps({"files": [_with_targets(report, a) for a in report.analyses],
                       "notices": report.notices, "errors": report.errors}, indent=1) + "\n"


def format_table(a: Analysis) -> str:
    """Darknet's familiar layer table, with parameters per layer and the totals."""
    net = a.network
    if net is None:
        return f"{a.path}: no network to show\n"
    rows = [f"{a.path}: {net.width}x{net.height}x{net.channels}",
            "layer type             filters  size/strd       input          ->  output            params   BFLOPs"]
    for L in net.layers:
        k = L.conf
        filt = str(k.get("filters", k.get("output", ""))) if L.type in ("convolutional", "connected", "local",
                                                                         "implicit") else ""
        geom = ""
        if L.type in ("convolutional", "maxpool", "local_avgpool", "local"):
            size = k.get("size") if k.get("size") is not None else k.get("stride")
            geom = f"{size}x{size}/{k.get('stride')}"
        elif L.type == "route" or L.type == "shortcut":
            geom = ",".join(str(r) for r in L.refs)
        ins = "x".join(f"{v}" for v in L.input)
        outs = "x".join(f"{v}" for v in L.output) if L.output != (0, 0, 0) else f"{L.outputs}"
        rows.append(f"{L.index:5d} {L.type:<16s} {filt:>7s}  {geom:<14s} {ins:>14s} -> {outs:<14s} "
                    f"{L.params.trainable:>10,d} {L.bflops:8.3f}")
    t = net.totals
    rows.append(f"total: {len(net.layers)} layers, {t.params:,d} parameters, {t.weights_file_floats:,d} "
                f"weights-file floats ({t.weights_file_bytes:,d} bytes), {t.bflops_printed} BFLOPs")
    return "\n".join(rows) + "\n"


def format_github(report: Report) -> str:
    from cfggen.report.github import format_github as fmt
    return fmt(report)


def format_sarif(report: Report) -> str:
    from cfggen.report.sarif import format_sarif as fmt
    return fmt(report)


FORMATTERS: dict[str, Callable[[Report], str]] = {"text": format_text, "json": format_json,
                                                  "github": format_github, "sarif": format_sarif}
