"""``validate --fix/--diff --target hank-ai``: rewrite an AlexeyAB cfg so that hank-ai V5 loads it.

Only rewrites that cannot change the network AlexeyAB builds, each on its own physical line:

- a key hank-ai does not consume and AlexeyAB ignores anyway: the line goes;
- a later duplicate of a key: the line goes (AlexeyAB uses the first);
- a number hank-ai does not read as one (``4e-5``, ``+1``): written in plain decimal, AlexeyAB's value;
- a ``[net]`` key hank-ai rejects (``max_crop``, ``seen``, ...): the line goes (training-only in AlexeyAB).

What cannot be ported (a layer type hank-ai does not have, a layer key AlexeyAB uses and hank-ai does
not read, an unknown activation) is reported, not guessed. The result is checked: AlexeyAB's layer
table must be unchanged, else nothing is rewritten.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

from cfggen.cfg.emit import replace_lines
from cfggen.cfg.parse import parse
from cfggen.ir.cnum import atof, atoi
from cfggen.ir.layers import COMMON_KEYS, LAYERS, NET_TYPES
from cfggen.targets import hankai
from cfggen.targets.lines import _HANK_LINE, _physical, hank_number


@dataclass
class Port:
    original: str
    text: str
    edits: dict[int, str | None] = field(default_factory=dict)   # physical line -> new text (None: delete)
    why: dict[int, str] = field(default_factory=dict)
    blockers: list[tuple[int, str]] = field(default_factory=list)  # (line, what cannot be ported)
    refused: str | None = None

    @property
    def changed(self) -> bool:
        return self.text != self.original

    def diff(self, path: str) -> str:
        import difflib
        return "".join(difflib.unified_diff(self.original.splitlines(keepends=True), self.text.splitlines(keepends=True),
                                            fromfile=f"a/{path}", tofile=f"b/{path}"))


def plain(x: float) -> str:
    """A number in plain decimal (no exponent), as short as Python's repr allows."""
    if x == int(x) and abs(x) < 1e15:
        return str(int(x)) if not (x == 0 and math.copysign(1, x) < 0) else "0"
    return format(Decimal(repr(x)), "f")


def _net_consumed(opts: dict[str, str]) -> frozenset[str]:
    policy = opts.get("policy", "constant")
    adam = int(hank_number(opts["adam"]) or 0) if "adam" in opts and hank_number(opts["adam"]) is not None else 0
    keys = set()
    for key, typ, cond in hankai._NET_ITEMS:
        if typ and hankai._policy_cond(cond, policy, adam):
            keys.add(key)
    return frozenset(keys)


def _types(items) -> dict[str, str]:
    return {k: t for k, t, _ in items if t}


_LAYER_TYPES = {t: {**_types(items), **_types(hankai._COMMON_ITEMS)} for t, items in hankai._LAYER_ITEMS.items()}
_NET_TYPES = _types(hankai._NET_ITEMS)


def port_to_hank(doc, verify: bool = True) -> Port:
    """The safe rewrites for ``doc`` (a cfggen Document) and what stays in the way.

    ``verify=False``: only plan the edits (``text`` stays the original), e.g. to say a finding is fixable.
    """
    text = doc.text
    raw = _physical(text)
    alex = {s.line: s for s in doc.sections}        # AlexeyAB's sections by header line
    port = Port(text, text)
    # hank-ai's view, without stopping at the first problem
    sections: list[tuple[str, int, list[tuple[str, str, int]]]] = []
    for n, line in enumerate(raw, start=1):
        m = _HANK_LINE.search(line.rstrip(" \t\r\n"))
        if not m:
            continue
        if m.group(1) is not None:
            sections.append((m.group(1), n, []))
        elif sections:
            sections[-1][2].append((m.group(2).strip(), m.group(3).strip(), n))
        else:
            port.blockers.append((n, "an option before the first section"))
    for i, (name, line, opts) in enumerate(sections):
        a_sec = alex.get(line)
        is_net = i == 0
        if is_net and name not in ("net", "network"):
            port.blockers.append((line, f"the first section is [{name}], not [net]"))
            continue
        if not is_net:
            typ = hankai.SECTIONS.get(name, "?")
            if typ == "?":
                port.blockers.append((line, f"hank-ai has no [{name}] layer"))
                continue
            if typ is None:
                port.blockers.append((line, f"hank-ai cannot build a [{name}] layer"))
                continue
        if is_net:
            types = _NET_TYPES
            consumed = _net_consumed({k: v for k, v, _ in reversed(opts)})
            alexeyab_reads = frozenset(NET_TYPES)
        else:
            types = _LAYER_TYPES[typ]
            consumed = frozenset(types)
            spec = LAYERS.get(a_sec.header) if a_sec is not None else None
            alexeyab_reads = frozenset(spec.types) | frozenset(COMMON_KEYS) if spec else frozenset()
        seen: set[str] = set()
        for key, value, n in opts:
            if key in seen:
                port.edits[n], port.why[n] = None, f"duplicate {key}= in [{name}]: AlexeyAB uses the first"
                continue
            seen.add(key)
            if key not in consumed:
                if is_net or key not in alexeyab_reads:
                    port.edits[n] = None
                    port.why[n] = (f"[{name}] {key}=: hank-ai rejects it, AlexeyAB "
                                   + ("does not read it" if key not in alexeyab_reads else "uses it for training only"))
                else:
                    port.blockers.append((n, f"hank-ai does not read {key}= in [{name}], which AlexeyAB uses"))
                continue
            typ_k = types.get(key)
            if typ_k in ("i", "f", "I"):
                try:
                    ok = hank_number(value) is not None
                except ValueError:
                    ok = False
                if ok:
                    continue
                new = _plain_value(a_sec, n, typ_k)
                if new is None:
                    port.blockers.append((n, f"{key}={value} is not a number hank-ai or AlexeyAB can read"))
                    continue
                port.edits[n] = _with_value(raw[n - 1], new)
                port.why[n] = f"{key}={value} written in plain decimal ({new})"
            elif key == "anchors" and not is_net and typ in ("yolo", "gaussian_yolo"):
                num = next((atoi(v) for k, v, _ in opts if k == "num"), 1)
                if hankai.float_count(value) > 2 * num:
                    port.blockers.append((n, f"anchors= has more than 2*num={2 * num} values: hank-ai writes past its "
                                          "anchor array (AlexeyAB reads only the first 2*num)"))
            elif typ_k in hankai.ENUMS and value not in hankai.ENUMS[typ_k][1]:
                port.blockers.append((n, f"hank-ai does not support {hankai.ENUMS[typ_k][0]} {value!r}"))
    if port.edits and verify:
        port.text = replace_lines(doc, port.edits)
        port.refused = _same_network(doc, port.text)
        if port.refused:
            port.text, port.edits, port.why = text, {}, {}
    return port


def _plain_value(a_sec, line: int, typ: str) -> str | None:
    """AlexeyAB's reading of the option on ``line``, in plain decimal."""
    if a_sec is None:
        return None
    opt = next((o for o in a_sec.options if o.line == line and o.value is not None), None)
    if opt is None:
        return None
    if typ in ("i", "I"):
        return str(atoi(opt.value))
    x = atof(opt.value)
    return plain(x) if math.isfinite(x) else None


def _with_value(raw: str, value: str) -> str:
    """The physical line with its value replaced; indentation, key spelling and a trailing comment kept."""
    body = raw[:-1] if raw.endswith("\r") else raw
    eq = body.find("=")
    hash_at = body.find("#", eq)
    tail = " " + body[hash_at:] if hash_at >= 0 else ""
    return body[:eq + 1] + value + tail


def _same_network(doc, text: str) -> str | None:
    """None when AlexeyAB builds the same layer table from ``text``; else why the port is refused."""
    from cfggen.ir.build import infer, plan
    before = infer(plan(doc))[0] if doc.net is not None else None
    new_doc = parse(text, doc.path)
    after = infer(plan(new_doc))[0] if new_doc.net is not None else None
    if before is None or after is None:
        return None if before is after else "refused: the rewrite would change what AlexeyAB reads"
    rows = lambda net: [(L.type, tuple(L.input), tuple(L.output), L.outputs, L.params) for L in net.layers]  # noqa: E731
    if rows(before) != rows(after) or (before.width, before.height, before.channels) != (
            after.width, after.height, after.channels):
        return "refused: the rewrite would change AlexeyAB's layer table"
    return None
