"""What a rule module sees, and small helpers shared by rules."""
from __future__ import annotations

from dataclasses import dataclass

from cfggen.cfg.model import Document, Section
from cfggen.ir.build import Plan
from cfggen.ir.model import Network
from cfggen.lint.model import Diagnostic


@dataclass(frozen=True)
class RuleContext:
    doc: Document
    plan: Plan
    net: Network                         # the network at `size` (file-scope rules: the native size)
    size: tuple[int, int] | None         # None: the cfg's own size


def at(section: Section, key: str | None = None) -> tuple[int, int]:
    """(line, col) of a key in a section (the first, darknet's), or of the section header."""
    if key is not None:
        opt = section.get(key)
        if opt is not None:
            return opt.line, opt.col
    return section.line, section.col


def diag(code: str, message: str, section: Section, key: str | None = None, **kw) -> Diagnostic:
    line, col = at(section, key)
    return Diagnostic(code, message, line=line, col=col, **kw)
