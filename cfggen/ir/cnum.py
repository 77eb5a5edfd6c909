"""C number semantics: atoi/atof prefixes, truncating division, int32 and float32 arithmetic.

Darknet reads every number with ``atoi``/``atof`` (a valid prefix, garbage -> 0), divides with C
integer division (truncation toward zero) and accumulates BFLOPs in ``float``. Reproducing those
exactly is what makes shapes and totals agree with darknet to the last digit.
"""
from __future__ import annotations

import functools
import math
import re
import struct

# C's isspace() skips these before the number (strip() already deleted space, tab, CR, LF);
# ASCII only: C digits are 0-9, not every Unicode digit Python's \d and isdigit() accept
# compiled on first use (the float pattern costs half a millisecond, at import on validate's start-up path)
_INT_PATTERN = (r"[ \t\n\v\f\r]*([+-]?[0-9]+)", re.ASCII)
_FLOAT_PATTERN = (
    r"[ \t\n\v\f\r]*([+-]?(?:0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?"
    r"|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
    r"|inf(?:inity)?|nan))", re.IGNORECASE | re.ASCII)
_INT_RE = _FLOAT_RE = None


def _int_re():
    global _INT_RE
    if _INT_RE is None:
        _INT_RE = re.compile(*_INT_PATTERN)
    return _INT_RE


def _float_re():
    global _FLOAT_RE
    if _FLOAT_RE is None:
        _FLOAT_RE = re.compile(*_FLOAT_PATTERN)
    return _FLOAT_RE
_F32 = struct.Struct("f")
INT_MAX = 2**31 - 1


def atoi(text: str | None) -> int:
    """glibc ``atoi``: (int) strtol(text): the longest integer prefix, saturated to long, then cut to 32 bits."""
    if not text:
        return 0
    if len(text) < 10 and text.isascii() and (text.isdigit() or (text[0] in "+-" and text[1:].isdigit())):
        return int(text)    # the common cases, exact without the regex
    m = (_INT_RE or _int_re()).match(text)
    if not m:
        return 0
    v = int(m.group(1))
    v = max(-(2**63), min(2**63 - 1, v))
    return wrap32(v)


def atof(text: str | None) -> float:
    """glibc ``atof``: the longest floating-point prefix (decimal, hex, inf, nan), else 0.0."""
    if not text:
        return 0.0
    if not text.strip("0123456789.eE+-"):
        # only decimal characters: when Python's float() accepts the whole text it is a C decimal
        # literal too, and both round correctly; anything else ("1e", "1.5.2", "-") goes to the regex
        try:
            return float(text)
        except ValueError:
            pass
    return _atof_prefix(text)


def _atof_prefix(text: str) -> float:
    """``atof`` by the regex: the longest prefix strtod accepts."""
    m = (_FLOAT_RE or _float_re()).match(text)
    if not m:
        return 0.0
    s = m.group(1)
    body = s.lstrip("+-")
    if body[:2].lower() == "0x":
        sign = -1.0 if s.startswith("-") else 1.0
        mant = body[2:]
        if "p" not in mant.lower():
            mant += "p0"
        try:
            return sign * float.fromhex("0x" + mant)
        except (ValueError, OverflowError):
            return sign * math.inf
    try:
        return float(s)
    except ValueError:  # pragma: no cover - the regex only matches parseable text
        return 0.0


def is_float_text(text: str) -> bool:
    m = (_FLOAT_RE or _float_re()).fullmatch(text)
    return m is not None and m.group(1) == text


def wrap32(v: int) -> int:
    """Reduce to a signed 32-bit int, as storing into a C ``int`` does."""
    v &= 0xFFFFFFFF
    return v - 0x100000000 if v & 0x80000000 else v


def cdiv(a: int, b: int) -> int:
    """C integer division (truncates toward zero). ``b == 0`` raises ZeroDivisionError."""
    if a >= 0 and b > 0:
        return a // b
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def f32(x: float) -> float:
    """Round a Python float to the nearest float32 value (what storing into a C ``float`` does)."""
    try:
        return _F32.unpack(_F32.pack(x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def int_list(text: str | None, stop_at_hash: bool = False) -> tuple[int, ...]:
    """Darknet's list loops: n = commas (+1), then ``atoi`` at each comma-separated position."""
    if text is None:
        return ()
    return _int_list(text, stop_at_hash)


@functools.lru_cache(maxsize=4096)
def _int_list(text: str, stop_at_hash: bool) -> tuple[int, ...]:
    head = text.split("#", 1)[0] if stop_at_hash else text
    n = head.count(",") + 1
    return tuple(atoi(p) for p in text.split(",")[:n])


def float_list(text: str | None, stop_at_hash: bool = False) -> list[float]:
    if text is None:
        return []
    head = text.split("#", 1)[0] if stop_at_hash else text
    n = head.count(",") + 1
    return [atof(p) for p in text.split(",")[:n]]
