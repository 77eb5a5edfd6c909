"""Source snippets for findings."""
from __future__ import annotations


def snippet(lines: list[str] | tuple[str, ...], line: int, col: int, width: int = 1) -> str:
    """A two-line excerpt: the source line and a caret (``^~~``) under ``col``."""
    if not 1 <= line <= len(lines):
        return ""
    text = lines[line - 1].rstrip("\r").expandtabs(1)
    gutter = f"{line:>5} | "
    caret = " " * (col - 1) + "^" + "~" * max(0, width - 1)
    return f"{gutter}{text}\n{' ' * (len(gutter) - 2)}| {caret}"
