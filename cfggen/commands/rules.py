"""``cfggen rules``: the rule catalogue; ``cfggen rules CODE`` prints one rule's documentation."""
from __future__ import annotations

import inspect
import json

import click

from cfggen.errors import UsageError


def _fixable(rule) -> str:
    doc = rule.__doc__ or ""
    safety = doc.split("*Fix safety*:", 1)[1].strip().lower() if "*Fix safety*:" in doc else ""
    return "safe" if safety.startswith("safe:") else ""


@click.command()
@click.argument("code", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules(code, fmt):
    """List the lint rules, or print the documentation of CODE (a code such as DN301 or a slug)."""
    from cfggen.lint.rules import RULES, get
    if code is None:
        if fmt == "json":
            click.echo(json.dumps([{"code": c, "name": r.NAME, "severity": r.SEVERITY, "scope": r.SCOPE,
                                    "fix": _fixable(r) or None, "summary": r.SUMMARY} for c, r in RULES.items()],
                                  indent=1))
            return 0
        width = max(len(r.NAME) for r in RULES.values())
        lines = [f"{'code':<6} {'slug':<{width}} {'severity':<8} {'scope':<8} {'fix':<4} summary"]
        for c, r in RULES.items():
            lines.append(f"{c:<6} {r.NAME:<{width}} {r.SEVERITY:<8} {r.SCOPE:<8} {_fixable(r):<4} {r.SUMMARY}")
        lines.append(f"{len(RULES)} rules; `cfggen rules CODE` prints one rule's documentation")
        click.echo("\n".join(lines))
        return 0
    try:
        rule = get(code)
    except KeyError:
        import difflib
        typo = code.upper().replace("O", "0").replace("I", "1").replace("L", "1")
        close = ([typo] if typo in RULES else difflib.get_close_matches(code.upper(), list(RULES), n=1)
                 or difflib.get_close_matches(code.lower(), [r.NAME for r in RULES.values()], n=1))
        raise UsageError(f"no rule '{code}'" + (f"; did you mean {close[0]}?" if close else
                                                "; `cfggen rules` lists them")) from None
    if fmt == "json":
        click.echo(json.dumps({"code": rule.CODE, "name": rule.NAME, "severity": rule.SEVERITY, "scope": rule.SCOPE,
                               "fix": _fixable(rule) or None, "summary": rule.SUMMARY,
                               "doc": inspect.cleandoc(rule.__doc__ or "")}, indent=1))
        return 0
    click.echo(f"{rule.CODE} {rule.NAME} (default severity: {rule.SEVERITY}; scope: {rule.SCOPE})\n")
    click.echo(inspect.cleandoc(rule.__doc__ or rule.SUMMARY))
    return 0
