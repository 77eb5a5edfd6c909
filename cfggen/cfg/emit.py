"""Document -> text, losslessly, and line-level edits for the fixers and converters."""
from __future__ import annotations

from cfggen.cfg.model import Document


def emit(doc: Document) -> str:
    """The file's text exactly as it was read."""
    return doc.text


def replace_lines(doc: Document, edits: dict[int, str | None], inserts: dict[int, list[str]] | None = None) -> str:
    """Return the text of ``doc`` with physical lines replaced, deleted (None) or inserted.

    ``edits`` maps a 1-based line number to its new text (line ending kept); ``inserts`` maps a line
    number to lines inserted *after* it (0 = at the top), using the file's dominant line ending.
    Everything else stays byte-identical.
    """
    inserts = inserts or {}
    eol = dominant_eol(doc)
    out: list[str] = []
    for text in inserts.get(0, []):
        out.append(text + eol)
    for n, line in enumerate(doc.lines, start=1):
        if n in edits:
            new = edits[n]
            if new is not None:
                out.append(new + (line.eol or ""))
        else:
            out.append(line.text + line.eol)
        added = inserts.get(n, [])
        if added:
            if not line.eol and (n not in edits or edits[n] is not None):
                out.append(eol)
            for i, text in enumerate(added):
                last = n == len(doc.lines) and i == len(added) - 1 and not line.eol
                out.append(text + ("" if last else eol))
    return "".join(out)


def dominant_eol(doc: Document) -> str:
    crlf = sum(1 for line in doc.lines if line.eol == "\r\n")
    lf = sum(1 for line in doc.lines if line.eol == "\n")
    return "\r\n" if crlf > lf else "\n"
