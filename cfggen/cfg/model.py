"""Frozen records for a parsed cfg file.

Records are named tuples (immutable and cheap to build: a corpus file has thousands of lines;
``collections.namedtuple`` subclasses, a quarter of ``typing.NamedTuple``'s cost to define at every
start-up; the annotations in the class bodies are documentation). The
model keeps every physical line (text and line ending), so ``emit(parse(text)) == text`` byte for
byte, and on top of that the darknet view of the file: sections with their options, each with its
line and column. Keys and values are stored the way darknet sees them (every space, tab, CR and LF
deleted, see ``parse.darknet_strip``).
"""
from __future__ import annotations

from collections import namedtuple
from typing import Callable, Literal

# ok: key=value;  empty: "key=" (darknet rejects the line, the option does not exist);
# noeq: a line without '=' (darknet stores a key whose value is NULL: a lookup finds nothing).
OptionForm = Literal["ok", "empty", "noeq"]


class Line(namedtuple("Line", "text eol")):
    __slots__ = ()
    text: str          # the physical line without its line ending
    eol: str           # "\n", "\r\n" or "" (last line without newline)


class Option(namedtuple("Option", "key value line col value_col form", defaults=("ok",))):
    __slots__ = ()
    key: str           # darknet's key: text before the first '=', whitespace deleted
    value: str | None  # text after the first '=', whitespace deleted; None for form "noeq"
    line: int          # 1-based physical line
    col: int           # 1-based column of the key's first character
    value_col: int     # 1-based column of the value's first character (col of '=' + 1 when empty)
    form: OptionForm   # default "ok"

    @property
    def text(self) -> str:
        return self.key if self.value is None else f"{self.key}={self.value}"


class Section:
    """One section: its header line and its options, with the interface of a named tuple
    ``(header, line, col, options, index)`` (fields, unpacking, indexing, equality, repr, pickling).

    Most sections are never looked at option by option: shape inference reads each group of twin
    sections (the very same lines) once, and the rules look only at the few options that are not
    plainly right. So the parser leaves a section's options unbuilt: ``options`` reads them from the
    section's text on first use (``parse._read_options``), and a section nobody asks about costs no
    option records at all. A section made by hand (``Section(header, line, col, options, index)``) has
    its options from the start."""

    __slots__ = ("header", "line", "col", "index", "_options", "_text", "_raw", "_pairs")
    # the readers of a section's text, given by cfggen.cfg.parse (which makes the lazy sections and
    # imports this module): a function-level import would cost more than a small section's reading
    read_options: Callable[[str, "list[str] | str", int], tuple[Option, ...]]
    plain_pairs: Callable[[str], list[tuple[str, str, str]] | None]
    _fields = ("header", "line", "col", "options", "index")
    header: str        # the whole stripped header line, brackets included, e.g. "[conv]"
    line: int
    col: int
    index: int         # darknet layer index: -1 for the first ([net]) section, then 0, 1, ...

    def __init__(self, header: str, line: int, col: int, options: tuple[Option, ...], index: int):
        self.header = header
        self.line = line
        self.col = col
        self._options = options
        self.index = index
        self._text = None
        self._raw = None
        self._pairs = None

    @property
    def options(self) -> tuple[Option, ...]:
        opts = self._options
        if opts is None:
            opts = self._options = Section.read_options(self._text, self._raw, self.line)
            self._text = self._raw = self._pairs = None
        return opts

    def pairs(self) -> list[tuple[str, str, str]] | None:
        """``[(key, "=", value), ...]`` of the options, split from the section's text without building
        option records, when every line after the header is a plain ``key=value`` (a value, no comment
        or blank line among them: then each option has form "ok" and the pairs say all its records
        would); None otherwise, and for a section whose records exist or that was made by hand."""
        found = self._pairs
        if found is None:
            text = self._text
            if text is None:
                return None
            found = Section.plain_pairs(text)
            self._pairs = False if found is None else found    # False: asked, not plain
        return None if found is False else found

    @property
    def built(self) -> bool:
        """Whether the option records exist already (reading ``options`` builds them)."""
        return self._options is not None

    def __iter__(self):
        return iter((self.header, self.line, self.col, self.options, self.index))

    def __len__(self) -> int:
        return 5

    def __getitem__(self, i):
        return (self.header, self.line, self.col, self.options, self.index)[i]

    def __eq__(self, other):
        if not isinstance(other, Section):
            return NotImplemented
        return tuple(self) == tuple(other)

    def __hash__(self):
        return hash(tuple(self))

    def __repr__(self) -> str:
        return (f"Section(header={self.header!r}, line={self.line!r}, col={self.col!r}, "
                f"options={self.options!r}, index={self.index!r})")

    def __reduce__(self):
        return Section, tuple(self)

    def _replace(self, **changes) -> "Section":
        fields = dict(zip(self._fields, self))
        fields.update(changes)
        return Section(**fields)

    def _asdict(self) -> dict:
        return dict(zip(self._fields, self))

    @property
    def name(self) -> str:
        """The text between the brackets (for messages); the header itself decides the type."""
        h = self.header
        return h[1:-1] if h.endswith("]") else h[1:]

    def get(self, key: str) -> Option | None:
        """Darknet's lookup: the first usable option with this key (first duplicate wins)."""
        for opt in self.options:
            if opt.key == key and opt.form != "empty":
                return opt
        return None


class ParsedSection(Section):
    """A section as ``cfggen.cfg.parse`` makes it: the parser sets its slots itself (a lazy section).

    The same record as ``Section`` in every respect (equality, hashing, repr and pickling are
    Section's). It exists for the cost of making one: ``ParsedSection()`` is two C calls (object's
    own ``__new__`` and ``__init__``), where ``object.__new__(Section)`` goes through the checks of
    a ``__new__`` called by name, for each of the corpus's 8,600 sections."""

    __slots__ = ()
    __init__ = object.__init__


class Cut(namedtuple("Cut", "line col dropped")):
    """Where a NUL byte ends darknet's reading of a line (``parse.fgetl_lines``)."""

    __slots__ = ()
    line: int          # physical line of the NUL
    col: int           # its 1-based column (bytes)
    dropped: str       # what darknet never sees: from the NUL to the end of what fgets had read


class Comment(namedtuple("Comment", "line text")):
    __slots__ = ()
    line: int
    text: str          # the raw physical line, leading whitespace removed


class Document:
    """A parsed file. Immutable by convention; ``lines`` is split from ``text`` on first use."""

    __slots__ = ("path", "text", "sections", "orphans", "bom", "extra", "cuts", "undecoded", "_comments",
                 "_twins", "_lines", "_raw", "__weakref__")
    # given by cfggen.cfg.parse, as Section's readers are: the comments of a document it parsed lazily
    find_comments: Callable[[str, list[str]], tuple[Comment, ...]]

    def __init__(self, path: str, text: str, sections: tuple[Section, ...], orphans: tuple[Option, ...] = (),
                 comments: tuple[Comment, ...] | None = (), bom: bool = False, twins: list[int] | None = None):
        self.path = path
        self.text = text
        self.sections = sections
        self.orphans = orphans            # option lines before the first section (darknet segfaults)
        self._comments = comments         # None: found on first use (``comments``)
        self.bom = bom                    # a UTF-8 byte-order mark at the start of the file
        self.extra: dict = {}             # a cache for facts derived from the document (suppressions, ...)
        self.cuts: tuple[Cut, ...] = ()       # NUL bytes where darknet cuts a line (and joins the next)
        self.undecoded = False                # the text holds bytes that are not UTF-8 (lone surrogates)
        self._twins = twins
        self._lines: tuple[Line, ...] | None = None
        self._raw: list[str] | None = None    # text.split("\\n"): by the parser when it needed it, else on first use

    @property
    def comments(self) -> tuple[Comment, ...]:
        """Every whole-line comment ('#' or ';' first after darknet's strip()), in file order."""
        found = self._comments
        if found is None:
            found = self._comments = Document.find_comments(self.text, self.raw_lines)
        return found

    @property
    def twins(self) -> list[int]:
        """Per section, the index of the first section with the very same options (keys, values and
        forms, under the same header): itself when there is none. Twins read to the same conf and the
        same per-option verdicts, so shape inference and the option rules look at one of each group.
        The first section ([net]) is nobody's twin."""
        found = self._twins
        if found is None:
            first: dict = {}
            found = [0] if self.sections else []
            for i, s in enumerate(self.sections[1:], 1):
                found.append(first.setdefault((s.header,) + tuple((o.key, o.value, o.form) for o in s.options), i))
            self._twins = found
        return found

    @property
    def lines(self) -> tuple[Line, ...]:
        """Every physical line with its ending: ``"".join(l.text + l.eol for l in lines) == text``."""
        if self._lines is None:
            pieces = self.text.split("\n")
            tail = pieces.pop()
            new = tuple.__new__   # Line's own constructor is a Python function; a file has thousands
            lines = [new(Line, (p[:-1], "\r\n")) if p.endswith("\r") else new(Line, (p, "\n")) for p in pieces]
            if tail:
                lines.append(new(Line, (tail, "")))
            self._lines = tuple(lines)
        return self._lines

    @property
    def net(self) -> Section | None:
        """The first section if it is [net]/[network], else None."""
        if self.sections and self.sections[0].header in ("[net]", "[network]"):
            return self.sections[0]
        return None

    @property
    def layer_sections(self) -> tuple[Section, ...]:
        """Every section after the first: one darknet layer each."""
        return self.sections[1:]

    @property
    def raw_lines(self) -> list[str]:
        """``text.split("\\n")`` (the parser's, or split on first use): physical lines, a CR-LF line still ending in CR."""
        raw = self._raw
        if raw is None:
            raw = self._raw = self.text.split("\n")
        return raw

    def line_end(self, line: int) -> str:
        """``lines[line - 1].eol`` without splitting the whole file into Line records: "\r\n", "\n",
        or "" for a last line without a newline."""
        raw = self.raw_lines
        if line < len(raw):
            return "\r\n" if raw[line - 1].endswith("\r") else "\n"
        return ""

    def line_text(self, line: int) -> str:
        """Physical line ``line`` (1-based) without its line ending; "" outside the file."""
        raw = self._raw
        if raw is None:
            raw = self._raw = self.text.split("\n")
        if not 1 <= line <= len(raw) or (line == len(raw) and not raw[-1]):
            return ""
        text = raw[line - 1]
        return text[:-1] if text.endswith("\r") and line < len(raw) else text
