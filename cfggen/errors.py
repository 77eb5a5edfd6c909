"""The exception tree and the exit codes.

Findings about a cfg are data (``cfggen.findings.Diagnostic``); exceptions are for input that cannot be
read at all (a missing file, binary junk, a weights file of the wrong size) and for usage errors.
Only ``cli.main`` turns them into ``path:line:col: error: message`` plus an exit code.
"""
from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class CfggenError(Exception):
    """Base of every error cfggen reports to the user (never with a traceback)."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 col: int | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.col = col
        self.hint = hint

    def location(self) -> str:
        parts = [p for p in (self.path, self.line, self.col) if p is not None]
        return ":".join(str(p) for p in parts)

    def __str__(self) -> str:
        loc = self.location()
        text = f"{loc}: error: {self.message}" if loc else f"error: {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text


class CfgSyntaxError(CfggenError):
    """The file cannot be read as text at all (binary data, bad encoding)."""


class InputError(CfggenError):
    """A path that does not exist, is a directory where a file is needed, cannot be read..."""


class UsageError(CfggenError):
    """Bad command-line arguments or options."""


class WeightsFormatError(CfggenError):
    """A .weights file that does not fit its cfg or is not a darknet weights file."""

    exit_code = EXIT_FINDINGS


class GenerateError(CfggenError):
    """A generator request that cannot produce a valid network."""
