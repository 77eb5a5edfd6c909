"""The dataset findings as pieces of a ``validate`` report: one entry per file that has findings (the
``.data`` file, a list, a names file, a label file), in the same formats as a cfg's findings."""
from __future__ import annotations

import os

from cfggen.findings import SEVERITY_RANK, replace

TEXT_RELATED = 5   # related places printed under a finding in text (JSON and SARIF carry all of them)


class _Lines:
    """A dataset file's lines, for snippets and end columns (read when a report needs them)."""

    __slots__ = ("path", "_lines")

    def __init__(self, path: str):
        self.path, self._lines = path, None

    @property
    def raw_lines(self) -> list[str]:
        if self._lines is None:
            try:
                with open(self.path, "rb") as fh:
                    data = fh.read()
                self._lines = os.fsdecode(data).split("\n") if data else []
            except OSError:
                self._lines = []
        return self._lines

    def line_text(self, line: int) -> str:
        lines = self.raw_lines
        return lines[line - 1].rstrip("\r") if 1 <= line <= len(lines) else ""


class DatasetFile:
    """One dataset file with its findings: what the formatters need of an analysis."""

    __slots__ = ("path", "findings", "doc")

    def __init__(self, path: str, findings: tuple):
        self.path, self.findings, self.doc = path, findings, _Lines(path)


def stamped(found, enabled, severity) -> list:
    """Findings with the rule's name and level (config overrides win); rules not enabled dropped."""
    from cfggen.lint.rules import RULES
    out = []
    for d in found:
        if enabled is not None and d.code not in enabled:
            continue
        rule = RULES[d.code]
        level = (severity and severity.get(d.code)) or d.severity or rule.SEVERITY
        extra = dict(d.extra)
        extra["own_related"] = min(TEXT_RELATED, len(d.related))
        out.append(replace(d, severity=level, name=rule.NAME, extra=extra))
    return out


def file_results(found, fmt: str, concise: bool) -> list:
    """The findings grouped by file (first appearance order; within a file by line), each file as a
    ``FileResult`` holding its report piece."""
    from cfggen.report import FileResult, diagnostic_json, part
    by_path: dict[str, list] = {}
    for d in found:
        by_path.setdefault(d.path, []).append(d)
    out = []
    for path, items in by_path.items():
        items.sort(key=lambda d: (d.line, d.col, -SEVERITY_RANK[d.severity], d.code))
        view = DatasetFile(path, tuple(items))
        if fmt == "json":
            from cfggen.report import _DUMP
            piece = _DUMP({"path": path, "status": "checked", "kind": "dataset", "network": None, "layers": [],
                           "totals": None, "sizes_checked": [],
                           "findings": [diagnostic_json(d) for d in items]})
        else:
            piece = part(fmt, view, concise)
        out.append(FileResult(path, tuple(items), fmt, piece))
    return out
