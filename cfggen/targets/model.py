"""Records shared by every reader target: a section as one reader sees it, the stop, the verdict.

A target never re-parses cfggen's ``Document``: each reader splits lines, strips whitespace and keeps
duplicates in its own way, so each gets its own view of the text (``RSection``/``ROption``) from its
own line reader (``lines.py``). What differs between readers is data on a ``Target``; the few
behaviours that cannot be data are hooks on it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, NamedTuple

from cfggen.ir.model import Layer
from cfggen.lint.model import Diagnostic

STATUSES = ("ok", "error", "crash")


class ROption(NamedTuple):
    key: str
    value: str | None      # None: the reader stores the key without a value
    line: int
    col: int = 1


class RSection(NamedTuple):
    header: str            # the header as the reader keeps it, e.g. "[net]" or "[net]\r" (pjreddie)
    name: str              # the type name the reader looks up
    line: int
    col: int
    options: tuple[ROption, ...]
    firsts: dict           # key -> its first option (the lookups are the hot path)
    lasts: dict            # key -> its last option

    def first(self, key: str) -> ROption | None:
        return self.firsts.get(key)

    def last(self, key: str) -> ROption | None:
        return self.lasts.get(key)


def section(header: str, name: str, line: int, col: int, options) -> RSection:
    options = tuple(options)
    lasts = {o.key: o for o in options}
    firsts = lasts if len(lasts) == len(options) else {o.key: o for o in reversed(options)}
    return RSection(header, name, line, col, options, firsts, lasts)


class Stop(Exception):
    """The reader leaves here: ``status`` is "error" (its own error path) or "crash" (a signal)."""

    def __init__(self, status: str, code: str, message: str, line: int, col: int = 1, *,
                 layer: int | None = None, hint: str | None = None, reader_bug: bool = False):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.line, self.col, self.layer, self.hint, self.reader_bug = line, col, layer, hint, reader_bug


@dataclass(frozen=True)
class Verdict:
    """What one reader does with one file."""

    target: str
    status: str                                # "ok" | "error" | "crash"
    findings: tuple[Diagnostic, ...]           # the reason first (when not ok), then the differences
    layers: tuple[Layer, ...] = ()             # the network this reader builds (as far as it got)
    outputs: tuple[tuple[int, int], ...] = ()  # (darknet layer index, flat size) of the network outputs
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def reason(self) -> Diagnostic | None:
        return self.findings[0] if self.status != "ok" and self.findings else None


@dataclass(frozen=True)
class Target:
    """One reader: its name, what it is, and how to ask it about a document."""

    name: str
    title: str                                 # e.g. 'hank-ai/darknet V5 "Moonlit" v5.1-104'
    prefix: str                                # finding codes: prefix + 3 digits (its own range)
    check: Callable[..., Verdict]              # check(doc, base) -> Verdict; base: cfggen's AlexeyAB plan
    names: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (slug, default severity)
