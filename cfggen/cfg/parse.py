"""Text -> Document, reading lines exactly as darknet's ``read_cfg`` does.

Darknet (``utils.c: fgetl, strip``; ``parser.c: read_cfg``; ``option_list.c: read_option``):
lines end at ``\\n`` (a ``\\r`` before it goes too); every space, tab, CR and LF anywhere in the line is
deleted; the first remaining character decides: ``[`` starts a section (the whole stripped line is
its type), nothing / ``#`` / ``;`` is ignored, anything else is ``key=value`` split at the first ``=``.
``key=`` (``=`` as the last character) is rejected; a line without ``=`` is a key with no value.
"""
from __future__ import annotations

import re
from itertools import repeat
from operator import itemgetter

from cfggen.cfg.model import Comment, Cut, Document, Option, ParsedSection, Section
from cfggen.nogc import nogc

_STRIP = str.maketrans("", "", " \t\r\n")


def darknet_strip(text: str) -> str:
    """Delete every space, tab, CR and LF, as darknet's ``strip()`` does."""
    return text.translate(_STRIP)


def read_file(path: str) -> Document:
    """Read and parse a file; unreadable input raises ``InputError``/``CfgSyntaxError``."""
    from cfggen.fileio import read_bytes
    return parse_bytes(read_bytes(path, directory="is a directory, not a cfg file")[0], path)


def _strip_blanks(text: str) -> str:
    """darknet's ``strip()`` of every line at once: spaces, tabs and CRs deleted, the LFs kept."""
    stripped = text.replace(" ", "").replace("\t", "")
    return stripped.replace("\r", "") if "\r" in stripped else stripped


def parse_bytes(data: bytes, path: str = "<string>") -> Document:
    """Parse the bytes as darknet reads them; never raises, never loses a byte.

    Darknet reads bytes, not text: a Latin-1 or GBK comment, or a stray 0xff in a value, is just
    bytes to it. Decoding is UTF-8 with ``surrogateescape``, so every byte that is not UTF-8 becomes
    one lone surrogate (U+DC80..U+DCFF) and ``text.encode("utf-8", "surrogateescape") == data``
    (PEP 383): ``emit``, ``--fix`` and ``adapt`` write the rest of the file back untouched.
    """
    return parse(data.decode("utf-8", "surrogateescape"), path)


def encode(text: str) -> bytes:
    """The bytes of a Document's text (the inverse of ``parse_bytes``'s decoding)."""
    return text.encode("utf-8", "surrogateescape")


_UNDECODED = re.compile("[\udc80-\udcff]")


def fgetl_lines(data: bytes) -> list[tuple[int, bytes, tuple[Cut, ...]]]:
    """Darknet's line reader, byte for byte, for files holding a NUL byte (``utils.c: fgetl``).

    ``fgets`` reads into a 512-byte buffer that doubles as needed, and ``strlen`` decides where the
    line ends: a NUL ends the C string, and since no ``\\n`` precedes it, fgetl calls ``fgets`` again
    *at the NUL*: the rest of the chunk read so far (to the newline) is lost and the next chunk (the
    next physical line, or the rest of a line longer than the buffer) is glued on. Returns, per
    darknet line, (its first physical line, its bytes, the cuts made in it).
    """
    out: list[tuple[int, bytes, tuple[Cut, ...]]] = []
    pos, n = 0, len(data)
    eof = False
    while not eof:
        if pos >= n:
            break                          # fgets returns NULL at end of file: no more lines
        start_line = data.count(b"\n", 0, pos) + 1
        size = 512
        line = b""
        cuts: list[Cut] = []

        def fgets(limit: int) -> bytes | None:
            nonlocal pos, eof
            if pos >= n:
                eof = True
                return None
            end = data.find(b"\n", pos, pos + limit - 1)
            stop = end + 1 if end >= 0 else min(n, pos + limit - 1)
            chunk = data[pos:stop]
            pos = stop
            if pos >= n and not chunk.endswith(b"\n"):
                eof = True
            return chunk

        def strlen(buf: bytes) -> int:
            """strlen of the chunk fgets just read, recording where a NUL cuts it."""
            z = buf.find(b"\x00")
            if z < 0:
                return len(buf)
            nl = buf.find(b"\n", z)
            dropped = buf[z:nl if nl >= 0 else len(buf)]
            base = pos - (len(buf) - z)      # file offset of the NUL
            line_no = data.count(b"\n", 0, base) + 1
            col = base - (data.rfind(b"\n", 0, base) + 1) + 1
            cuts.append(Cut(line_no, col, dropped.decode("utf-8", "surrogateescape")))
            return z

        chunk = fgets(size)
        if chunk is None:
            break
        curr = strlen(chunk)
        line = chunk[:curr]
        # `line[curr-1]` with curr == 0 reads the byte before the buffer (malloc's size field, not '\n')
        while (curr == 0 or line[curr - 1:curr] != b"\n") and not eof:
            if curr == size - 1:
                size *= 2
            chunk = fgets(size - curr)
            if chunk is None:
                break
            z = strlen(chunk)
            line = line + chunk[:z]
            curr = len(line)
        if curr >= 2 and line[curr - 2:curr - 1] == b"\r":
            line = line[:curr - 2]
        elif curr >= 1 and line[curr - 1:curr] == b"\n":
            line = line[:curr - 1]
        out.append((start_line, line, tuple(cuts)))
    return out


@nogc
def parse(text: str, path: str = "<string>") -> Document:
    """Parse cfg text into a Document; never raises on any text.

    Speed matters here (every check starts with it; a corpus is 60,000 lines), so the common work is
    done on the whole text at once, in C: darknet's ``strip()`` deletes every space, tab and CR wherever
    it is, which is the same as deleting them from the whole text before splitting it into lines (the
    LF separators stay). Section headers are then found by searching the stripped text for a line that
    starts with '['; each section keeps its slice of the stripped text and builds its option records
    only when asked (``Section.options``, ``_read_options``). Sections whose slices are equal are twins
    (``Document.twins``): the same lines read to the same options.
    """
    if "\x00" in text or text.startswith("\ufeff"):
        return _parse_slow(text, path, text.split("\n"))
    stripped = _strip_blanks(text)
    # one C split at the lines that start with '[': the pieces are the sections (without that '[')
    pieces = stripped.split("\n[")
    # The same split of the text itself gives each section's physical lines, when no header line is
    # indented: every physical line that starts with '[' is a header line, so equal counts mean the
    # very same lines, and every header is at column 1. A section then keeps its own physical text (for
    # the columns of its options, if anyone asks) and the file is not split into lines at all.
    raw_pieces = None if stripped is text else text.split("\n[")
    aligned = raw_pieces is None or len(raw_pieces) == len(pieces) and (text[:1] == "[") == (stripped[:1] == "[")
    raw_lines = None if aligned else text.split("\n")
    head = pieces[0]
    if head[:1] == "[":
        pieces[0] = head[1:]
        head = ""
        n = 1                               # the line of the next header
        if aligned and raw_pieces is not None:
            raw_pieces[0] = raw_pieces[0][1:]
    else:
        del pieces[0]
        n = head.count("\n") + 2           # (the split took the newline before it)
        if aligned and raw_pieces is not None:
            del raw_pieces[0]
    if raw_pieces is None:
        raw_pieces = pieces                 # nothing was stripped: the pieces are the physical text
    # option lines before the first section (darknet segfaults on them: DN109)
    orphans = _read_options(head, raw_lines or text.split("\n", n - 1), 0) if head else ()
    sections: list[Section] = []
    twins: list[int] = []
    first_with: dict[str, int] = {}
    ws = " \t\r\n"
    for k, piece in enumerate(pieces):
        # the section's lines without the blank and comment lines that end it (often a note about the
        # next section): the twins below are then found by comparing the lines that matter
        body = "[" + piece.rstrip("\n")
        j = body.rfind("\n")
        while j > 0 and body[j + 1] in "#;":
            body = body[:j].rstrip("\n")
            j = body.rfind("\n")
        twin = first_with.setdefault(body, k) if k else 0
        if twin != k:      # the very lines of an earlier section: its header and text are these
            first = sections[twin]
            header = first.header
            body = first._text
        else:
            h = body.find("\n")
            header = body if h < 0 else body[:h]
        section = ParsedSection()     # lazy: its slots are set here, not by Section(...)
        section.header = header
        section.line = n
        if aligned:
            section.col = 1
            section._raw = raw_pieces[k]
        else:
            raw = raw_lines[n - 1]
            section.col = 1 if len(header) == len(raw) else len(raw) - len(raw.lstrip(ws)) + 1
            section._raw = raw_lines
        section.index = k - 1
        section._options = None
        section._text = body
        section._pairs = None
        sections.append(section)
        twins.append(twin)
        n += piece.count("\n") + 1
    return _document(path, text, sections, orphans, None, False, raw_lines, (), twins)


def _read_options(text: str, raw_lines: list[str] | str, line: int) -> tuple[Option, ...]:
    """The option records of one section (``text``: its stripped lines from the header on, ``line``: the
    header's line number) or, with ``line`` 0, of the lines before the first section. ``raw_lines``:
    the file's physical lines, or (a str) the section's own physical text from its header line on.
    For the usual line with nothing deleted the columns are known without looking at the raw line
    again. Records are built with ``tuple.__new__`` (a named tuple's own constructor is a Python
    function)."""
    lines = text.split("\n")
    if line:
        lines[0] = ""                      # the header
        n = line - 1
    else:
        n = 0
    options: list[Option] = []
    append = options.append
    new = tuple.__new__
    ws = " \t\r\n"
    raws = raw_lines.split("\n") if raw_lines.__class__ is str else raw_lines[n:n + len(lines)]
    for s, raw in zip(lines, raws):
        n += 1
        if not s:
            continue
        first = s[0]
        if first == "#" or first == ";":
            continue
        key, eq, value = s.partition("=")
        if len(s) == len(raw):    # nothing was deleted: columns map one to one
            if eq:
                append(new(Option, (key, value, n, 1, len(key) + 2, "ok" if value else "empty")))
            else:
                append(new(Option, (s, None, n, 1, 1 + len(s), "noeq")))
            continue
        body = raw.lstrip(ws)
        col = len(raw) - len(body) + 1
        if not eq:
            append(new(Option, (s, None, n, col, col + len(body.rstrip(ws)), "noeq")))
            continue
        if len(s) == len(body):       # only leading whitespace was deleted
            value_col = col + len(key) + 1
        else:
            raw_eq = raw.find("=")
            rest = raw[raw_eq + 1:]
            value_col = raw_eq + 2 + len(rest) - len(rest.lstrip(" \t"))
        append(new(Option, (key, value, n, col, value_col, "ok" if value else "empty")))
    return tuple(options)


_PARTITION = str.partition
_VALUE = itemgetter(2)


def plain_pairs(text: str) -> list[tuple[str, str, str]] | None:
    """``Section.pairs``: ``line.partition("=")`` of every line after the header of ``text`` (a
    section's stripped lines, as ``parse`` keeps them), or None unless every such line is
    ``key=value`` with a value: no blank or comment line between them (a header line cannot occur
    inside a section). A value is never empty, so every middle element is '='."""
    if "\n\n" in text or "\n#" in text or "\n;" in text:
        return None
    lines = text.split("\n")
    del lines[0]
    # str.partition over (line, "=") pairs: a methodcaller would make a bound method per line
    parts = list(map(_PARTITION, lines, repeat("=")))
    return parts if all(map(_VALUE, parts)) else None


def find_comments(text: str, raw_lines: list[str]) -> tuple[Comment, ...]:
    """Every whole-line comment of a file without NUL bytes or byte-order mark (``parse``'s files)."""
    if "#" not in text and ";" not in text:
        return ()
    stripped = _strip_blanks(text)
    new = tuple.__new__
    ws = " \t\r\n"
    return tuple(new(Comment, (n, raw.lstrip(ws).rstrip("\r")))
                 for n, (s, raw) in enumerate(zip(stripped.split("\n"), raw_lines), 1)
                 if s[:1] == "#" or s[:1] == ";")


def _document(path, text, sections, orphans, comments, bom, raw_lines, cuts, twins=None) -> Document:
    doc = Document(path, text, tuple(sections), tuple(orphans), None if comments is None else tuple(comments),
                   bom, twins)
    doc._raw = raw_lines
    doc.cuts = cuts
    doc.undecoded = not text.isascii() and _UNDECODED.search(text) is not None
    return doc


def _parse_slow(text: str, path: str, raw_lines: list[str]) -> Document:
    """``parse`` for the rare file with a NUL byte or a byte-order mark, one line at a time."""
    bom = text.startswith("\ufeff")
    numbered = enumerate(raw_lines, start=1)
    cuts: tuple[Cut, ...] = ()
    if "\x00" in text:
        # darknet's reader cuts lines at a NUL and joins the next one: read the lines it reads
        read = fgetl_lines(encode(text))
        numbered = [(n, line.decode("utf-8", "surrogateescape")) for n, line, _ in read]
        cuts = tuple(c for _, _, cs in read for c in cs)
    sections: list[Section] = []
    orphans: list[Option] = []
    comments: list[Comment] = []
    header: tuple[str, int, int] | None = None
    options: list[Option] = []
    ws = " \t\r\n"
    new = tuple.__new__
    append_option = orphans.append     # until the first section header
    append_comment = comments.append
    for n, raw in numbered:
        body = raw.lstrip(ws)
        if not body:
            continue
        first = body[0]
        if first == "#" or first == ";":
            append_comment(new(Comment, (n, body.rstrip("\r"))))
            continue
        shift = 0
        if n == 1 and bom:
            # darknet keeps the BOM bytes (it is not whitespace to it); cfggen reports the BOM (DN110)
            # and reads the rest as intended, so that one finding does not hide all the others
            raw, shift = raw[1:], 1
            body = raw.lstrip(ws)
            if not body:
                continue
            first = body[0]
        s = _strip_blanks(body)   # darknet's strip(): every space, tab and CR goes, wherever it is
        # str methods return the very same object when they change nothing: cheap tests for the common case
        col = 1 + shift if body is raw else len(raw) - len(body) + 1 + shift
        if first == "[":
            if header is not None:
                sections.append(Section(header[0], header[1], header[2], tuple(options), len(sections) - 1))
            header = (s, n, col)
            options = []
            append_option = options.append
            continue
        key, eq, value = s.partition("=")
        if not eq:
            append_option(new(Option, (s, None, n, col, col + len(body.rstrip(ws)), "noeq")))
            continue
        if s is body:                 # nothing deleted inside the line: columns map one to one
            value_col = col + len(key) + 1
        else:
            raw_eq = raw.find("=")
            rest = raw[raw_eq + 1:]
            value_col = raw_eq + 2 + shift + len(rest) - len(rest.lstrip(" \t"))
        append_option(new(Option, (key, value, n, col, value_col, "ok" if value else "empty")))
    if header is not None:
        sections.append(Section(header[0], header[1], header[2], tuple(options), len(sections) - 1))
    return _document(path, text, sections, orphans, comments, bom, raw_lines, cuts)


Section.read_options = staticmethod(_read_options)
Section.plain_pairs = staticmethod(plain_pairs)
Document.find_comments = staticmethod(find_comments)
