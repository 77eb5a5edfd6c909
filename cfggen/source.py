"""Source snippets for findings."""
from __future__ import annotations


def snippet(lines: list[str] | tuple[str, ...], line: int, col: int, width: int = 1) -> str:
    """A two-line excerpt: the source line and a caret (``^~~``) under ``col``."""
    if not 1 <= line <= len(lines):
        return ""
    raw = lines[line - 1].rstrip("\r").expandtabs(1)
    text = printable(raw)
    gutter = f"{line:>5} | "
    caret = " " * len(printable(raw[:col - 1])) + "^" + "~" * max(0, width - 1)
    return f"{gutter}{text}\n{' ' * (len(gutter) - 2)}| {caret}"


_HEX = {i: f"\\x{i:02x}" for i in range(32) if i not in (9, 10, 13)}
_HEX.update({0xDC00 + b: f"\\x{b:02x}" for b in range(0x80, 0x100)})  # surrogateescape'd bytes


def printable(text: str) -> str:
    """Text from a cfg made safe to print: bytes that are not UTF-8 (decoded as lone surrogates)
    and control characters other than tab/LF/CR are shown as ``\\xNN``."""
    if text.isascii() and text.isprintable():
        return text
    return text.translate(_HEX)


_SURROGATES = {0xDC00 + b: f"\\x{b:02x}" for b in range(0x80, 0x100)}


def printable_bytes(text: str) -> str:
    """Only the undecodable bytes shown as ``\\xNN`` (the last guard before writing a report)."""
    return text.translate(_SURROGATES)
