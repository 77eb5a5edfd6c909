"""``--fix``: apply the safe fixes of an analysis through the lossless parser.

Only fixes marked safe are applied; edits replace whole physical lines, so every other byte of the
file (comments, blank lines, spacing, line endings) stays as it was. Fixes are applied in rounds
(one fix can make another applicable, e.g. removing a trailing comma from ``mask=`` before setting
``filters=``); after each round the new text is parsed and validated again, and the round is
refused when any rule reports more findings (at any level) than before, or when it removed none.
"""
from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass
from typing import Callable

from cfggen.cfg.emit import replace_lines
from cfggen.cfg.parse import parse
from cfggen.lint.engine import Analysis

MAX_ROUNDS = 5


@dataclass(frozen=True)
class FixResult:
    original: str
    text: str                  # the fixed text (== original when nothing was applied)
    applied: int               # findings fixed
    analysis: Analysis         # the analysis of ``text``
    refused: str | None = None  # why a round was not applied

    @property
    def changed(self) -> bool:
        return self.text != self.original

    def diff(self, path: str) -> str:
        return "".join(difflib.unified_diff(self.original.splitlines(keepends=True),
                                            self.text.splitlines(keepends=True),
                                            fromfile=f"a/{path}", tofile=f"b/{path}"))


def _by_code(a: Analysis) -> Counter:
    return Counter((d.code, d.severity) for d in a.findings)


def worse(before: Analysis, after: Analysis) -> str | None:
    """Why ``after`` is worse than ``before``: a rule that reports more findings (of a level) than before."""
    b, a = _by_code(before), _by_code(after)
    grown = sorted(k for k in a if a[k] > b.get(k, 0))
    if grown:
        code, level = grown[0]
        return f"refused: the fixed text has {a[(code, level)]} {code} {level}(s), the original {b.get((code, level), 0)}"
    return None


def choose_edits(a: Analysis) -> tuple[dict[int, str | None], int]:
    """Non-overlapping edits of the safe fixes (the first fix to claim a line wins)."""
    edits: dict[int, str | None] = {}
    count = 0
    for d in a.findings:
        fix = d.fix
        if fix is None or not fix.safe:
            continue
        lines = [e.line for e in fix.edits]
        if any(n in edits for n in lines) or len(set(lines)) != len(lines):
            continue
        for e in fix.edits:
            edits[e.line] = e.text
        count += 1
    return edits, count


def fix_analysis(a: Analysis, reanalyze: Callable[[object], Analysis]) -> FixResult:
    """Apply safe fixes to ``a.doc`` until none is left; ``reanalyze(doc)`` validates a new text."""
    original = a.doc.text
    current, applied, refused = a, 0, None
    for _ in range(MAX_ROUNDS):
        edits, count = choose_edits(current)
        if not count:
            break
        text = replace_lines(current.doc, edits)
        after = reanalyze(parse(text, current.doc.path))
        refused = worse(current, after)
        if refused:
            break
        if len(after.findings) >= len(current.findings):
            refused = "refused: the fixes did not remove any finding"
            break
        current, applied = after, applied + count
    return FixResult(original, current.doc.text, applied, current, refused)
