"""How each reader turns the text into sections: line splitting, stripping, key/value split.

These differ in ways that decide whether a file loads at all: pjreddie's ``strip()`` deletes spaces,
tabs and LF but not CR (a CRLF file's ``[net]\\r`` is not ``[net]``); hank-ai matches each line with a
regular expression (a value ends at ``#``, keys must not contain spaces) and aborts on a duplicate key;
OpenCV keeps only the bytes ``' ' < c <= 'z'`` and lets the last duplicate win.
Each reader returns ``(sections, orphans)``: options before the first section are the orphans.
"""
from __future__ import annotations

import re

import functools

from cfggen.targets.model import ROption, RSection, Stop, section


def _col(raw: str) -> int:
    if not raw or (raw[0] != " " and raw[0] != "\t"):
        return 1
    return len(raw) - len(raw.lstrip(" \t")) + 1


def _physical(text: str) -> list[str]:
    """Lines as ``fgets``/``std::getline`` split them: at LF only (a CR stays in the line)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


# ------------------------------------------------------------------------------------------------
# pjreddie/darknet: utils.c fgetl + strip, parser.c read_cfg, option_list.c read_option

_PJ_STRIP = str.maketrans("", "", " \t\n")


def from_document(doc, escape_ok: bool = False) -> tuple[list[RSection], list[ROption]] | None:
    """The sections straight from cfggen's parse, when this text reads the same way in pjreddie (no CR,
    no byte-order mark) -- or, with ``escape_ok``, in OpenCV (only the characters it keeps, plus
    whitespace). None when the reader's own line reader must run. Saves re-reading every line."""
    text = doc.text
    if escape_ok:
        if _NOT_OPENCV_CLEAN.search(text) or doc.bom:
            return None
    elif "\r" in text or doc.bom:
        return None
    cached = doc.extra.get("targets.view") if hasattr(doc, "extra") else None
    if cached is not None:
        return cached
    out = []
    for s in doc.sections:
        # cfggen's Option records have the fields a reader's option has (key, value, line, col)
        out.append(section(s.header, s.header, s.line, s.col, [o for o in s.options if o.form != "empty"]))
    # every orphan line counts for pjreddie (it dereferences the missing section before parsing the line)
    view = out, list(doc.orphans)
    if hasattr(doc, "extra"):
        doc.extra["targets.view"] = view
    return view


_NOT_OPENCV_CLEAN = re.compile(r"[^\t\r\n !-z]")


def pjreddie_sections(text: str, doc=None) -> tuple[list[RSection], list[ROption]]:
    fast = from_document(doc) if doc is not None else None
    if fast is not None:
        return fast
    sections: list[RSection] = []
    orphans: list[ROption] = []
    head: tuple[str, int, int] | None = None
    opts: list[ROption] = []
    for n, raw in enumerate(_physical(text), start=1):
        s = raw.translate(_PJ_STRIP)
        if not s or s[0] in "#;":
            continue
        if s[0] == "[":
            if head is not None:
                sections.append(section(head[0], head[0], head[1], head[2], opts))
            head, opts = (s, n, _col(raw)), []
            continue
        eq = s.find("=")
        if eq == len(s) - 1:
            if head is None:  # current->options of no section: a NULL dereference before read_option
                orphans.append(ROption(s[:eq], "", n, _col(raw)))
            continue          # read_option returns 0: "Config file error line N" (printed, not fatal)
        opt = ROption(s, None, n, _col(raw)) if eq < 0 else ROption(s[:eq], s[eq + 1:], n, _col(raw))
        (orphans if head is None else opts).append(opt)
    if head is not None:
        sections.append(section(head[0], head[0], head[1], head[2], opts))
    return sections, orphans


# ------------------------------------------------------------------------------------------------
# hank-ai/darknet V5: Darknet::CfgFile::read() (darknet_cfg.cpp)

_HANK_LINE = re.compile(r"^\[(.+)\]|^[ \t]*([^#= \t]+)[ \t]*=[ \t]*([^#]+)")
_HANK_NUMBER_CHARS = frozenset("-.0123456789")
_STOF = re.compile(r"-?(?:\d+\.?\d*|\.\d+)")
FLT_MAX = 3.4028234663852886e38


@functools.lru_cache(maxsize=8192)
def hank_number(value: str) -> float | None:
    """``CfgLine``: a value made only of ``-.0123456789`` is a number (``std::stof``), else not numeric.

    Returns None for a non-numeric value; raises ValueError where ``std::stof`` throws ("-", ".").
    """
    if not value or not _HANK_NUMBER_CHARS.issuperset(value):
        return None
    m = _STOF.match(value)
    if not m:
        raise ValueError(value)
    f = float(m.group())
    if abs(f) > FLT_MAX:
        raise ValueError(value)
    return f


_HANK_ALL = re.compile(r"^(?:\[(.+)\]|([ \t]*)([^#= \t\n]+)[ \t]*=[ \t]*([^#\n]+))", re.MULTILINE)


# A line hank-ai's regular expression reads exactly as darknet's strip-everything reader does: blank, a
# '#' comment, a header at column 1, key=value without inner blanks or '#', or a line hank-ai ignores
# (no '=', or nothing after it) that darknet does not use either. Any other line: hank-ai's own reader.
_HANK_SIMPLE_LINE = (r"[ \t\r]*|[ \t]*#.*|\[[^\]\n\r]+\][ \t\r]*"
                     r"|[ \t]*[^#=\s;\[]+[ \t]*=[ \t]*[^#\s=]+[ \t\r]*"
                     r"|[ \t]*[^#=\s;\[]+[ \t]*(?:=[ \t\r]*)?")
_HANK_NOT_SIMPLE = re.compile(rf"^(?!(?:{_HANK_SIMPLE_LINE})$).", re.MULTILINE)


def _hank_from_document(doc, known: frozenset[str], code: dict[str, str]) -> list[RSection] | None:
    """hank-ai's view built from cfggen's parse: every option on a "simple" line is read the same way by
    both; the few other lines (a trailing comment, blanks inside a value) are re-read with hank-ai's own
    expression. None (read the whole text hank-ai's way) when a section header itself is not simple."""
    if doc is None or doc.bom:
        return None
    text = doc.text
    headers = {s.line: s for s in doc.sections}
    patch: dict[int, tuple[str, str, int] | None] = {}
    n, pos = 1, 0
    for m in _HANK_NOT_SIMPLE.finditer(text):
        start = m.start()
        n += text.count("\n", pos, start)
        pos = start
        if n in headers or len(patch) > 256:
            return None
        end = text.find("\n", start)
        raw = text[start:end] if end >= 0 else text[start:]
        hit = _HANK_LINE.search(raw.rstrip(" \t\r\n"))
        if hit is not None and hit.group(1) is not None:
            return None                       # hank-ai sees a section header darknet does not
        patch[n] = (hit.group(2).strip(), hit.group(3).strip(), _col(raw)) if hit is not None else None
    starts = sorted(headers)
    # cfggen's Option records have the fields a reader's option has (key, value, line, col): used as they are
    by_section: dict[int, list] = {s.line: [o for o in s.options if o.form == "ok" and o.line not in patch]
                                   for s in doc.sections} if patch else \
        {s.line: [o for o in s.options if o.form == "ok"] for s in doc.sections}
    orphans = [o for o in doc.orphans if o.form == "ok" and o.line not in patch]
    if patch:
        import bisect
        for line, hit in patch.items():
            if hit is not None and hit[1]:
                opt = ROption(hit[0], hit[1], line, hit[2])
                k = bisect.bisect_right(starts, line) - 1
                (by_section[starts[k]] if k >= 0 else orphans).append(opt)
    if orphans:
        o = min(orphans, key=lambda o: o.line)
        raise Stop("error", code["orphan"], f"cannot add a configuration line without a section at line "
                   f"#{o.line}", o.line, o.col, hint="start the file with [net]")
    sections = []
    for h in starts:
        s = headers[h]
        name = s.header[1:-1]
        if name not in known:
            raise Stop("error", code["section"], f'layer name "{name}" is not supported', s.line, s.col,
                       hint=f"hank-ai/darknet V5 has no [{name}] layer")
        opts: dict[str, ROption] = {}
        for o in sorted(by_section[h], key=lambda o: o.line) if patch else by_section[h]:
            if o.key in opts:
                raise Stop("error", code["duplicate"], f'duplicate key "{o.key}" in [{name}] at lines '
                           f"#{opts[o.key].line} and #{o.line}", o.line, o.col,
                           hint="AlexeyAB uses the first one: delete the later line")
            try:
                hank_number(o.value)
            except ValueError:
                raise Stop("error", code["number"], f'line #{o.line}: failed to parse numeric value from '
                           f'"{hank_line_text(text, o.line)}"', o.line, o.col) from None
            opts[o.key] = o
        sections.append(section(s.header, name, s.line, s.col, opts.values()))
    return sections


def hank_sections(text: str, known: frozenset[str], code: dict[str, str], doc=None) -> list[RSection]:
    """Read like hank-ai: unknown section names, duplicate keys, keys before a section and unparsable
    numbers stop the reader right there (``darknet_fatal_error``), so they raise ``Stop``.

    One multi-line search over the text instead of a search per line: ``^`` is each line's start,
    and the value stops at ``#`` or the end of the line, trailing whitespace (and a CR) trimmed --
    what ``std::getline`` + trimming + ``std::regex_search`` do line by line.
    """
    fast = _hank_from_document(doc, known, code)
    if fast is not None:
        return fast
    sections: list[RSection] = []
    head: tuple[str, int, int] | None = None
    opts: dict[str, ROption] = {}
    n, pos = 1, 0
    count = text.count
    for m in _HANK_ALL.finditer(text):
        start = m.start()
        n += count("\n", pos, start)
        pos = start
        name = m.group(1)
        if name is not None:
            end = text.find("\n", start)
            line = (text[start:end] if end >= 0 else text[start:]).rstrip(" \t\r\n")
            name = _HANK_LINE.search(line).group(1)      # the ']' that ends the trimmed line decides
            if name not in known:
                raise Stop("error", code["section"], f'layer name "{name}" is not supported', n, 1,
                           hint=f"hank-ai/darknet V5 has no [{name}] layer")
            if head is not None:
                sections.append(section(f"[{head[0]}]", head[0], head[1], head[2], opts.values()))
            head, opts = (name, n, 1), {}
            continue
        val = m.group(4).strip(" \t\r")
        if not val:
            continue        # "key=" with only blanks after it: the line does not match at all
        col = len(m.group(2)) + 1
        if head is None:
            raise Stop("error", code["orphan"], f"cannot add a configuration line without a section at line #{n}",
                       n, col, hint="start the file with [net]")
        key = m.group(3)
        if key in opts:
            raise Stop("error", code["duplicate"], f'duplicate key "{key}" in [{head[0]}] at lines '
                       f"#{opts[key].line} and #{n}", n, col,
                       hint="AlexeyAB uses the first one: delete the later line")
        try:
            hank_number(val)
        except ValueError:
            raise Stop("error", code["number"], f'line #{n}: failed to parse numeric value from '
                       f'"{hank_line_text(text, n)}"', n, col) from None
        opts[key] = ROption(key, val, n, col)
    if head is not None:
        sections.append(section(f"[{head[0]}]", head[0], head[1], head[2], opts.values()))
    return sections


def hank_line_text(text: str, line: int) -> str:
    """The line as hank-ai quotes it in 'unused or invalid' messages: trailing whitespace removed."""
    lines = _physical(text)
    return lines[line - 1].rstrip(" \t\r\n") if 1 <= line <= len(lines) else ""


# ------------------------------------------------------------------------------------------------
# OpenCV 4.x: ReadDarknetFromCfgStream (modules/dnn/src/darknet/darknet_io.cpp)

_OPENCV_DROP = re.compile(r"[^!-z]+")


def opencv_escape(s: str) -> str:
    """``escapeString``: keep only the characters ``' ' < c <= 'z'`` (so also no ``{|}~`` or non-ASCII)."""
    return _OPENCV_DROP.sub("", s)


def opencv_sections(text: str, code: dict[str, str], doc=None) -> tuple[dict[str, ROption], list[RSection]]:
    """Read like OpenCV: ``[net]`` options into one map, every other section is a layer; a later
    duplicate key overwrites (``std::map`` assignment); a line without ``=`` fails an assertion.
    Options outside any layer and not after ``[net]`` make a layer without a type (index -1)."""
    fast = from_document(doc, escape_ok=True) if doc is not None else None
    if fast is not None:
        return _opencv_from(fast, code)
    net: dict[str, ROption] = {}
    layers: list[tuple[str, int, int, dict[str, ROption]]] = []
    orphan: dict[str, ROption] | None = None
    read_net = False
    for n, raw in enumerate(_physical(text), start=1):
        line = opencv_escape(raw)
        if not line or line[0] in "#;":
            continue
        if line[0] == "[":
            if line == "[net]":
                read_net = True
                continue
            read_net = False
            end = line.find("]")
            if end < 0:
                raise Stop("error", code["assert"], "layer_type_size < line.size() (a section header without ']')",
                           n, _col(raw))
            layers.append((line[1:end], n, _col(raw), {}))
            continue
        eq = line.find("=")
        if eq < 0:
            raise Stop("error", code["assert"], "separator_index < line.size() (a line without '=')", n, _col(raw),
                       hint="OpenCV asserts on a cfg line that is not key=value")
        name, value = line[:eq], line[eq + 1:]
        if not name or not value:
            continue
        opt = ROption(name, value, n, _col(raw))
        if read_net:
            net[name] = opt
        elif layers:
            layers[-1][3][name] = opt
        else:
            if orphan is None:
                orphan = {}
            orphan[name] = opt
    sections = [section(f"[{t}]", t, ln, col, d.values()) for t, ln, col, d in layers]
    if orphan is not None:
        first = min(o.line for o in orphan.values())
        sections.insert(0, section("", "", first, 1, orphan.values()))
    return net, sections


def _opencv_from(view, code) -> tuple[dict[str, ROption], list[RSection]]:
    """OpenCV's reading of sections already split the darknet way (the text has only characters it keeps)."""
    secs, orphans = view
    net: dict[str, ROption] = {}
    layers: list[RSection] = []

    def no_equals(opts):
        for o in opts:
            if o.value is None:
                raise Stop("error", code["assert"], "separator_index < line.size() (a line without '=')", o.line,
                           o.col, hint="OpenCV asserts on a cfg line that is not key=value")

    no_equals(orphans)
    orphans = [o for o in orphans if o.key and o.value]       # "key=": OpenCV skips the line
    if orphans:
        layers.append(section("", "", orphans[0].line, 1, {o.key: o for o in orphans}.values()))
    for s in secs:
        if s.header == "[net]":
            no_equals(s.options)
            net.update((o.key, o) for o in s.options if o.key)
            continue
        end = s.header.find("]")
        if end < 0:
            raise Stop("error", code["assert"], "layer_type_size < line.size() (a section header without ']')",
                       s.line, s.col)
        no_equals(s.options)
        name = s.header[1:end]
        if s.firsts is s.lasts and "" not in s.firsts and end == len(s.header) - 1:
            layers.append(s._replace(name=name))      # no duplicate, no empty key: the same options
        else:
            layers.append(section(f"[{name}]", name, s.line, s.col, {o.key: o for o in s.options if o.key}.values()))
    return net, layers
