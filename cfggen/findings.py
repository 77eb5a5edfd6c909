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
_set = object.__setattr__   # how a frozen dataclass sets its fields in __init__


# The three records are dataclasses (``dataclasses.replace``/``fields`` work on them), frozen and
# slotted; their __init__/__repr__/__eq__/__hash__ are written out here, exactly as @dataclass would
# generate them, because generating and compiling those methods was most of the import time of this
# module on every start-up of `cfggen validate`.
_EXTRA = object()   # "no extra given": a new dict, as field(default_factory=dict) makes


@dataclass(frozen=True, slots=True, init=False, repr=False, eq=False)
class Edit:
    """Replace physical line ``line`` with ``text`` (None deletes it)."""

    line: int
    text: str | None

    def __init__(self, line: int, text: str | None):
        _set(self, "line", line)
        _set(self, "text", text)

    def __repr__(self) -> str:
        return f"{type(self).__qualname__}(line={self.line!r}, text={self.text!r})"

    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return (self.line, self.text) == (other.line, other.text)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.line, self.text))


@dataclass(frozen=True, slots=True, init=False, repr=False, eq=False)
class Fix:
    description: str
    edits: tuple[Edit, ...]
    safe: bool = True

    def __init__(self, description: str, edits: tuple[Edit, ...], safe: bool = True):
        _set(self, "description", description)
        _set(self, "edits", edits)
        _set(self, "safe", safe)

    def __repr__(self) -> str:
        return (f"{type(self).__qualname__}(description={self.description!r}, edits={self.edits!r}, "
                f"safe={self.safe!r})")

    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return (self.description, self.edits, self.safe) == (other.description, other.edits, other.safe)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.description, self.edits, self.safe))


@dataclass(frozen=True, slots=True, init=False, repr=False, eq=False)
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

    def __init__(self, code: str, message: str, line: int, col: int = 1, layer: int | None = None,
                 size: tuple[int, int] | None = None, hint: str | None = None,
                 related: tuple[tuple[int, str], ...] = (), fix: Fix | None = None, end_col: int | None = None,
                 severity: Severity | str = "", name: str = "", path: str = "", extra: dict = _EXTRA):
        _set(self, "code", code)
        _set(self, "message", message)
        _set(self, "line", line)
        _set(self, "col", col)
        _set(self, "layer", layer)
        _set(self, "size", size)
        _set(self, "hint", hint)
        _set(self, "related", related)
        _set(self, "fix", fix)
        _set(self, "end_col", end_col)
        _set(self, "severity", severity)
        _set(self, "name", name)
        _set(self, "path", path)
        _set(self, "extra", {} if extra is _EXTRA else extra)

    def _key(self) -> tuple:
        """Every field but ``extra`` (which takes no part in equality and hashing)."""
        return (self.code, self.message, self.line, self.col, self.layer, self.size, self.hint, self.related,
                self.fix, self.end_col, self.severity, self.name, self.path)

    def __repr__(self) -> str:
        return (f"{type(self).__qualname__}(code={self.code!r}, message={self.message!r}, line={self.line!r}, "
                f"col={self.col!r}, layer={self.layer!r}, size={self.size!r}, hint={self.hint!r}, "
                f"related={self.related!r}, fix={self.fix!r}, end_col={self.end_col!r}, "
                f"severity={self.severity!r}, name={self.name!r}, path={self.path!r}, extra={self.extra!r})")

    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return self._key() == other._key()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._key())

    def sort_key(self) -> tuple:
        return (self.path, self.line, self.col, self.code, self.message)
