"""``--format sarif``: a SARIF 2.1.0 log for GitHub code scanning.

One run; ``tool.driver.rules`` lists every rule of the catalogue (id, slug, short and full
description, help, default level, tags) so ``ruleIndex`` is stable; each result carries ``ruleId``,
``ruleIndex``, ``level``, ``message`` and one physical location with a 1-based region
(``endColumn`` is the column after the flagged text), plus ``relatedLocations`` for the other lines
a finding involves. Paths under the current folder are relative (``cfg/yolo.cfg``), as GitHub
expects for files in the repository; others are ``file://`` URIs.
"""
from __future__ import annotations

import functools
import json
import os
import pathlib

from cfggen import __version__
from cfggen.report import Report, display_path, end_column

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}
PROBLEM = {"error": "error", "warning": "warning", "info": "recommendation"}
CATEGORY = {"1": "syntax", "2": "shapes", "3": "detection-heads", "4": "training", "5": "portability"}


def _uri(path: str) -> str:
    shown = display_path(path)
    if os.path.isabs(shown):
        return pathlib.Path(shown).as_uri()
    return shown


def _paragraphs(doc: str) -> tuple[str, str]:
    text = (doc or "").strip()
    first = text.split("\n\n", 1)[0]
    why = next((p for p in text.split("\n\n") if p.startswith("*Why*")), "")
    full = " ".join((why[len("*Why*:"):] if why else first).split())
    return first.replace("\n", " "), full


@functools.lru_cache(maxsize=1)
def _descriptors() -> tuple[str, ...]:
    return tuple(json.dumps(r) for r in _rule_descriptors())


def rule_descriptors() -> list[dict]:
    """Every rule of the catalogue as a SARIF reportingDescriptor (computed once per process)."""
    return [json.loads(r) for r in _descriptors()]


def _rule_descriptors() -> list[dict]:
    from cfggen.lint.rules import RULES
    out = []
    for code, rule in RULES.items():
        first, full = _paragraphs(rule.__doc__)
        out.append({
            "id": code,
            "name": rule.NAME,
            "shortDescription": {"text": rule.SUMMARY[:1024]},
            "fullDescription": {"text": (full or rule.SUMMARY)[:1024]},
            "help": {"text": (rule.__doc__ or rule.SUMMARY).strip(), "markdown": (rule.__doc__ or rule.SUMMARY).strip()},
            "defaultConfiguration": {"level": LEVEL.get(rule.SEVERITY, "warning")},
            "properties": {"tags": ["darknet", CATEGORY.get(code[2], "other")], "precision": "high",
                           "problem.severity": PROBLEM.get(rule.SEVERITY, "warning")},
        })
    return out


def sarif_log(report: Report) -> dict:
    from cfggen.report import part
    results = []
    readers: list[dict] = []
    index: dict[str, int] = {}
    for a in report.analyses:
        results.extend(part("sarif", a, report.concise))
        if a.path in report.targets:
            if not readers:
                from cfggen.lint.rules import RULES
                readers = reader_descriptors()
                index = {code: i for i, code in enumerate(list(RULES) + [r["id"] for r in readers])}
            results.extend(reader_results(a, report.targets[a.path], index))
    return _log(report, results, readers)


def reader_descriptors() -> list[dict]:
    """The other readers' codes (``validate --target``: HK, PJ, CV), listed after the catalogue so
    that a DN rule's ``ruleIndex`` is the same with and without ``--target``."""
    from cfggen.targets import TARGETS, _names
    titles = {t.prefix: t.title for t in TARGETS.values()}
    out = []
    for names in _names():
        for code, (name, severity) in names.items():
            text = f"{titles.get(code[:2], 'another reader')}: {name.replace('-', ' ')}"
            out.append({"id": code, "name": name, "shortDescription": {"text": text},
                        "defaultConfiguration": {"level": LEVEL.get(severity, "warning")},
                        "properties": {"tags": ["darknet", "portability", code[:2].lower()], "precision": "high",
                                       "problem.severity": PROBLEM.get(severity, "warning")}})
    return out


def reader_results(a, verdicts: dict, index: dict[str, int]) -> list[dict]:
    """The readers' verdicts as results: what the GitHub annotations show (``annotated``). ``index``:
    rule code -> its position among the log's rule descriptors (the catalogue, then the readers')."""
    from cfggen.targets.report import annotated
    uri = _uri(a.path)
    out = []
    for name, v, d, text in annotated(verdicts):
        region = {"startLine": max(1, d.line), "startColumn": max(1, d.col), "endLine": max(1, d.line),
                  "endColumn": max(2, end_column(a, d))}
        result = {"ruleId": d.code, "level": LEVEL.get(d.severity, "warning"), "message": {"text": text},
                  "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}, "region": region}}],
                  "properties": {"reader": name, "status": v.status}}
        if d.code in index:
            result["ruleIndex"] = index[d.code]
        out.append(result)
    return out


def sarif_part(a, concise: bool = False) -> list[dict]:
    """One file's SARIF results."""
    from cfggen.lint.rules import RULES
    index = {code: i for i, code in enumerate(RULES)}
    results = []
    uri = _uri(a.path)
    for d in a.findings:
        region = {"startLine": d.line, "startColumn": d.col, "endLine": d.line, "endColumn": end_column(a, d)}
        text = d.message + (f" (hint: {d.hint})" if d.hint else "")
        result = {
            "ruleId": d.code,
            "level": LEVEL.get(d.severity, "warning"),
            "message": {"text": text},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}, "region": region}}],
        }
        if d.code in index:
            result["ruleIndex"] = index[d.code]
        if d.related:
            # a dataset finding's places are in other files: (line, note, path)
            result["relatedLocations"] = [
                {"id": i, "message": {"text": rel[1]},
                 "physicalLocation": {"artifactLocation": {"uri": _uri(rel[2]) if len(rel) > 2 else uri},
                                      "region": {"startLine": max(1, rel[0])}}}
                for i, rel in enumerate(d.related)]
        props = {}
        if d.layer is not None:
            props["layer"] = d.layer
        if d.size is not None:
            props["inputSize"] = f"{d.size[0]}x{d.size[1]}"
        if props:
            result["properties"] = props
        results.append(result)
    return results


def _log(report: Report, results: list[dict], readers: list[dict] = ()) -> dict:
    notes = [{"level": "note", "message": {"text": n}} for n in report.notices]
    notes += [{"level": "error", "message": {"text": e}} for e in report.errors]
    invocation = {"executionSuccessful": not report.errors}
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "cfggen", "semanticVersion": __version__, "rules": rule_descriptors() + list(readers)}},
            "invocations": [invocation],
            "results": results,
        }],
    }


def format_sarif(report: Report) -> str:
    return json.dumps(sarif_log(report), indent=1) + "\n"
