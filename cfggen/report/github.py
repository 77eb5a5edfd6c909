"""``--format github``: GitHub Actions workflow commands, one annotation per finding.

``::error file=cfg/yolo.cfg,line=12,endLine=12,col=1,endColumn=11,title=DN301 head-filters-mismatch::message``
with the data escaped exactly like ``@actions/core`` (``%`` ``\\r`` ``\\n``) and the properties also
escaping ``:`` and ``,``. Info findings become ``::notice``. Skipped files are notices, unreadable
files errors without a location; the summary line is plain text for the log.
"""
from __future__ import annotations

from cfggen.report import Report, counts_line, display_path, end_column

LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_part(a, concise: bool = False) -> list[str]:
    """One file's annotations."""
    out: list[str] = []
    path = display_path(a.path)
    for d in a.findings:
        props = [f"file={escape_property(path)}", f"line={d.line}", f"endLine={d.line}", f"col={d.col}",
                 f"endColumn={end_column(a, d)}", f"title={escape_property(f'{d.code} {d.name}')}"]
        message = d.message + (f"\nhint: {d.hint}" if d.hint else "")
        out.append(f"::{LEVEL.get(d.severity, 'warning')} {','.join(props)}::{escape_data(message)}")
    return out


def format_github(report: Report) -> str:
    from cfggen.report import part
    out: list[str] = []
    for a in report.analyses:
        out.extend(part("github", a, report.concise))
        if a.path in report.targets:
            from cfggen.report.verdicts import github_lines
            out.extend(github_lines(a, report.targets[a.path], display_path(a.path)))
    for notice in report.notices:
        out.append(f"::notice::{escape_data(notice)}")
    for err in report.errors:
        out.append(f"::error::{escape_data(err)}")
    out.append(counts_line(report))
    return "\n".join(out) + "\n"
