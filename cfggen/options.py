"""Shared click options and parameter types."""
from __future__ import annotations

import re

import click


class SizeType(click.ParamType):
    """``WxH`` (or a single number for a square size)."""

    name = "WxH"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        m = re.fullmatch(r"\s*(\d+)\s*(?:[xX*,]\s*(\d+))?\s*", str(value))
        if not m:
            self.fail(f"{value!r} is not a size like 416x416", param, ctx)
        w = int(m.group(1))
        h = int(m.group(2)) if m.group(2) else w
        if not (1 <= w <= 65536 and 1 <= h <= 65536):
            self.fail(f"{value!r}: width and height must be between 1 and 65536", param, ctx)
        return (w, h)


SIZE = SizeType()


class FiniteFloat(click.ParamType):
    """A float that is a number: 'nan' and 'inf', which Python's float() takes, are refused."""

    name = "FLOAT"

    def convert(self, value, param, ctx):
        import math
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


FINITE = FiniteFloat()

# a random seed: numpy's generators take any non-negative integer, and only those
SEED = click.IntRange(min=0)


def output_option(help_text: str = "Write to FILE (atomically) instead of standard output."):
    return click.option("-o", "--output", "output", type=click.Path(dir_okay=False, writable=True),
                        default=None, help=help_text)
