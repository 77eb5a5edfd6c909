"""The library entry points the CLI calls (and other programs may call)."""
from __future__ import annotations

from cfggen.cfg.parse import parse, read_file
from cfggen.lint.engine import Analysis, SizeSpec, analyze


def analyze_text(text: str, path: str = "<string>", sizes: SizeSpec = "training") -> Analysis:
    """Validate cfg text: the network at its own size, findings at every checked size."""
    return analyze(parse(text, path), sizes)


def analyze_file(path: str, sizes: SizeSpec = "training") -> Analysis:
    """Validate a cfg file; unreadable input raises ``InputError``/``CfgSyntaxError``."""
    return analyze(read_file(path), sizes)


__all__ = ["Analysis", "analyze", "analyze_file", "analyze_text"]
