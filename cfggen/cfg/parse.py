"""Text -> Document, reading lines exactly as darknet's ``read_cfg`` does.

Darknet (``utils.c: fgetl, strip``; ``parser.c: read_cfg``; ``option_list.c: read_option``):
lines end at ``\\n`` (a ``\\r`` before it goes too); every space, tab, CR and LF anywhere in the line is
deleted; the first remaining character decides: ``[`` starts a section (the whole stripped line is
its type), nothing / ``#`` / ``;`` is ignored, anything else is ``key=value`` split at the first ``=``.
``key=`` (``=`` as the last character) is rejected; a line without ``=`` is a key with no value.
"""
from __future__ import annotations

import os

from cfggen.cfg.model import Comment, Document, Option, Section
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


def parse(text: str, path: str = "<string>") -> Document:
    """Parse cfg text into a Document; never raises on any text.

    The hot loop builds records with ``tuple.__new__`` (a NamedTuple's own constructor is a Python
    function: a third of the parse time for a 2,000-line cfg).
    """
    bom = text.startswith("\ufeff")
    raw_lines = text.split("\n")
    sections: list[Section] = []
    orphans: list[Option] = []
    comments: list[Comment] = []
    header: tuple[str, int, int] | None = None
    options: list[Option] = []
    ws = " \t\r\n"
    new = tuple.__new__
    for n, raw in enumerate(raw_lines, start=1):
        shift = 0
        if n == 1 and bom:
            # darknet keeps the BOM bytes (it is not whitespace to it); cfggen reports the BOM (DN110)
            # and reads the rest as intended, so that one finding does not hide all the others
            raw, shift = raw[1:], 1
        body = raw.lstrip(ws)
        if not body:
            continue
        first = body[0]
        if first == "#" or first == ";":
            comments.append(new(Comment, (n, body.rstrip("\r"))))
            continue
        # darknet's strip(): every space, tab, CR and LF goes, wherever it is
        s = body.replace(" ", "").replace("\t", "")
        if "\r" in s:
            s = s.replace("\r", "")
        # str methods return the very same object when they change nothing: cheap tests for the common case
        col = 1 + shift if body is raw else len(raw) - len(body) + 1 + shift
        if first == "[":
            if header is not None:
                sections.append(new(Section, (header[0], header[1], header[2], tuple(options), len(sections) - 1)))
            header = (s, n, col)
            options = []
            continue
        eq = s.find("=")
        if eq < 0:
            opt = new(Option, (s, None, n, col, col + len(body.rstrip(ws)), "noeq"))
        else:
            if s is body:                 # nothing deleted inside the line: columns map one to one
                value_col = col + eq + 1
            else:
                raw_eq = raw.find("=")
                rest = raw[raw_eq + 1:]
                value_col = raw_eq + 2 + shift + len(rest) - len(rest.lstrip(" \t"))
            if eq == len(s) - 1:
                opt = new(Option, (s[:eq], "", n, col, value_col, "empty"))
            else:
                opt = new(Option, (s[:eq], s[eq + 1:], n, col, value_col, "ok"))
        if header is None:
            orphans.append(opt)
        else:
            options.append(opt)
    if header is not None:
        sections.append(new(Section, (header[0], header[1], header[2], tuple(options), len(sections) - 1)))
    doc = Document(path, text, tuple(sections), tuple(orphans), tuple(comments), bom)
    doc._raw = raw_lines
    return doc
