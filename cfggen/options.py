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


def output_option(help_text: str = "Write to FILE (atomically) instead of standard output."):
    return click.option("-o", "--output", "output", type=click.Path(dir_okay=False, writable=True),
                        default=None, help=help_text)
