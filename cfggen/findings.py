"""Findings are data: one record model that every output format is made from.

It lives at the bottom of the package, below both ``cfggen.ir`` (shape inference reports what
darknet itself would stop at) and ``cfggen.lint`` (the rules), so that neither imports upward.
``cfggen.lint.model`` re-exports it for the rule modules.
"""
from __future__ import annotations

from operator import attrgetter
from typing import Literal

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
_set = object.__setattr__   # __init__ sets the fields of a read-only record this way


class _Record:
    """A read-only record with slots: what a frozen dataclass is, written out by hand.

    ``@dataclass`` generates and compiles its methods when the module is imported, about a millisecond
    per class on every start-up of ``cfggen validate``; these methods are compiled once, into the .pyc.
    Subclasses list their fields in ``__slots__`` (constructor order) and name the ones that take no
    part in equality and hashing in ``_UNCOMPARED``. ``replace(record, **changes)`` (below) makes a
    changed copy, as ``dataclasses.replace`` does.
    """

    __slots__ = ()
    _UNCOMPARED: tuple[str, ...] = ()
    _FIELDS: tuple[str, ...] = ()   # the fields, in constructor order: ``__slots__`` unless a class says

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if "_FIELDS" not in cls.__dict__:
            cls._FIELDS = cls.__slots__
        keyed = tuple(f for f in cls._FIELDS if f not in cls._UNCOMPARED)
        # the compared fields as one C call (equality and hashing of findings are on the engine's path)
        get = attrgetter(*keyed) if keyed else (lambda record: ())
        cls._KEY = staticmethod(get if len(keyed) != 1 else (lambda record: (get(record),)))

    def _values(self) -> tuple:
        return tuple(getattr(self, f) for f in self._FIELDS)

    def _key(self) -> tuple:
        return self._KEY(self)

    def _replace(self, **changes):
        values = {f: getattr(self, f) for f in self._FIELDS}
        unknown = set(changes) - values.keys()
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {sorted(unknown)[0]!r}")
        values.update(changes)
        return type(self)(**values)

    def __setattr__(self, name, value):
        raise AttributeError(f"cannot assign to field {name!r}: a {type(self).__name__} is read-only")

    def __delattr__(self, name):
        raise AttributeError(f"cannot delete field {name!r}: a {type(self).__name__} is read-only")

    def __reduce__(self):
        return type(self), self._values()

    def __repr__(self) -> str:
        inner = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._FIELDS)
        return f"{type(self).__qualname__}({inner})"

    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return self._key() == other._key()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._key())


def replace(record, **changes):
    """A copy of ``record`` with some fields changed: cfggen's records (``_replace``) and dataclasses."""
    if isinstance(record, _Record):
        return record._replace(**changes)
    import dataclasses
    return dataclasses.replace(record, **changes)


class Edit(_Record):
    """Replace physical line ``line`` with ``text`` (None deletes it)."""

    __slots__ = ("line", "text")
    __match_args__ = __slots__
    line: int
    text: str | None

    def __init__(self, line: int, text: str | None):
        _set(self, "line", line)
        _set(self, "text", text)


class Fix(_Record):
    __slots__ = ("description", "edits", "safe")
    __match_args__ = __slots__
    description: str
    edits: tuple[Edit, ...]
    safe: bool

    def __init__(self, description: str, edits: tuple[Edit, ...], safe: bool = True):
        _set(self, "description", description)
        _set(self, "edits", edits)
        _set(self, "safe", safe)


class Diagnostic(_Record):
    __slots__ = ("code", "message", "line", "col", "layer", "size", "hint", "related", "fix", "end_col", "severity",
                 "name", "path", "extra")
    __match_args__ = __slots__
    _UNCOMPARED = ("extra",)
    code: str                         # stable rule code, e.g. "DN201"
    message: str                      # lower-case, with its evidence
    line: int
    col: int                          # default 1
    layer: int | None                 # default None
    size: tuple[int, int] | None      # the input size it appears at (None: every size / not size-bound)
    hint: str | None
    related: tuple[tuple[int, str], ...]  # other lines involved: (line, what is there); default ()
    fix: Fix | None
    end_col: int | None
    severity: Severity | str          # "" = the rule's default; the engine stamps it (config overrides win)
    name: str                         # the rule's slug, stamped by the engine
    path: str
    extra: dict                       # takes no part in equality or hashing

    def __init__(self, code: str, message: str, line: int, col: int = 1, layer: int | None = None,
                 size: tuple[int, int] | None = None, hint: str | None = None,
                 related: tuple[tuple[int, str], ...] = (), fix: Fix | None = None, end_col: int | None = None,
                 severity: Severity | str = "", name: str = "", path: str = "", extra: dict | None = None):
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
        _set(self, "extra", {} if extra is None else extra)

    def sort_key(self) -> tuple:
        return (self.path, self.line, self.col, self.code, self.message)
