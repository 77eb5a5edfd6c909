"""inline-comment: a `#` comment after a value.

*Why*: darknet has no inline comments: it deletes the spaces and keeps the rest, so
`activation=leaky # x` becomes `leaky#x`, an unknown activation, and darknet silently uses ReLU
(an error). Numbers survive (`atoi`/`atof` stop at `#`), but a comment with commas after
`layers=`/`from=` (or `anchors=` of `[region]`/`[Gaussian_yolo]`) adds list entries
(`layers=-1,-4 # a, b` routes absolute layer 0 in: an error).

*Severity*: an error where darknet reads something else (a string key, a comma list that splits
the comment); info after a number or a list that stops at `#`: darknet reads exactly the number
written, the comment only breaks stricter readers (the Hank.ai fork, other tools); a warning for
keys whose type cfggen does not know. The same kind of comment in many layers is one finding.

**FAIL**
    [convolutional]
    activation=leaky # was mish
**PASS**
    [convolutional]
    # was mish
    activation=leaky

*Fix safety*: safe: `--fix` moves the comment to its own line above the option.
"""
from __future__ import annotations

from cfggen.lint.model import Edit, Fix
from cfggen.lint.rules._base import RuleContext, at_option, facts

CODE, NAME, SEVERITY, SCOPE = "DN106", "inline-comment", "warning", "file"
SUMMARY = "'#' after a value is part of the value to darknet"

# list keys that darknet splits at every comma, '#' or not (reference §1.5); the other lists stop at '#'
_COMMA_LISTS = {"layers": None, "from": None, "anchors": ("[region]", "[Gaussian_yolo]")}


def check(ctx: RuleContext):
    f = facts(ctx.doc)
    for i, section, opt in f.odd:   # the options that are not plainly right (one shared pass)
        types = f.key_types[i] or {}
        if opt.form != "ok" or "#" not in opt.value or opt.line in f.conflict_lines:
            continue
        head, _, comment = opt.value.partition("#")
        typ = types.get(opt.key)
        severity = "warning"
        if typ == "s":
            severity = "error"
            effect = f"darknet reads the string '{opt.value}', not '{head}'"
        elif typ == "l" and opt.key in _COMMA_LISTS and "," in comment and \
                (_COMMA_LISTS[opt.key] is None or section.header in _COMMA_LISTS[opt.key]):
            severity = "error"
            what = "anchor values" if opt.key == "anchors" else "layer indices (0 = absolute layer 0)"
            effect = f"darknet splits the comment at its commas and reads extra {what} from it"
        elif typ in ("i", "f", "l"):
            severity = "info"
            effect = f"darknet still reads {head or 'nothing (0)'} because the number ends at '#', but the value is '{opt.value}'"
        else:
            effect = f"darknet reads the value '{opt.value}'"
        yield at_option(CODE, f"{opt.key}= has an inline comment: {effect}", opt, value=True,
                        severity=severity, hint="darknet comments are whole lines starting with '#' or ';'",
                        fix=_fix(ctx.doc, opt))


def _fix(doc, opt) -> Fix | None:
    text = doc.line_text(opt.line)   # Document.lines would split the whole file for this one line
    hash_at = text.find("#", opt.value_col - 1)
    if hash_at < 0 or not text[:hash_at].strip():
        return None
    value_part = text[:hash_at].rstrip(" \t")
    if value_part.endswith("="):
        return None  # nothing before the comment: removing it would leave "key=" (DN104)
    indent = text[:len(text) - len(text.lstrip(" \t"))]
    comment = text[hash_at:].rstrip(" \t")
    eol = doc.line_end(opt.line) or "\n"
    return Fix("move the inline comment to its own line", (Edit(opt.line, f"{indent}{comment}{eol}{value_part}"),))


def fact(d) -> tuple | None:
    """Comments after numbers are one fact per file (info); the others are grouped by their message."""
    return ("after-a-number",) if d.severity == "info" else None
