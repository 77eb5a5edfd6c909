"""cfggen.ir.sizes: the sizes darknet's multi-scale training can reach (reference doc §6.2).

The reference implementation here uses numpy float32 arithmetic, independent of the module's
struct-based float32 emulation, and replays darknet's draw (``u = (float)rand() / RAND_MAX``).
"""
from __future__ import annotations

import os

import pytest
from hypothesis import given, settings, strategies as st

from cfggen.ir.sizes import MAX_STEPS, _reachable, training_sizes

np = pytest.importorskip("numpy")
f32 = np.float32


def _coef(random):
    rnd = f32(random)  # l.random is a float
    c = f32(1.4) if rnd == f32(1.0) else rnd
    return c, min(f32(1), c), max(f32(1), c)


def _dim(r, n, S):
    x = ((r * f32(n)) / f32(S) + f32(1)).astype(np.float64)  # float32 ops, then C roundl
    return (np.floor(x + 0.5) * S).astype(np.int64)


def reference(W0, H0, random, S, u, recip):
    """darknet's (w, h) for each float32 u in the array and one side of the coin."""
    c, lo, hi = _coef(random)
    s = u * (hi - lo) + lo
    r = f32(1) / s if recip else s
    assert r.dtype == np.float32
    w, h = _dim(r, W0, S), _dim(r, H0, S)
    clamp = (r < 1) & ((w > W0) | (h > H0))
    return np.maximum(np.where(clamp, W0, w), S), np.maximum(np.where(clamp, H0, h), S)


def first_resize(W0, H0, random, S):
    c = np.array([_coef(random)[0]], dtype=np.float32)
    return max(int(_dim(c, W0, S)[0]), S), max(int(_dim(c, H0, S)[0]), S)


def random_float(rnd):
    """Linux random_float(): (float)rand() / (float)RAND_MAX, RAND_MAX = 2^31 - 1."""
    return np.asarray(rnd, dtype=np.int64).astype(np.float32) / f32(2**31 - 1)


def dense(W0, H0, random, S, n=20001):
    rnd = np.round(np.linspace(0, 2**31 - 1, n)).astype(np.int64)
    u = random_float(rnd)
    out = {first_resize(W0, H0, random, S)}
    for recip in (False, True):
        w, h = reference(W0, H0, random, S, u, recip)
        out |= set(zip(w.tolist(), h.tolist()))
    return out


def squares(*values):
    return {(v, v) for v in values}


# Reference doc §6.2, "Reachable sizes computed with this rule".
DOC_TABLE = [
    ((416, 416, 1, 32), squares(320, 352, 384, 416, 448, 480, 512, 544, 576, 608)),
    ((512, 512, 1, 32), squares(*range(384, 737, 32))),
    ((608, 608, 1, 32), squares(*range(480, 897, 32))),
    ((400, 400, 1, 32), squares(320, 352, 384, 400, 448, 480, 512, 544, 576, 608)),
    ((416, 416, 1, 16), squares(*range(320, 593, 16))),
    ((416, 416, 1.2, 32), squares(*range(384, 545, 32))),
    ((416, 416, 2.0, 32), squares(*range(256, 865, 32))),
    ((640, 384, 1, 32), {(480, 320), (512, 320), (544, 320), (544, 352), (576, 352), (608, 384),
                         (640, 384), (672, 416), (704, 416), (704, 448), (736, 448), (768, 480),
                         (800, 480), (800, 512), (832, 512), (864, 512), (864, 544), (896, 544),
                         (928, 576)}),
]


@pytest.mark.parametrize(("args", "expected"), DOC_TABLE)
def test_doc_table(args, expected):
    assert set(training_sizes(*args)) == expected
    assert dense(*args) == expected


def test_400_never_trains_at_416():
    # values between W0 and S*round(W0/S + 1) come only from r < 1 and are clamped to W0
    sizes = training_sizes(400, 400, 1.0)
    assert (400, 400) in sizes and (416, 416) not in sizes


def test_float32_matters():
    # 1.4f * 400 / 32 + 1 is 18.5 in float32 (exactly: 18.4999997), so the maximum is 608, not 576
    assert training_sizes(400, 400, 1)[-1] == (608, 608)
    # random is read as a float: 1.00000001 is exactly 1.0f, i.e. factor 1.4
    assert training_sizes(416, 416, 1.00000001) == training_sizes(416, 416, 1.0)


def test_no_resizing():
    assert training_sizes(416, 416, 0) == ()
    assert training_sizes(416, 416, 0.0) == ()
    assert training_sizes(416, 416, 1e-50) == ()  # rounds to 0.0f: `if (l.random)` is false


@pytest.mark.parametrize("args", [
    (416, 416, 1, 0), (416, 416, 1, -32),             # resize_step <= 0
    (0, 416, 1, 32), (416, -1, 1, 32),                # sizes <= 0
    (416, 416, -1, 32), (416, 416, -0.5, 32),         # random < 0: unbounded in darknet
    (416, 416, float("nan"), 32), (416, 416, float("inf"), 32), (416, 416, 1e39, 32),
])
def test_degenerate_inputs_give_empty(args):
    assert training_sizes(*args) == ()


def test_absurd_factor_raises():
    with pytest.raises(ValueError):
        training_sizes(416, 416, 1000.0)
    with pytest.raises(ValueError):
        training_sizes(416, 416, 1e-4)  # mirrors to factor 10000
    with pytest.raises(ValueError):
        training_sizes(100_000, 100_000, 1, 1)


def test_small_random_mirrors_large():
    # (0, 1) behaves like 1/random, but the forced first size is the smallest one
    assert set(training_sizes(416, 416, 0.5)) == set(training_sizes(416, 416, 2.0))
    assert first_resize(416, 416, 0.5, 32) == (256, 256)
    assert dict(_reachable(416, 416, 0.5, 32))[(256, 256)][1] is None


def test_cached_and_sorted():
    a = training_sizes(640, 384, 1.0)
    assert training_sizes(640, 384, 1.0) is a
    assert list(a) == sorted(a)


SETTINGS = settings(max_examples=60, deadline=None)
RANDOMS = st.one_of(st.sampled_from([1.0, 1.2, 1.4, 1.5, 2.0, 0.5, 0.8, 3.0]),
                    st.floats(0.25, 4.0))


@SETTINGS
@given(W0=st.integers(1, 1024), H0=st.integers(1, 1024), random=RANDOMS,
       S=st.sampled_from([1, 2, 8, 16, 32, 64]) | st.integers(1, 128))
def test_exact_enumeration_properties(W0, H0, random, S):
    try:
        found = _reachable(W0, H0, random, S)
    except ValueError:
        c, lo, hi = _coef(random)
        assert max(hi, 1 / lo) * max(W0, H0) / S > MAX_STEPS
        return
    sizes = [size for size, _ in found]
    assert tuple(sizes) == training_sizes(W0, H0, random, S)
    assert sizes == sorted(set(sizes))
    home = (max(W0, S), max(H0, S))  # the r < 1 clamp gives (W0, H0), then rule 5 applies
    assert all(w % S == 0 and h % S == 0 for w, h in sizes if (w, h) != home)
    assert first_resize(W0, H0, random, S) in sizes
    assert home in sizes  # a draw just below r = 1 always lands above W0 and is clamped

    # Nothing sampled densely is missing...
    assert dense(W0, H0, random, S, n=2001) <= set(sizes)
    # ...and every size is really produced by darknet's draw.
    for size, (u, recip) in found:
        if recip is None:
            assert size == first_resize(W0, H0, random, S)
            continue
        assert 0 <= u <= 1 and float(f32(u)) == u
        assert u >= 2.0**-7 or (u * 2**31).is_integer()  # a value random_float() returns
        w, h = reference(W0, H0, random, S, np.array([u], dtype=np.float32), recip)
        assert (int(w[0]), int(h[0])) == size


@pytest.mark.parametrize("args", [(416, 416, 1.0, 32), (640, 384, 1.0, 32), (300, 200, 1.5, 16)])
def test_dense_20001_subset(args):
    assert dense(*args) <= set(training_sizes(*args))


@pytest.mark.skipif(not os.environ.get("CFGGEN_SLOW"), reason="minutes; set CFGGEN_SLOW=1")
@pytest.mark.parametrize("args", [(416, 416, 1.0, 32), (640, 384, 1.0, 32), (400, 400, 1.0, 32)])
def test_exhaustive_every_draw(args):
    """Every value random_float() can return, on both sides of the coin: equality, not subset."""
    got = {first_resize(*args)}
    bits = np.arange(np.float32(2.0**-7).view(np.uint32), np.float32(1).view(np.uint32) + 1,
                     dtype=np.uint32)
    parts = (np.arange(1 << 24, dtype=np.float64) * 2.0**-31, bits.view(np.float32))
    for part in parts:
        for j in range(0, len(part), 1 << 22):
            u = part[j:j + (1 << 22)].astype(np.float32)
            for recip in (False, True):
                w, h = reference(*args, u, recip)
                got |= set(zip(*np.unique(w * 2**20 + h).__divmod__(2**20)))
    assert {(int(w), int(h)) for w, h in got} == set(training_sizes(*args))
