"""Findings are data: one record model that every output format is made from.

It lives at the bottom of the package, below both ``cfggen.ir`` (shape inference reports what
darknet itself would stop at) and ``cfggen.lint`` (the rules), so that neither imports upward.
``cfggen.lint.model`` re-exports it for the rule modules.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace physical line ``line`` with ``text`` (None deletes it)."""

    line: int
    text: str | None


@dataclass(frozen=True, slots=True)
class Fix:
    description: str
    edits: tuple[Edit, ...]
    safe: bool = True


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str                         # stable rule code, e.g. "DN201"
    message: str                      # lower-case, with its evidence
    line: int
    col: int = 1
    layer: int | None = None
    size: tuple[int, int] | None = None   # the input size it appears at (None: every size / not size-bound)
    hint: str | None = None
    related: tuple[tuple[int, str], ...] = ()  # other lines involved: (line, what is there)
    fix: Fix | None = None
    end_col: int | None = None
    severity: Severity | str = ""     # "" = the rule's default; the engine stamps it (config overrides win)
    name: str = ""                    # the rule's slug, stamped by the engine
    path: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def sort_key(self) -> tuple:
        return (self.path, self.line, self.col, self.code, self.message)
