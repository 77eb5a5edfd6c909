"""Synthetic cfgs for scale tests and benchmarks: ``chain(n)``, a long plain network.

Used by ``tests/test_draw.py`` and ``bench/bench_draw.py`` (which puts this folder on its path); no
pytest here, so the bench does not need it. Not part of cfggen.
"""
from __future__ import annotations


def chain(n: int) -> str:
    """A 32x32x3 network of ``n`` layers: 3x3 convs of 8 filters (leaky), every 10th layer a
    ``[shortcut]`` from 3 layers back."""
    body = ["[net]", "width=32", "height=32", "channels=3", ""]
    for i in range(n):
        if i % 10 == 9:
            body += ["[shortcut]", "from=-3", "activation=linear", ""]
        else:
            body += ["[convolutional]", "filters=8", "size=3", "pad=1", "activation=leaky", ""]
    return "\n".join(body)
