"""Positions and source snippets."""
from __future__ import annotations

from typing import NamedTuple


class Loc(NamedTuple):
    """A 1-based position in a file; ``col`` counts characters of the physical line."""

    file: str
    line: int
    col: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


def snippet(lines: list[str] | tuple[str, ...], line: int, col: int, width: int = 1) -> str:
    """A two-line excerpt: the source line and a caret (``^~~``) under ``col``."""
    if not 1 <= line <= len(lines):
        return ""
    text = lines[line - 1].rstrip("\r").expandtabs(1)
    gutter = f"{line:>5} | "
    caret = " " * (col - 1) + "^" + "~" * max(0, width - 1)
    return f"{gutter}{text}\n{' ' * (len(gutter) - 2)}| {caret}"
