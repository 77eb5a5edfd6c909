"""cfggen.nogc: the collector is paused inside the call and exactly as it was afterwards."""
from __future__ import annotations

import gc

import pytest

from cfggen.cfg import parse
from cfggen.lint.engine import analyze
from cfggen.nogc import nogc

CFG = "[net]\nwidth=32\nheight=32\nchannels=3\n\n[convolutional]\nfilters=4\nsize=3\nactivation=leaky\n"


def test_paused_inside_and_restored_after():
    seen = []

    @nogc
    def probe():
        seen.append(gc.isenabled())
        return 7

    assert gc.isenabled()
    assert probe() == 7 and seen == [False] and gc.isenabled()


def test_restored_when_the_call_raises():
    @nogc
    def boom():
        raise ValueError("x")

    with pytest.raises(ValueError):
        boom()
    assert gc.isenabled()


def test_a_host_that_paused_the_collector_keeps_it_paused():
    gc.disable()
    try:
        assert analyze(parse(CFG), "native").network is not None
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_parse_and_analyze_leave_the_collector_on():
    a = analyze(parse(CFG), "training")
    assert a.network is not None and gc.isenabled()
