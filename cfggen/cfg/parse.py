"""Text -> Document, reading lines exactly as darknet's ``read_cfg`` does.

Darknet (``utils.c: fgetl, strip``; ``parser.c: read_cfg``; ``option_list.c: read_option``):
lines end at ``\\n`` (a ``\\r`` before it goes too); every space, tab, CR and LF anywhere in the line is
deleted; the first remaining character decides: ``[`` starts a section (the whole stripped line is
its type), nothing / ``#`` / ``;`` is ignored, anything else is ``key=value`` split at the first ``=``.
``key=`` (``=`` as the last character) is rejected; a line without ``=`` is a key with no value.
"""
from __future__ import annotations

import os

from cfggen.cfg.model import Comment, Document, Line, Option, Section
from cfggen.errors import CfgSyntaxError, InputError

_STRIP = str.maketrans("", "", " \t\r\n")


def darknet_strip(text: str) -> str:
    """Delete every space, tab, CR and LF, as darknet's ``strip()`` does."""
    return text.translate(_STRIP)


def read_file(path: str) -> Document:
    """Read and parse a file; unreadable input raises ``InputError``/``CfgSyntaxError``."""
    if os.path.isdir(path):
        raise InputError("is a directory, not a cfg file", path=path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None
    return parse_bytes(data, path)


def parse_bytes(data: bytes, path: str = "<string>") -> Document:
    """Decode (UTF-8; binary data is an error with its byte offset) and parse."""
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise CfgSyntaxError(f"binary data (NUL byte at offset {nul}); not a cfg text file",
                             path=path, line=line, col=nul - (data.rfind(b"\n", 0, nul) + 1) + 1)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = exc.start
        line = data.count(b"\n", 0, start) + 1
        col = start - (data.rfind(b"\n", 0, start) + 1) + 1
        raise CfgSyntaxError(f"not UTF-8 text (invalid byte 0x{data[start]:02x} at offset {start})",
                             path=path, line=line, col=col) from None
    return parse(text, path)


def split_lines(text: str) -> list[Line]:
    pieces = text.split("\n")
    lines: list[Line] = []
    last = len(pieces) - 1
    for i, piece in enumerate(pieces):
        if i == last:
            if piece:
                lines.append(Line(piece, ""))
        elif piece.endswith("\r"):
            lines.append(Line(piece[:-1], "\r\n"))
        else:
            lines.append(Line(piece, "\n"))
    return lines


def _first_col(raw: str) -> int:
    for i, ch in enumerate(raw):
        if ch not in " \t\r\n":
            return i + 1
    return 1


def parse(text: str, path: str = "<string>") -> Document:
    """Parse cfg text into a Document; never raises on any text."""
    bom = text.startswith("\ufeff")
    lines = split_lines(text)
    sections: list[Section] = []
    orphans: list[Option] = []
    comments: list[Comment] = []
    header: tuple[str, int, int] | None = None
    options: list[Option] = []
    strip = _STRIP

    def close() -> None:
        if header is not None:
            sections.append(Section(header[0], header[1], header[2], tuple(options), len(sections) - 1))

    for n, line in enumerate(lines, start=1):
        raw = line.text
        if n == 1 and bom:
            raw = raw[1:]
        s = raw.translate(strip)
        if not s:
            continue
        first = s[0]
        if first == "[":
            close()
            header = (s, n, _first_col(raw) + (1 if n == 1 and bom else 0))
            options = []
        elif first == "#" or first == ";":
            comments.append(Comment(n, raw.lstrip(" \t")))
        else:
            col = _first_col(raw) + (1 if n == 1 and bom else 0)
            eq = s.find("=")
            if eq < 0:
                opt = Option(s, None, n, col, col + len(raw.strip(" \t\r")), "noeq")
            else:
                raw_eq = raw.find("=")
                value_col = raw_eq + 2 + (1 if n == 1 and bom else 0)
                rest = raw[raw_eq + 1:]
                value_col += len(rest) - len(rest.lstrip(" \t"))
                if eq == len(s) - 1:
                    opt = Option(s[:eq], "", n, col, value_col, "empty")
                else:
                    opt = Option(s[:eq], s[eq + 1:], n, col, value_col, "ok")
            if header is None:
                orphans.append(opt)
            else:
                options.append(opt)
    close()
    return Document(path=path, lines=tuple(lines), sections=tuple(sections), orphans=tuple(orphans),
                    comments=tuple(comments), bom=bom)
