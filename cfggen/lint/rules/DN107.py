"""bad-value: a value that is not a number where darknet reads one.

*Why*: darknet converts with `atoi`/`atof`, which read the longest numeric prefix and give 0 for
anything else, without a message: `filters=abc` is 0 filters, `batch_normalize=true` is 0 (off),
`filters=64.5` is 64, `filters=0x40` is 0, and template leftovers such as `filters=[(classes+5)*3]`
or `{{ filters }}` are 0. Blanks are deleted before reading, so `anchors=61,45 61,45` (a missing
comma) reads the anchor 4561. A `from=` of `[sam]`/`[scale_channels]` takes one layer: `from=-1,-2`
silently uses only -1. The Hank.ai fork rejects non-numeric values.

*Severity*: an error: darknet reads another number than the file shows (0 or a prefix), silently. A
warning where the number read is the one written but the text is not (`filters=64.0`).
The same misread value in several sections (one anchors line pasted into every head) is one finding
at the first, listing the others.

**FAIL**
    [convolutional]
    filters=[(classes+5)*3]
**PASS**
    [convolutional]
    filters=255

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

import math
import re

from cfggen.ir.cnum import atof, atoi, is_float_text
from cfggen.lint.model import Diagnostic
from cfggen.lint.rules._base import (_FLOAT_TO_INT, _PLAIN_FLOAT, _SINGLE_REF, RuleContext, at_option, facts,
                                     value_head)
from cfggen.lint.rules._base import _spaced as spaced_lines

CODE, NAME, SEVERITY, SCOPE = "DN107", "bad-value", "error", "file"
SUMMARY = "non-numeric or wrongly typed value (darknet reads 0 or a prefix)"

# patterns for findings only: compiled on first use by re's own cache, not at import
_INT = r"[+-]?\d+"   # with re.ASCII: C digits only, atoi("\uff13") is 0
_INTEGRAL_FLOAT = r"[+-]?\d+\.0*"
_TEMPLATE = r"[\[\]{}()$<>%*]"
# list keys holding floats; every other list key holds ints (layer indices, mask, steps, counts)
_FLOAT_LISTS = ("anchors", "scales", "seq_scales")
# lists whose every entry is a plain number (no '#', no empty entry): the forms ``_list`` accepts
_INT_LIST = re.compile(r"[+-]?\d+(?:,[+-]?\d+)*", re.ASCII)
_FLOAT_LIST = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?:,[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)*",
                         re.ASCII)


def check(ctx: RuleContext):
    f = facts(ctx.doc)
    spaced = _spaced_lines(ctx.doc, f)
    conflicts = f.conflict_lines
    for i, section, opt in f.odd:   # the options that are not plainly right (one shared pass)
        types = f.key_types[i]
        if types is None:
            continue
        typ = types.get(opt.key)
        if typ is None or typ == "s" or opt.form != "ok":
            continue
        v = opt.value
        if opt.line not in spaced:   # the common case, decided without a regex
            if typ == "i" and v.isascii() and (v.isdigit() or (v[0] in "+-" and v[1:].isdigit())):
                continue
            if typ == "f" and _PLAIN_FLOAT.fullmatch(v) and opt.key not in _FLOAT_TO_INT:
                continue
            # a list of plain numbers (layers=-1,-4; anchors=...; mask=...), the most common odd option:
            # every entry passes ``_list`` (a single-reference key with a comma is reported there)
            if typ == "l" and (_FLOAT_LIST if opt.key in _FLOAT_LISTS else _INT_LIST).fullmatch(v) and \
                    not (opt.key == "from" and section.header in _SINGLE_REF):
                continue
        if opt.line in conflicts:
            continue
        head = value_head(v)
        joined = _joined(ctx.doc.line_text(opt.line), opt) if opt.line in spaced else None
        if joined is not None:
            yield joined
            continue
        d = _list(opt, head, section.header) if typ == "l" else _scalar(opt, head, typ)
        if d is not None:
            yield d


_SPACED = r"[0-9.]([ \t]+)[-+0-9.]"


def _spaced_lines(doc, f) -> frozenset[int]:
    """Lines where a digit and a number are separated only by blanks (found once, in the whole text)."""
    lines = f.memo.get("spaced")
    if lines is None:
        text = doc.text
        lines = f.memo["spaced"] = spaced_lines(text)
    return lines


def _joined(raw: str, opt):
    """Numbers separated only by blanks: darknet deletes the blanks and reads one longer number."""
    body = raw[opt.value_col - 1:].split("#", 1)[0].rstrip()
    m = re.search(_SPACED, body)
    if m is None:
        return None
    a = body[:m.start(1)].rsplit(",", 1)[-1].strip()
    b = body[m.end(1):].split(",", 1)[0].strip()
    return Diagnostic(CODE, f"{opt.key}= has '{a}{m.group(1)}{b}' without a comma: darknet deletes the blanks and "
                      f"reads {(a + b).replace(' ', '').replace(chr(9), '')}", line=opt.line,
                      col=opt.value_col + m.start(1) - len(a), hint="separate the numbers with a comma")


def _why(text: str) -> str:
    if re.search(_TEMPLATE, text):
        return " (a template placeholder or formula that was never filled in?)"
    if text.lower() in ("true", "false", "yes", "no", "on", "off"):
        return " (darknet has no booleans: use 1 or 0)"
    return ""




def _scalar(opt, head: str, typ: str):
    if typ == "i":
        if re.fullmatch(_INT, head, re.ASCII):
            return None
        got = atoi(head)
        if re.fullmatch(_INTEGRAL_FLOAT, head, re.ASCII):
            return at_option(CODE, f"{opt.key}={head} is read as an integer: darknet reads {got}", opt, value=True,
                             severity="warning", hint=f"write {opt.key}={got}")
        if is_float_text(head):
            return at_option(CODE, f"{opt.key}={head} is not an integer: darknet truncates it to {got}", opt,
                             value=True, hint=f"{opt.key} takes a whole number")
        return at_option(CODE, f"{opt.key}={head or opt.value} is not a number: darknet reads {got}{_why(head)}",
                         opt, value=True, hint=f"{opt.key} takes a whole number")
    if is_float_text(head):
        if opt.key in _FLOAT_TO_INT:
            v = atof(head)
            if not (math.isfinite(v) and -2**31 <= v < 2**31):
                return at_option(CODE, f"{opt.key}={head} does not fit the int darknet stores it in: the "
                                 "conversion is undefined (garbage)", opt, value=True,
                                 hint=f"{opt.key} takes a whole number")
        return None
    got = atof(head)
    return at_option(CODE, f"{opt.key}={head or opt.value} is not a number: darknet reads {got:g}{_why(head)}", opt,
                     value=True, hint=f"{opt.key} takes a number such as 0.5 or 1e-3")


def _list(opt, head: str, header: str):
    if opt.key == "from" and header in _SINGLE_REF and "," in head:
        return at_option(CODE, f"from={head}: {header} reads a single layer; darknet uses only {atoi(head)}", opt,
                         value=True, hint=f"{header} multiplies the previous layer by exactly one other layer")
    floats = opt.key in _FLOAT_LISTS
    bad = []
    for part in head.split(","):
        if not part:
            continue  # an empty element is DN111's
        ok = is_float_text(part) if floats else bool(re.fullmatch(_INT, part, re.ASCII))
        if not ok:
            bad.append(part)
    if not bad:
        return None
    kind = "numbers" if floats else "whole numbers"
    got = ", ".join(f"{b}->{(atof(b) if floats else atoi(b)):g}" for b in bad[:4])
    return at_option(CODE, f"{opt.key}= has entries that are not {kind} ({got} as darknet reads them)"
                     f"{_why(''.join(bad))}", opt, value=True, hint=f"{opt.key} is a comma-separated list of {kind}")
