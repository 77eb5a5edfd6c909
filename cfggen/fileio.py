"""Atomic writes: a temp file in the same folder, then os.replace. Never a half-written output."""
from __future__ import annotations

import os
import tempfile

from cfggen.errors import InputError


def write_atomic(path: str, data: str | bytes, encoding: str = "utf-8") -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InputError("the output folder does not exist", path=path)
    # surrogateescape: a cfg's bytes that are not UTF-8 go back out exactly as they came in
    payload = data.encode(encoding, "surrogateescape") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=".cfggen-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        if os.path.exists(path):
            try:
                os.chmod(tmp, os.stat(path).st_mode & 0o777)
            except OSError:
                pass
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_head(path: str, n: int, kind: str) -> tuple[bytes, int]:
    """The first ``n`` bytes of a binary input (a weights file, a checkpoint) and its size; a path that
    is missing, a directory or unreadable is a one-line input error naming ``kind``."""
    if os.path.isdir(path):
        raise InputError(f"is a directory, not a {kind}", path=path)
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            return fh.read(n), size
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None


def write_output(path: str, data: str | bytes) -> None:
    """A command's ``-o FILE``: written atomically, an unwritable path a one-line input error."""
    if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        raise InputError("cannot write: No such file or directory", path=path)
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", path=path) from None


def write_stdout(text: str) -> None:
    """Text holding a cfg's own bytes to standard output, undecodable ones as they were read.

    Through the binary buffer when there is one (a strict text stream would refuse them), else as
    text (an in-memory stream, e.g. ``contextlib.redirect_stdout``, takes any str)."""
    import sys
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(text)
        return
    sys.stdout.flush()
    buffer.write(text.encode("utf-8", "surrogateescape"))
    buffer.flush()
