"""Suppression comments: ``# cfggen: disable-next-line CODE``, ``disable``/``enable`` ranges, ``disable-file``.

Darknet treats only a whole line starting with ``#`` or ``;`` as a comment (an inline ``# noqa`` would
become part of the value), so suppressions are whole-line comments:

* ``# cfggen: disable-next-line DN202,DN304`` — the next line that is not blank and not a comment.
  When that line is a section header, the whole section (up to the next header) is covered: findings
  about a layer are placed at its header or at any of its keys, and one comment above the section
  covers them wherever they land.
* ``# cfggen: disable DN214`` ... ``# cfggen: enable DN214`` — the lines in between (to the end of the
  file without an ``enable``); a bare ``# cfggen: enable`` closes every open range.
* ``# cfggen: disable-file DN501`` — the whole file, wherever the comment is.

Codes or slugs, separated by commas or spaces; text after `` -- `` is a free-form reason. A comment
that cannot be read is finding DN190, a suppression that suppressed nothing is DN191 (checked only for
rules that are enabled). Neither of the two can itself be suppressed by a comment.
"""
from __future__ import annotations

import re
from cfggen.findings import replace

from cfggen.cfg.model import Document
from cfggen.findings import Diagnostic

# compiled on first use by re's own cache (only files that mention cfggen in a comment need it)
_DIRECTIVE = r"^[#;]+\s*cfggen\s*:\s*(?P<rest>.*)$"
_KINDS = ("disable-next-line", "disable", "enable", "disable-file")
SELF = ("DN190", "DN191")


class Directive:
    """One suppression comment: the lines it covers and the codes it has suppressed so far.

    A plain class with slots rather than a dataclass: @dataclass generates and compiles its methods
    when the module is imported, on every start-up of `cfggen validate`."""

    __slots__ = ("line", "kind", "codes", "start", "end", "used", "cols")

    def __init__(self, line: int, kind: str, codes: tuple[str, ...], start: int, end: int,
                 used: set[str] | None = None, cols: dict[str, int] | None = None):
        self.line, self.kind, self.codes, self.start, self.end = line, kind, codes, start, end
        self.used = set() if used is None else used
        self.cols = {} if cols is None else cols

    def __repr__(self) -> str:
        return (f"Directive(line={self.line!r}, kind={self.kind!r}, codes={self.codes!r}, start={self.start!r}, "
                f"end={self.end!r}, used={self.used!r}, cols={self.cols!r})")


def _resolve(token: str) -> str | None:
    from cfggen.lint.rules import BY_NAME, RULES
    rule = RULES.get(token.upper()) or BY_NAME.get(token.lower())
    return rule.CODE if rule is not None else None


def _candidates(doc: Document) -> list:
    """The comments that mention cfggen (in any case). Most files have none: one search of the whole
    text decides that (a comment's lower-cased text is part of the lower-cased text of the file)."""
    if "cfggen" not in doc.text.lower():
        return []
    return [c for c in doc.comments if "cfggen" in c.text.lower()]


def has_directives(doc: Document) -> bool:
    """False when the file has no comment ``apply`` could act on (it then changes nothing)."""
    return bool(_candidates(doc))


def parse_directives(doc: Document) -> tuple[list[Directive], list[Diagnostic]]:
    """Every suppression comment of the file, with the lines it covers, and the malformed ones."""
    directives: list[Directive] = []
    bad: list[Diagnostic] = []
    candidates = _candidates(doc)
    if not candidates:
        return directives, bad
    raw = doc.raw_lines   # len(doc.lines) without building every Line record
    nlines = len(raw) - (0 if raw[-1] else 1)
    comment_lines = {c.line for c in doc.comments}
    headers = sorted(s.line for s in doc.sections)
    open_ranges: dict[str, Directive] = {}
    for c in candidates:
        m = re.match(_DIRECTIVE, c.text, re.IGNORECASE)
        if not m:
            continue
        raw = doc.line_text(c.line)
        rest = m.group("rest").split(" -- ", 1)[0].strip()
        parts = rest.split(None, 1)
        kind = parts[0].lower() if parts else ""
        codes_text = parts[1] if len(parts) > 1 else ""
        if kind not in _KINDS:
            guess = next((k for k in _KINDS if kind.startswith(k[:5])), None) if kind else None
            bad.append(Diagnostic("DN190", f"unknown suppression directive '{kind or rest}'", line=c.line, col=1,
                                  hint=f"did you mean '{guess}'?" if guess else
                                  "use disable-next-line, disable, enable or disable-file"))
            continue
        tokens = [t for t in re.split(r"[\s,]+", codes_text.strip()) if t]
        codes: list[str] = []
        cols: dict[str, int] = {}
        for t in tokens:
            code = _resolve(t)
            col = raw.find(t) + 1 or 1
            if code is None:
                bad.append(Diagnostic("DN190", f"'{t}' is not a cfggen rule code or slug", line=c.line, col=col,
                                      hint="`cfggen rules` lists the codes"))
            elif code not in codes:
                codes.append(code)
                cols[code] = col
        if not tokens and kind != "enable":
            bad.append(Diagnostic("DN190", f"'cfggen: {kind}' names no rule", line=c.line, col=1,
                                  hint=f"write '# cfggen: {kind} CODE[,CODE]'"))
            continue
        if tokens and not codes:
            continue  # every code was unknown: already reported
        if kind == "disable-next-line":
            target = next((n for n in range(c.line + 1, nlines + 1)
                           if n not in comment_lines and doc.line_text(n).strip()), None)
            if target is None:
                bad.append(Diagnostic("DN190", "disable-next-line with no line after it", line=c.line, col=1))
                continue
            end = target
            if target in headers:
                later = [h for h in headers if h > target]
                end = later[0] - 1 if later else nlines
            directives.append(Directive(c.line, kind, tuple(codes), target, end, cols=cols))
        elif kind == "disable-file":
            directives.append(Directive(c.line, kind, tuple(codes), 1, nlines, cols=cols))
        elif kind == "disable":
            for code in codes:
                if code in open_ranges:
                    bad.append(Diagnostic("DN190", f"{code} is already disabled since line {open_ranges[code].line}",
                                          line=c.line, col=cols[code]))
                    continue
                d = Directive(c.line, kind, (code,), c.line, nlines, cols={code: cols[code]})
                open_ranges[code] = d
                directives.append(d)
        else:  # enable
            targets = codes or list(open_ranges)
            if not targets:
                bad.append(Diagnostic("DN190", "'cfggen: enable' with no open 'disable' range", line=c.line, col=1))
            for code in targets:
                d = open_ranges.pop(code, None)
                if d is None:
                    bad.append(Diagnostic("DN190", f"'enable {code}' without a 'disable {code}' before it",
                                          line=c.line, col=cols.get(code, 1)))
                else:
                    d.end = c.line
    return directives, bad


def apply(doc: Document, findings: list[Diagnostic], enabled: frozenset[str] | None) -> list[Diagnostic]:
    """Drop suppressed findings; add DN190 (malformed) and DN191 (unused) findings when enabled."""
    directives, bad = parse_directives(doc)
    if not directives and not bad:
        return findings
    kept: list[Diagnostic] = []
    for d in findings:
        hit = False
        if d.code not in SELF:
            for s in directives:
                if d.code in s.codes and s.start <= d.line <= s.end:
                    s.used.add(d.code)
                    hit = True
        if not hit:
            kept.append(d)

    def on(code: str) -> bool:
        return enabled is None or code in enabled

    if on("DN190"):
        kept.extend(replace(b, path=doc.path) for b in bad)
    if on("DN191"):
        for s in directives:
            for code in s.codes:
                if code not in s.used and on(code):
                    what = {"disable-next-line": f"line {s.start}" if s.start == s.end else f"lines {s.start}-{s.end}",
                            "disable-file": "this file", "disable": f"lines {s.start}-{s.end}"}[s.kind]
                    kept.append(Diagnostic("DN191", f"'{s.kind} {code}' suppresses nothing: no {code} finding on "
                                           f"{what}", line=s.line, col=s.cols.get(code, 1), path=doc.path,
                                           hint="delete the suppression (or the code from it)"))
    return kept
