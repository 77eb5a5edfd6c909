"""How the readers' verdicts (``validate --target``) appear in each output format: text, JSON, GitHub
annotations, SARIF results, and the one-line "loads in" summary of ``build``/``adapt``.

The output formats live together in ``cfggen.report``; this module reads ``cfggen.targets`` (the
verdicts, the readers' titles), which never imports back.
"""
from __future__ import annotations

from cfggen.errors import UsageError
from cfggen.targets.model import Verdict


def verdicts_json(verdicts: dict[str, Verdict]) -> dict:
    from cfggen.report import diagnostic_json
    from cfggen.targets import TARGETS
    return {name: {"status": v.status, "reader": TARGETS[name].title,
                   "findings": [diagnostic_json(d) for d in v.findings]} for name, v in verdicts.items()}


def verdict_lines(path: str, verdicts: dict[str, Verdict], concise: bool = False) -> list[str]:
    """One verdict line per target, then that target's other errors and warnings (info only counted)."""
    out = []
    for name, v in verdicts.items():
        reason = v.reason
        head = f"{path}: {name}: {v.status}"
        if reason is not None:
            head += f": {reason.path or path}:{reason.line}:{reason.col}: {reason.message} [{reason.code} {reason.name}]"
            if reason.hint and not concise:
                head += f" (hint: {reason.hint})"
            if reason.fix is not None and not concise:
                head += f" (fix: {reason.fix.description})"
        rest = [d for d in v.findings if d is not reason]
        shown = [d for d in rest if d.severity in ("error", "warning")]
        info = len(rest) - len(shown)
        if v.status == "ok":
            differences = f"{len(shown)} difference{'s' * (len(shown) != 1)} from AlexeyAB"
            alexeyab = _alexeyab_stops(v) if name != "alexeyab" else None
            if alexeyab is not None:
                # AlexeyAB rejects the file: there is no "same network" to compare with
                head += f" (loads; {alexeyab}" + (f"; {differences} as far as it builds" if shown else "") + ")"
            else:
                head += " (loads" + (f"; {differences}" if shown
                                     else ", same network as AlexeyAB" if name != "alexeyab" else "") + ")"
        out.append(head)
        if name == "alexeyab":
            continue        # its findings are the normal DN findings, printed above
        # one line per fact: the findings are grouped like the catalogue's (cfggen.lint.group), a merged
        # finding names its other places in its message
        for d in shown:
            out.append(f"  {d.path or path}:{d.line}:{d.col}: {d.severity}: {d.message} [{d.code} {d.name}]")
        if info:
            out.append(f"  ({info} more note{'s' * (info != 1)} on keys {name} does not read; see --format json)")
    return out


def _alexeyab_stops(v: Verdict) -> str | None:
    """What AlexeyAB does with a file this reader loads, when AlexeyAB itself does not load it."""
    status, reason = v.extra.get("alexeyab", ("ok", None))
    if status == "ok":
        return None
    if reason is None:
        return f"AlexeyAB does not ({status})"
    return f"AlexeyAB does not: {status} at line {reason.line}: {reason.message} [{reason.code}]"


def loads_in(verdicts: dict[str, Verdict]) -> str:
    """``loads in: alexeyab, hank-ai, pjreddie (as a different network); not in: opencv (reason)``."""
    ok = [n + (" (builds a different network)" if any(d.severity == "warning" for d in v.findings) else "")
          for n, v in verdicts.items() if v.status == "ok"]
    bad = [f"{n} ({v.status}: {v.reason.message if v.reason else ''})" for n, v in verdicts.items() if v.status != "ok"]
    text = "loads in: " + (", ".join(ok) if ok else "none")
    if bad:
        text += "; not in: " + "; ".join(bad)
    return text


def annotated(verdicts: dict[str, Verdict]):
    """What code-scanning outputs show of the verdicts, as (reader, verdict, finding, text): the reason
    a reader does not load the file and every difference warning (AlexeyAB's are the DN findings)."""
    for name, v in verdicts.items():
        if name == "alexeyab":
            continue
        for d in v.findings:
            if d is v.reason:
                yield name, v, d, f"{name}: {v.status}: {d.message}"
            elif d.severity == "warning":
                yield name, v, d, f"{name}: {d.message}"


def loads_in_text(text: str, path: str, targets=()) -> str:
    """``loads in: ...`` for generated or adapted text; raises if a requested reader cannot load it."""
    from cfggen.cfg.parse import parse
    from cfggen.targets import check, expand
    verdicts = check(parse(text, path), ["all"])
    for name in expand(targets):
        v = verdicts[name]
        if v.status != "ok":
            reason = v.reason.message if v.reason else v.status
            raise UsageError(f"the output does not load in {name}: {reason}")
    return loads_in(verdicts)


def github_lines(a, verdicts: dict[str, Verdict], path: str) -> list[str]:
    """One annotation per reader that does not load the file (its reason), and per difference warning."""
    from cfggen.report import end_column
    from cfggen.report.github import LEVEL, escape_data, escape_property
    out = []
    for name, _, d, text in annotated(verdicts):
        props = [f"file={escape_property(path)}", f"line={d.line}", f"endLine={d.line}", f"col={d.col}",
                 f"endColumn={end_column(a, d)}", f"title={escape_property(f'{d.code} {d.name} ({name})')}"]
        out.append(f"::{LEVEL.get(d.severity, 'warning')} {','.join(props)}::{escape_data(text)}")
    return out
