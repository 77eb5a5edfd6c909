"""non-utf8-bytes: a section header, key or value holds bytes that are not UTF-8.

*Why*: darknet reads bytes and compares them as they are. Latin-1 or GBK bytes in a comment are
harmless (cfggen reads and writes them back untouched), but in a header they make a section type
darknet does not know, in a key a key no layer reads, and in a value darknet keeps only what its
reader understands (`atoi` stops at the first non-digit: `filters=64\\xe9` is 64). Usually an editor
saved the file in a legacy encoding, or a comment lost its `#`.

*Severity*: a warning: darknet reads the file, and the value it takes from the bytes is shown; the
bytes matter only when that value is not what was meant (DN101/DN102/DN107 then report the effect).

**FAIL**
    [convolutional]
    filters=64\\xe9
**PASS**
    [convolutional]
    filters=64
    # caf\\xe9 (a comment: any bytes are fine)

*Fix safety*: not fixable automatically (cfggen cannot know what was meant).
"""
from __future__ import annotations

from cfggen.ir.cnum import atof, atoi
from cfggen.lint.model import Diagnostic
from cfggen.lint.rules._base import RuleContext, facts
from cfggen.source import printable

CODE, NAME, SEVERITY, SCOPE = "DN119", "non-utf8-bytes", "warning", "file"
SUMMARY = "bytes that are not UTF-8 in a header, key or value (darknet compares the raw bytes)"


def _bad(text: str | None) -> int:
    """0-based index of the first undecodable byte (a lone surrogate), or -1."""
    if not text or text.isascii():
        return -1
    for i, ch in enumerate(text):
        if "\udc80" <= ch <= "\udcff":
            return i
    return -1


def _reading(typ: str | None, value: str) -> str:
    if typ == "i":
        return f"darknet reads {atoi(value)} (atoi stops at the first non-digit)"
    if typ == "f":
        return f"darknet reads {atof(value):g} (atof stops at the first character it cannot use)"
    if typ is None:
        return "darknet keeps the bytes as they are"
    return "darknet compares the bytes as they are, so it matches none of the names it knows"


def check(ctx: RuleContext):
    doc = ctx.doc
    if not doc.undecoded:
        return
    f = facts(doc)
    for i, section in enumerate(doc.sections):
        k = _bad(section.header)
        if k >= 0:
            yield Diagnostic(CODE, f"section header {printable(section.header)} holds bytes that are not UTF-8: "
                             "darknet takes the whole line, bytes and all, as the section type",
                             line=section.line, col=section.col + k,
                             hint="save the file as UTF-8 (or ASCII) and retype the header")
        types = f.key_types[i] or {}
        for opt in section.options:
            yield from _option(opt, types)
    for opt in doc.orphans:
        yield from _option(opt, {})


def _option(opt, types):
    k = _bad(opt.key)
    if k >= 0:
        yield Diagnostic(CODE, f"key {printable(opt.key)} holds bytes that are not UTF-8: darknet looks keys up "
                         "byte for byte, so no layer reads it", line=opt.line, col=opt.col + k,
                         hint="save the file as UTF-8 (or ASCII) and retype the key")
        return
    k = _bad(opt.value)
    if k >= 0:
        yield Diagnostic(CODE, f"{opt.key}={printable(opt.value)} holds bytes that are not UTF-8: "
                         f"{_reading(types.get(opt.key), opt.value)}", line=opt.line, col=opt.value_col + k,
                         hint="save the file as UTF-8 (or ASCII); a comment needs its own line starting with #")
