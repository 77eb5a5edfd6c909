"""How each reader turns the text into sections: line splitting, stripping, key/value split.

These differ in ways that decide whether a file loads at all: pjreddie's ``strip()`` deletes spaces,
tabs and LF but not CR (a CRLF file's ``[net]\\r`` is not ``[net]``); hank-ai matches each line with a
regular expression (a value ends at ``#``, keys must not contain spaces) and aborts on a duplicate key;
OpenCV keeps only the bytes ``' ' < c <= 'z'`` and lets the last duplicate win.
Each reader returns ``(sections, orphans)``: options before the first section are the orphans.
"""
from __future__ import annotations

import re

from cfggen.targets.model import ROption, RSection, Stop


def _col(raw: str) -> int:
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


def pjreddie_sections(text: str) -> tuple[list[RSection], list[ROption]]:
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
                sections.append(RSection(head[0], head[0], head[1], head[2], tuple(opts)))
            head, opts = (s, n, _col(raw)), []
            continue
        eq = s.find("=")
        if eq == len(s) - 1:
            continue          # read_option returns 0: "Config file error line N" (printed, not fatal)
        opt = ROption(s, None, n, _col(raw)) if eq < 0 else ROption(s[:eq], s[eq + 1:], n, _col(raw))
        (orphans if head is None else opts).append(opt)
    if head is not None:
        sections.append(RSection(head[0], head[0], head[1], head[2], tuple(opts)))
    return sections, orphans


# ------------------------------------------------------------------------------------------------
# hank-ai/darknet V5: Darknet::CfgFile::read() (darknet_cfg.cpp)

_HANK_LINE = re.compile(r"^\[(.+)\]|^[ \t]*([^#= \t]+)[ \t]*=[ \t]*([^#]+)")
_HANK_NUMBER_CHARS = frozenset("-.0123456789")
_STOF = re.compile(r"-?(?:\d+\.?\d*|\.\d+)")
FLT_MAX = 3.4028234663852886e38


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


def hank_sections(text: str, known: frozenset[str], code: dict[str, str]) -> list[RSection]:
    """Read like hank-ai: unknown section names, duplicate keys, keys before a section and unparsable
    numbers stop the reader right there (``darknet_fatal_error``), so they raise ``Stop``."""
    sections: list[RSection] = []
    head: tuple[str, int, int] | None = None
    opts: dict[str, ROption] = {}
    for n, raw in enumerate(_physical(text), start=1):
        line = raw.rstrip(" \t\r\n")
        m = _HANK_LINE.search(line)
        if not m:
            continue
        if m.group(1) is not None:
            name = m.group(1)
            if name not in known:
                raise Stop("error", code["section"], f'layer name "{name}" is not supported', n, _col(raw),
                           hint=f"hank-ai/darknet V5 has no [{name}] layer")
            if head is not None:
                sections.append(RSection(f"[{head[0]}]", head[0], head[1], head[2], tuple(opts.values())))
            head, opts = (name, n, _col(raw)), {}
            continue
        if head is None:
            raise Stop("error", code["orphan"], f"cannot add a configuration line without a section at line #{n}",
                       n, _col(raw), hint="start the file with [net]")
        key, val = m.group(2).strip(), m.group(3).strip()
        if key in opts:
            raise Stop("error", code["duplicate"], f'duplicate key "{key}" in [{head[0]}] at lines '
                       f"#{opts[key].line} and #{n}", n, _col(raw),
                       hint="AlexeyAB uses the first one: delete the later line")
        try:
            hank_number(val)
        except ValueError:
            raise Stop("error", code["number"], f'line #{n}: failed to parse numeric value from "{line}"',
                       n, _col(raw)) from None
        opts[key] = ROption(key, val, n, _col(raw))
    if head is not None:
        sections.append(RSection(f"[{head[0]}]", head[0], head[1], head[2], tuple(opts.values())))
    return sections


def hank_line_text(text: str, line: int) -> str:
    """The line as hank-ai quotes it in 'unused or invalid' messages: trailing whitespace removed."""
    lines = _physical(text)
    return lines[line - 1].rstrip(" \t\r\n") if 1 <= line <= len(lines) else ""


# ------------------------------------------------------------------------------------------------
# OpenCV 4.x: ReadDarknetFromCfgStream (modules/dnn/src/darknet/darknet_io.cpp)

def opencv_escape(s: str) -> str:
    """``escapeString``: keep only the characters ``' ' < c <= 'z'`` (so also no ``{|}~`` or non-ASCII)."""
    return "".join(c for c in s if " " < c <= "z")


def opencv_sections(text: str, code: dict[str, str]) -> tuple[dict[str, ROption], list[RSection]]:
    """Read like OpenCV: ``[net]`` options into one map, every other section is a layer; a later
    duplicate key overwrites (``std::map`` assignment); a line without ``=`` fails an assertion.
    Options outside any layer and not after ``[net]`` make a layer without a type (index -1)."""
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
    sections = [RSection(f"[{t}]", t, ln, col, tuple(d.values())) for t, ln, col, d in layers]
    if orphan is not None:
        first = min(o.line for o in orphan.values())
        sections.insert(0, RSection("", "", first, 1, tuple(orphan.values())))
    return net, sections
