"""missing-equals: an option line without `=`.

*Why*: darknet stores the line as a key with no value: a lookup of that key finds it, returns
"not found" and the default is used; as darknet deletes every space, `batch_normalize 1` becomes
the unknown key `batch_normalize1`. A stray word (a note typed without `#`, such as `Training` in
`[net]`) is the other usual cause.

A line of numbers only (alternative `anchors` left under the `anchors=` line, a pasted list) is
stored the same way: a key nothing reads. Darknet builds the same network with or without it, so it
is a warning, and all such lines of a file are one finding (listing the other lines); it is an error
when the line above ends with a comma, as a value continued on the next line: darknet does not join
lines, the value ends at the comma.

*Severity*: an error when the line looks like a setting (`batch_normalize 1`, `mosaic: 1`, a key
the section reads, or a near-miss of one): the setting is lost and the default is used. A warning
for a setting whose value is the key's default anyway (`batch_normalize 0`), and for a stray
word that is no key and has no value: darknet stores a key nothing looks up, so the
network is the same with or without the line.

**FAIL**
    [convolutional]
    batch_normalize 1
**PASS**
    [convolutional]
    batch_normalize=1

*Fix safety*: not fixable automatically; the hint shows the likely `key=value`.
"""
from __future__ import annotations

import re

from cfggen.lint.rules._base import RuleContext, at_option, facts, is_default, suggest

CODE, NAME, SEVERITY, SCOPE = "DN105", "missing-equals", "error", "file"
SUMMARY = "option line without '=' (darknet uses the default)"

# patterns for findings only: compiled on first use by re's own cache, not at import
_WORD = r"[A-Za-z_][A-Za-z_.!?-]*"
_NUMBERS = r"^[\s,;.+-]*\d[\d\s,;.+-]*$"     # a line of numbers (and their separators) only
_SPLIT = r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*[:\s]\s*(\S.*?)\s*$"


def check(ctx: RuleContext):
    f = facts(ctx.doc)
    for i, section, opt in f.odd:   # the options that are not plainly right (one shared pass)
        known = f.key_types[i] or {}
        if opt.form != "noeq" or opt.line in f.conflict_lines:
            continue
        raw = ctx.doc.line_text(opt.line)
        if re.match(_NUMBERS, raw.lstrip("\ufeff")):
            yield _numbers(section, opt, raw)
            continue
        hint = "write key=value, or start a note with '#'"
        severity = ""
        m = re.match(_SPLIT, raw.lstrip("\ufeff"))
        key = None
        if m:
            key = m.group(1) if m.group(1) in known else suggest(m.group(1), known) if known else None
            if key:
                value = m.group(2).replace(" ", "")
                hint = f"did you mean {key}={value}?"
                if is_default(section, section is ctx.doc.net, key, value):
                    severity = "warning"   # the lost setting is the default darknet uses anyway
        if key is None and _stray_note(raw, known):
            severity = "warning"
            hint = "start a note with '#' (darknet reads only whole-line comments)"
        shown = _cut(raw.strip())
        yield at_option(CODE, f"'{shown}' has no '=': darknet reads it as a key '{_cut(opt.key)}' without a value "
                        "and ignores it", opt, severity=severity, hint=hint)


def _numbers(section, opt, raw: str):
    """A line of numbers: a stray note (warning, one fact per file), or a value continued (error)."""
    shown = _cut(raw.strip())
    above = next((o for o in section.options if o.line == opt.line - 1 and o.form == "ok"), None)
    if above is not None and above.value and above.value.endswith(","):
        return at_option(CODE, f"'{shown}' has no '=': darknet does not continue {above.key}= of line {above.line} "
                         f"on the next line; {above.key}= ends at its trailing comma and this line is a key nothing "
                         "reads", opt, hint=f"write the whole value on the {above.key}= line")
    return at_option(CODE, f"'{shown}' has no '=': a line of numbers without a key, which darknet stores as a key "
                     "nothing reads (the network is the same without it)", opt, severity="warning",
                     hint="delete it, or start it with '#' to keep it as a note", extra={"numbers": True})


def fact(d) -> object | None:
    """Every stray line of numbers in a file is one fact (one finding, listing the other lines)."""
    return "numbers" if d.extra.get("numbers") else None


def _cut(text: str, width: int = 40) -> str:
    """A quote of at most ``width`` characters, marked with '…' when it was cut."""
    return text if len(text) <= width else text[:width] + "…"


def _stray_note(raw: str, known) -> bool:
    """Words without a digit, none of them a key the section reads (or a near-miss): a note, not a setting."""
    text = raw.strip().lstrip("\ufeff")
    if any(ch.isdigit() for ch in text) or "=" in text:
        return False
    first = re.match(_WORD, text)
    if first is None:
        return False
    word = first.group(0)
    return word not in known and (not known or suggest(word, known) is None)
