"""Reading inputs with one-line errors; atomic writes (a temp file in the same folder, then os.replace:
never a half-written output)."""
from __future__ import annotations

import contextlib
import errno
import os
from typing import Iterator

from cfggen.errors import InputError

# failures of the write itself (a full disk, a quota, a device error): the output's fault, not a bug
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG, errno.EROFS})


def read_bytes(path: str, n: int = -1, *, missing: str = "no such file", directory: str = "is a directory",
               unreadable: str = "cannot read") -> tuple[bytes, int]:
    """(the first ``n`` bytes of ``path``, all of them when ``n`` < 0; the file's size). A missing path,
    a directory or a failed read is an ``InputError``: ``missing``, ``directory``, or ``unreadable``
    followed by the system's reason (each caller words them for its kind of file).

    A directory is known by the failure, not by a stat before every open (Windows says PermissionError)."""
    try:
        if n < 0:
            with open(path, "rb", buffering=0) as fh:    # one read of the whole file: no buffer object needed
                data = fh.read()
            return data, len(data)
        with open(path, "rb") as fh:
            return fh.read(n), os.fstat(fh.fileno()).st_size
    except FileNotFoundError:
        raise InputError(missing, path=path) from None
    except OSError as exc:
        if os.path.isdir(path):
            raise InputError(directory, path=path) from None
        raise InputError(f"{unreadable}: {exc.strerror or exc}", path=path) from None


def temp_beside(path: str, suffix: str = ".tmp") -> tuple[int, str]:
    """(fd, name) of a new temp file in ``path``'s folder, for an atomic write of ``path``. A missing
    folder, ``path`` being a directory or a folder that takes no file is a one-line input error."""
    import tempfile
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InputError("cannot write: the output folder does not exist", path=path)
    if os.path.isdir(path):
        raise InputError("cannot write: is a directory", path=path)
    try:
        return tempfile.mkstemp(prefix=".cfggen-", suffix=suffix, dir=folder)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", path=path) from None


def replace_from(tmp: str, path: str) -> None:
    """Move the finished temp file ``tmp`` over ``path`` (keeping an existing file's mode); on any
    failure ``tmp`` is removed, and an OS failure is a one-line input error."""
    try:
        try:
            os.chmod(tmp, os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o644)
        except OSError:
            pass
        os.replace(tmp, path)
    except BaseException as exc:
        discard(tmp)
        if isinstance(exc, OSError):
            raise InputError(f"cannot write: {exc.strerror or exc}", path=path) from None
        raise


def discard(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass


@contextlib.contextmanager
def atomic_file(path: str, suffix: str = ".tmp") -> Iterator:
    """A binary handle on a temp file beside ``path``, moved over ``path`` only when the block ends
    without an error: never a half-written output, and a previous file untouched on failure."""
    fd, tmp = temp_beside(path, suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
    except BaseException as exc:
        discard(tmp)
        if isinstance(exc, OSError) and exc.errno in _WRITE_ERRNOS:
            raise InputError(f"cannot write: {exc.strerror or exc}", path=path) from None
        raise
    replace_from(tmp, path)


def write_atomic(path: str, data: str | bytes, encoding: str = "utf-8") -> None:
    # surrogateescape: a cfg's bytes that are not UTF-8 go back out exactly as they came in
    payload = data.encode(encoding, "surrogateescape") if isinstance(data, str) else data
    with atomic_file(path) as fh:
        fh.write(payload)


def read_head(path: str, n: int, kind: str) -> tuple[bytes, int]:
    """The first ``n`` bytes of a binary input (a weights file, a checkpoint) and its size; a path that
    is missing, a directory or unreadable is a one-line input error naming ``kind``."""
    return read_bytes(path, n, directory=f"is a directory, not a {kind}")


def write_output(path: str, data: str | bytes) -> None:
    """A command's ``-o FILE``: written atomically, an unwritable path a one-line input error."""
    write_atomic(path, data)


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
