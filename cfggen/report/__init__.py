"""Output formats: each a pure function from a Report (analyses + notices) to text.

``FORMATTERS`` is the one table; the CLI offers its keys as ``--format`` choices.
"""
from __future__ import annotations

from collections import namedtuple
from typing import Callable

from cfggen.lint.engine import Analysis
from cfggen.findings import Diagnostic
from cfggen.source import snippet


class Report:
    """What one ``validate`` run reports. A plain class, not a dataclass: a dataclass costs about a
    millisecond to define, and every ``cfggen validate`` start-up pays for the classes on its path."""

    __slots__ = ("analyses", "notices", "errors", "unchecked", "concise", "targets")

    def __init__(self, analyses: list[Analysis], notices: list[str] | None = None, errors: list[str] | None = None,
                 unchecked: list[tuple[int, str, str, str]] | None = None, concise: bool = False,
                 targets: dict | None = None):
        self.analyses = analyses
        self.notices = notices if notices is not None else []        # skipped files and the like
        self.errors = errors if errors is not None else []           # files that could not be read at all
        # paths given but not validated, in order: (position among the analyses, path, status, why)
        self.unchecked = unchecked if unchecked is not None else []
        self.concise = concise
        self.targets = targets if targets is not None else {}        # path -> {reader: Verdict} (--target)

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


def text_part(a: Analysis, concise: bool = False) -> list[str]:
    """One file's findings as text lines."""
    out: list[str] = []
    lines: list[str] = []
    if a.findings and not concise:
        lines = a.doc.raw_lines              # snippet() drops a line's CR
        if lines and not lines[-1]:
            lines = lines[:-1]               # the empty piece after a final newline is no line
    for d in a.findings:
        out.append(f"{d.path}:{d.line}:{d.col}: {d.severity}: {d.message} [{d.code} {d.name}]")
        if concise:
            continue
        snip = snippet(lines, d.line, d.col, _width(lines, d))
        if snip:
            out.append(snip)
        # merged places are listed in the message already; JSON and SARIF carry every one of them
        shown = d.extra.get("own_related", len(d.related))
        for rel in d.related[:shown]:
            out.append(f"      = {_place(d, rel)}: {rel[1]}")
        if "same" not in d.extra and len(d.related) > shown:
            out.append(f"      = … and {len(d.related) - shown} more lines (all in --format json/sarif)")
        if d.hint:
            out.append(f"      = hint: {d.hint}")
        if d.fix is not None and d.fix.safe:
            out.append(f"      = fix: {d.fix.description} (cfggen validate --fix)")
    return out


def _place(d: Diagnostic, rel: tuple) -> str:
    """A related place as text: ``line N`` in the finding's own file, ``path:N`` in another
    (a dataset finding's places are in other files: ``(line, note, path)``)."""
    if len(rel) > 2 and rel[2] != d.path:
        return f"{rel[2]}:{rel[0]}"
    return f"line {rel[0]}"


def related_json(d: Diagnostic) -> list[dict]:
    """``related`` as JSON: ``path`` only for a place in another file."""
    return [{"line": rel[0], "note": rel[1], "path": rel[2]} if len(rel) > 2 and rel[2] != d.path
            else {"line": rel[0], "note": rel[1]} for rel in d.related]


def format_text(report: Report) -> str:
    out: list[str] = []
    for a in report.analyses:
        out.extend(part("text", a, report.concise))
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
            "hint": d.hint, "related": related_json(d),
            "fixable": d.fix is not None}


def analysis_json(a: Analysis, layers: bool = True) -> dict:
    net = a.network
    doc = {"path": a.path, "status": "checked",
           "network": {"width": a.plan.net["width"], "height": a.plan.net["height"],
                       "channels": a.plan.net["channels"]},
           "layers": [], "totals": None,
           "sizes_checked": [[a.plan.net["width"], a.plan.net["height"]]] + [list(s) for s in a.sizes],
           "findings": [diagnostic_json(d) for d in a.findings]}
    if net is not None and layers:
        # one dict per layer, keys in a fixed order; shapes are tuples (json writes them as arrays)
        keys = ("index", "type", "line", "input", "output", "outputs", "params", "weights_file_floats", "bflops")
        doc["layers"] = [dict(zip(keys, (L.index, L.type, L.section.line, L.input, L.output, L.outputs,
                                         p.weights + p.biases + p.bn_scales,
                                         p.weights + p.biases + p.bn_scales + p.bn_rolling, L.bflops)))
                         for L in net.layers for p in (L.params,)]
    if net is not None:
        t = net.totals
        doc["totals"] = {"params": t.params, "weights_file_floats": t.weights_file_floats, "bflops": t.bflops,
                         "bflops_printed": t.bflops_printed, "weights_file_bytes": t.weights_file_bytes}
    return doc


def unchecked_json(path: str, status: str, why: str) -> dict:
    """A path given but not validated (unreadable, or not a network cfg): listed all the same."""
    return {"path": path, "status": status, "reason": why, "network": None, "layers": [], "totals": None,
            "sizes_checked": [], "findings": []}


def json_part(a: Analysis, concise: bool = False) -> str:
    """One file's JSON object, already encoded: the same text as ``json`` would write for
    ``analysis_json(a)``, but the layer rows (thousands per corpus, fixed types) are written directly
    instead of built as dicts for the encoder to take apart again."""
    net = a.network
    if net is None or not net.layers:
        return _DUMP(analysis_json(a))
    head = analysis_json(a, layers=False)
    return _DUMP(head).replace('"layers":[]', '"layers":[' + ",".join(map(_layer_row, net.layers)) + "]", 1)


_INF = float("inf")


def _number(x: float) -> str:
    """A float as json writes it (repr; NaN/Infinity for the non-finite)."""
    if -_INF < x < _INF:
        return float.__repr__(x)
    if x != x:
        return "NaN"
    return "Infinity" if x > 0 else "-Infinity"


_TYPES: dict[str, str] = {}   # layer type -> its JSON string (a corpus has thousands of rows, a dozen types)


def _layer_row(L) -> str:
    p = L.params
    trainable = p.weights + p.biases + p.bn_scales
    i, o = L.input, L.output
    kind = _TYPES.get(L.type)
    if kind is None:
        kind = _TYPES[L.type] = _DUMP(L.type)
    b = L.bflops
    bflops = float.__repr__(b) if -_INF < b < _INF else _number(b)
    return (f'{{"index":{L.index},"type":{kind},"line":{L.section.line},"input":[{i[0]},{i[1]},{i[2]}],'
            f'"output":[{o[0]},{o[1]},{o[2]}],"outputs":{L.outputs},"params":{trainable},'
            f'"weights_file_floats":{trainable + p.bn_rolling},"bflops":{bflops}}}')


_ENCODER = None


def _DUMP(obj) -> str:
    """Compact JSON from the C encoder (json is imported on first use: not on the text report's path)."""
    global _ENCODER
    if _ENCODER is None:
        import json
        _ENCODER = json.JSONEncoder(separators=(",", ":")).encode
    return _ENCODER(obj)


def _with_targets(report: Report, a, encoded: str) -> str:
    """A file's JSON object with its readers' verdicts (``validate --target``) as ``targets``."""
    if a.path not in report.targets:
        return encoded
    from cfggen.targets.report import verdicts_json
    return encoded[:-1] + ',"targets":' + _DUMP(verdicts_json(report.targets[a.path])) + "}"


def format_json(report: Report) -> str:
    """One JSON document; every path given is in ``files``, in order, with its ``status``.

    Written by the C encoder (``indent=None``; ``indent`` switches json to its pure-Python encoder,
    3-4x slower on a corpus), one file per line so the output stays diffable and greppable.
    """
    dump = _DUMP
    files = [_with_targets(report, a, part("json", a, report.concise)) for a in report.analyses]
    for at, path, status, why in reversed(report.unchecked):
        files.insert(at, dump(unchecked_json(path, status, why)))
    body = ",\n".join(files)
    return (f'{{"files":[\n{body}\n],\n"notices":{dump(report.notices)},\n"errors":{dump(report.errors)}}}\n'
            if files else f'{{"files":[],"notices":{dump(report.notices)},"errors":{dump(report.errors)}}}\n')


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


def _github_part(a, concise: bool = False):
    from cfggen.report.github import github_part
    return github_part(a, concise)


def _sarif_part(a, concise: bool = False):
    from cfggen.report.sarif import sarif_part
    return sarif_part(a, concise)


# format -> one file's piece of the report (what a --jobs worker computes and sends back)
PARTS: dict[str, Callable] = {"text": text_part, "json": json_part, "github": _github_part, "sarif": _sarif_part}


class FileResult(namedtuple("FileResult", "path findings fmt part")):
    """What a ``--jobs`` worker sends back for one file: its findings and its piece of the report.

    Formatters treat it like an Analysis (``path``, ``findings``) and use ``part`` as it is, so the
    output is the same with and without workers."""

    __slots__ = ()
    path: str
    findings: tuple[Diagnostic, ...]
    fmt: str
    part: object


def part(fmt: str, a, concise: bool):
    """This file's piece of a ``fmt`` report: computed by a worker already, or now."""
    if isinstance(a, FileResult) and a.fmt == fmt:
        return a.part
    return PARTS[fmt](a, concise)


FORMATTERS: dict[str, Callable[[Report], str]] = {"text": format_text, "json": format_json,
                                                  "github": format_github, "sarif": format_sarif}
