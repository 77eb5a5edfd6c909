"""Every input size darknet's multi-scale training (``random=`` of the detection layer) can pick.

Exact port of AlexeyAB darknet ``detector.c: train_detector`` with ``utils.c: rand_scale,
rand_uniform_strong, random_float`` (reference doc §6.2)::

    rand_coef = l.random == 1.0 ? 1.4f : l.random;         // all float
    u = (float)rand() / RAND_MAX;                           // u in [0, 1]
    s = u * (max - min) + min;   min, max = sorted(1, rand_coef)
    r = coin ? s : 1./s;                                    // r = "random_val"
    w = roundl(r*W0/S + 1) * S;   h likewise with the same r
    if (r < 1 && (w > W0 || h > H0)) w, h = W0, H0;
    first resize and last 100 iterations: w, h = roundl(rand_coef*W0/S + 1) * S, ...
    w, h = max(w, S), max(h, S)

Nothing is sampled. Every float32 operation is emulated exactly (a float op computed in double and
rounded once to float32 is the float32 op: double has more than 2*24+2 bits). The random draw is
modelled exactly too: on Linux/glibc ``u = (float)rnd / (float)RAND_MAX`` with ``RAND_MAX = 2^31-1``
(whose float is 2^31), so ``u`` runs over a known, ordered, finite set. ``w`` and ``h`` are both
monotone in ``u`` on each branch of the coin, so the pair can change only where one of them (or the
``r < 1`` test) changes; each such point is found by bisection over that set, started at the exact
real breakpoint ``r = (k - 1.5)*S/W0``. Evaluating the rule at the first ``u`` of every constant
piece gives every reachable pair, and only reachable pairs.

Not modelled: x87 excess precision (32-bit builds) and Windows ``rand_s`` (u = rnd / 2^32); both
could only move a size that sits exactly on a rounding tie.

This module is on the ``validate`` import path: no numpy, standard library only.
"""
from __future__ import annotations

import functools
import math
import struct

__all__ = ["training_sizes"]

_F32 = struct.Struct("<f")
_U32 = struct.Struct("<I")

# Beyond this many resize steps per axis (r_max * size / S) the caller gets a ValueError instead of
# an enormous list (random=100 or resize_step=1 on a big input); normal cfgs need < 30.
MAX_STEPS = 10_000
_INT_MAX = 2**31 - 1  # darknet stores w, h in an int


def _f32(x: float) -> float:
    return _F32.unpack(_F32.pack(x))[0]


def _bits(x: float) -> int:
    return _U32.unpack(_F32.pack(x))[0]


# The values of random_float(): rand() < 2^24 converts to float exactly, so below 2^-7 u is every
# multiple of 2^-31; above, (float)rand() hits every float, so u is every float32 in [2^-7, 1]
# (1.0 included: rand() >= 2^31 - 64 rounds up to 2^31). Index i orders them: i < 2^24 is
# i * 2^-31, then consecutive float32 bit patterns up to 1.0.
_FINE = 1 << 24
_U_B0 = _bits(2.0**-7)
_U_LAST = _FINE + _bits(1.0) - _U_B0


def _u(i: int) -> float:
    return i * 2.0**-31 if i < _FINE else _F32.unpack(_U32.pack(_U_B0 + i - _FINE))[0]


def _u_index(u: float) -> int:
    """Index of the largest u value <= ``u`` (used only as a search starting point)."""
    if not u > 0:
        return 0
    if u >= 1:
        return _U_LAST
    if u < 2.0**-7:
        return int(u * 2.0**31)
    return _FINE + _bits(min(_f32(u), 1.0)) - _U_B0


def _round(x: float) -> int:
    # C roundl: half away from zero (Python's round() is half-to-even); x + 0.5 is exact in double.
    return math.floor(x + 0.5) if x >= 0 else -math.floor(0.5 - x)


def _first_at_least(g, t: int, a: int, b: int, guess: int) -> int:
    """Smallest i in (a, b] with g(i) >= t, for g non-decreasing with g(a) < t <= g(b).

    Gallops out from ``guess`` (the float32 answer is a few ulps from the real breakpoint), then
    bisects, so a typical call costs a handful of evaluations instead of ~30.
    """
    lo, hi = a, b
    i = min(max(guess, a + 1), b)
    step = 1
    if g(i) >= t:
        hi = i
        while hi - step > lo and g(hi - step) >= t:
            hi -= step
            step *= 2
        lo = max(lo, hi - step)
    else:
        lo = i
        while lo + step < hi and g(lo + step) < t:
            lo += step
            step *= 2
        hi = min(hi, lo + step)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if g(mid) >= t:
            hi = mid
        else:
            lo = mid
    return hi


def _reachable(width: int, height: int, random: float, resize_step: int):
    """``((w, h), witness)`` for every reachable size, sorted by size.

    The witness is ``(u, reciprocal)``: darknet picks that size when random_float() returns ``u``
    and the coin picks ``r = 1/s`` (True) or ``r = s`` (False); ``(c, None)`` marks the size forced
    on the first resize. Kept separate from the cache so tests can replay every witness.
    """
    W0, H0, S = width, height, resize_step
    if S <= 0 or W0 <= 0 or H0 <= 0:
        return ()  # darknet divides by zero / builds nothing; the caller reports these itself
    try:
        rnd = _f32(random)  # l.random is a float read with atof
    except OverflowError:
        rnd = math.copysign(math.inf, random)
    if rnd == 0:
        return ()  # `if (l.random && ...)`: never resizes
    if not math.isfinite(rnd) or rnd < 0:
        # darknet does resize, but s = u*(1-c)+c spans [c, 1], which holds 0 and negatives:
        # r = 1/s is unbounded (s == 0 gives inf, then an undefined float->int conversion) and the
        # first resize is S x S. No finite answer is meaningful; the caller must flag the value.
        return ()
    c = _f32(1.4) if rnd == 1.0 else rnd
    lo, hi = min(1.0, c), max(1.0, c)  # rand_uniform_strong swaps its bounds
    d = _f32(hi - lo)
    r_max = max(hi, 1.0 / lo)
    if r_max * max(W0, H0) / S > MAX_STEPS or r_max * max(W0, H0) + 2 * S > _INT_MAX:
        raise ValueError(
            f"random={random:g} with {W0}x{H0}, resize_step={S} reaches sizes up to about "
            f"{r_max * W0:.0f}x{r_max * H0:.0f}: too many to enumerate")
    Wf, Hf, Sf = _f32(W0), _f32(H0), _f32(S)  # `random_val*init_w / net.resize_step`: int -> float

    def k(r: float, nf: float) -> int:
        return _round(_f32(_f32(_f32(r * nf) / Sf) + 1.0))

    def resize(r: float) -> tuple[int, int]:
        w, h = S * k(r, Wf), S * k(r, Hf)
        if r < 1 and (w > W0 or h > H0):
            w, h = W0, H0
        return max(w, S), max(h, S)

    # First resize (and the last 100 iterations): max_dim_w, max_dim_h, never clamped to W0, H0
    # even when c < 1 makes them the smallest size.
    found = {(max(S * k(c, Wf), S), max(S * k(c, Hf), S)): (c, None)}
    for recip in (False, True):
        # r as a function of the u index; increasing for r = s, decreasing for r = 1/s
        def r_of(i: int, recip=recip) -> float:
            s = _f32(_f32(_u(i) * d) + lo)
            return _f32(1.0 / s) if recip else s

        sign = -1 if recip else 1

        def guess(r_break: float, recip=recip) -> int:
            s = (1.0 / r_break if r_break > 0 else math.inf) if recip else r_break
            return _u_index((s - lo) / d)

        # Each step function, made non-decreasing in i, with the real r where it steps to t: k
        # changes between m and m + 1 where r*N/S + 1 = m + 0.5.
        steps = [(lambda i, nf=nf: sign * k(r_of(i), nf),
                  lambda t, n=n: ((-t if recip else t - 1) - 0.5) * S / n)
                 for nf, n in {(Wf, W0), (Hf, H0)}]  # a square input needs one axis
        steps.append((lambda i: sign * (r_of(i) >= 1), lambda t: 1.0))  # the `r < 1` test flips

        starts = {0}
        for g, breakpoint in steps:
            for t in range(g(0) + 1, g(_U_LAST) + 1):
                starts.add(_first_at_least(g, t, 0, _U_LAST, guess(breakpoint(t))))
        for i in starts:
            found.setdefault(resize(r_of(i)), (_u(i), recip))
    return tuple(sorted(found.items()))


@functools.lru_cache(maxsize=256)
def training_sizes(width: int, height: int, random: float,
                   resize_step: int = 32) -> tuple[tuple[int, int], ...]:
    """Every ``(w, h)`` darknet's multi-scale training can resize the network to, sorted.

    Includes ``(wmax, hmax)`` (forced on the first resize and in the last 100 iterations) and
    ``(width, height)``: a draw just below ``r = 1`` always overshoots and is clamped back to it
    (the only way to get it when it is not a multiple of ``resize_step``). Every size is at least
    ``resize_step`` (darknet raises smaller ones, the clamped ``(width, height)`` included), and
    all but the clamped pair are multiples of it. ``random`` is the detection layer's value:
    exactly 1 means factor 1.4, other values are the factor itself, (0, 1) mirrors it.

    Returns ``()`` when darknet never resizes (``random == 0``) and for inputs that have no finite
    answer: ``resize_step <= 0``, a size ``<= 0``, ``random < 0`` or not finite (see
    ``_reachable``); callers report those separately.
    Raises ``ValueError`` when the set is absurdly large (more than ``MAX_STEPS`` steps per axis).
    """
    return tuple(size for size, _ in _reachable(int(width), int(height), float(random),
                                                int(resize_step)))
