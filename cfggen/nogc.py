"""Pausing Python's cyclic garbage collector around work that allocates much and makes no cycles."""
from __future__ import annotations

import gc
from functools import wraps


def nogc(fn):
    """Run ``fn`` with the cyclic collector paused (the idea of Mercurial's ``util.nogc``).

    Checking a cfg allocates hundreds of thousands of small acyclic records (options, layers, shapes,
    findings) and frees most of them by reference counting before it returns. With the collector on,
    its passes walk those records, and once the heap is large (a host holding many analyses) a full
    pass walks all of it each time: 10,000 layers cost 2.2x per layer what 1,000 do. Paused, the
    records that die inside the call are never walked; what survives is collected later as usual.
    A call made while the collector is already paused (nested, or by the host) leaves it so.
    """
    @wraps(fn)
    def paused(*args, **kwargs):
        if not gc.isenabled():
            return fn(*args, **kwargs)
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            gc.enable()
    return paused
