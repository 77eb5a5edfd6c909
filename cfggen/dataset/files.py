"""Reading a darknet training set exactly as darknet reads it (reference §13.1-§13.5).

* ``read_data``: the ``.data`` file (``option_list.c: read_data_cfg``): ``fgetl`` + ``strip`` (every
  blank deleted), ``#``/``;``/empty lines skipped, the first ``=`` splits, ``key=`` with nothing after
  it is darknet's "Config file error line N, could parse: key" (dropped), a line without ``=`` is a key
  with no value, and the *first* entry of a key is the one ``option_find`` returns.
* ``read_list`` / ``read_names``: ``data.c: get_paths`` over ``utils.c: fgetl``: one entry per line,
  blank lines kept as empty entries, a final LF adds nothing, the LF and a CR just before it removed,
  nothing trimmed.
* ``label_path``: ``utils.c: replace_image_to_label``: ten first-occurrence folder substitutions,
  ``trim`` (spaces and tabs at both ends), then the first of twelve image extensions that occurs
  *first* at the very end of the path becomes ``.txt``.
* ``read_labels`` / ``read_label_set``: ``data.c: read_boxes``: the file is a stream of
  ``fscanf("%d %f %f %f %f")`` groups; line breaks mean nothing, and reading stops silently at the
  first group that does not convert completely. Besides the boxes, each file says where the stream
  stops and where it stops lining up with the lines (a line with 4 or 6 numbers shifts every box after
  it), with line numbers.

Paths are ``str`` decoded from the file's bytes with ``os.fsdecode`` (undecodable bytes survive as
surrogates, so a path opens exactly as darknet would open it).
"""
from __future__ import annotations

import bisect
import os
import re
from typing import NamedTuple

import numpy as np

from cfggen.errors import CfgSyntaxError, InputError

# ------------------------------------------------------------------------------------------------
# line reading (utils.c: fgetl)


def fgetl_lines(data: bytes) -> list[bytes]:
    """The lines darknet's ``fgetl`` loop returns for a file's bytes.

    Each line loses its LF and, when the character before the LF is a CR, that CR. A last line
    without a LF is cut two characters early when its next-to-last character is a CR (fgetl looks
    two characters back from the end whatever the last one is); a CR ending it stays."""
    if not data:
        return []
    pieces = data.split(b"\n")
    last = pieces.pop()   # b"" when the file ends with a LF: no extra entry
    out = [p[:-1] if p[-1:] == b"\r" else p for p in pieces]
    if last:
        if last[-2:-1] == b"\r":
            last = last[:-2]
        out.append(last)
    return out


def _read_bytes(path: str, kind: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise InputError(f"no such {kind}", path=path) from None
    except IsADirectoryError:
        raise InputError(f"is a directory, not a {kind}", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read the {kind}: {exc.strerror or exc}", path=path) from None
    return data


def _no_nul(data: bytes, path: str, kind: str) -> None:
    """A NUL byte ends a C string: darknet would read such a file as something else. Binary junk is
    unreadable input (exit 2), reported at its line."""
    at = data.find(b"\0")
    if at >= 0:
        line = data.count(b"\n", 0, at) + 1
        raise CfgSyntaxError(f"binary data (a NUL byte) in the {kind}: not a text file", path=path, line=line)


# ------------------------------------------------------------------------------------------------
# the .data file (option_list.c: read_data_cfg, read_option, option_find)

class Option(NamedTuple):
    key: str
    value: str | None     # None: a line without '=' (a key with no value; option_find returns NULL)
    line: int
    raw: str              # the line as written (before darknet deleted its blanks)


class DataFile:
    """A ``.data`` file as darknet reads it."""

    __slots__ = ("path", "entries", "first", "errors")

    def __init__(self, path: str, entries: tuple[Option, ...], errors: tuple[tuple[int, str], ...]):
        self.path = path
        self.entries = entries          # every option line, in order (duplicates included)
        self.first: dict[str, Option] = {}
        for opt in entries:
            self.first.setdefault(opt.key, opt)
        self.errors = errors            # (line, darknet's message) for the lines darknet drops

    def get(self, key: str, default: str | None = None) -> str | None:
        """``option_find_str``: the first entry's value; ``default`` when absent or value-less."""
        opt = self.first.get(key)
        return opt.value if opt is not None and opt.value is not None else default

    def option(self, key: str) -> Option | None:
        return self.first.get(key)

    def line(self, key: str) -> int | None:
        opt = self.first.get(key)
        return opt.line if opt is not None else None

    def duplicates(self) -> list[tuple[Option, Option]]:
        """(ignored later entry, the first one darknet uses) for every repeated key."""
        return [(opt, self.first[opt.key]) for opt in self.entries if self.first[opt.key] is not opt]


_BLANKS = bytes.maketrans(b"", b"")
_STRIP = b" \t\r\n"


def read_data(path: str) -> DataFile:
    """Read a ``.data`` file; missing/unreadable/binary is an ``InputError``/``CfgSyntaxError`` (exit 2)."""
    data = _read_bytes(path, ".data file")
    _no_nul(data, path, ".data file")
    entries: list[Option] = []
    errors: list[tuple[int, str]] = []
    for nu, raw in enumerate(fgetl_lines(data), 1):
        line = raw.translate(_BLANKS, _STRIP)
        if not line or line[:1] in (b"#", b";"):
            continue
        eq = line.find(b"=")
        if eq == len(line) - 1:   # read_option: '=' as the last character fails
            errors.append((nu, f"Config file error line {nu}, could parse: {os.fsdecode(line[:eq])}"))
            continue
        text = os.fsdecode(raw)
        if eq < 0:
            entries.append(Option(os.fsdecode(line), None, nu, text))
        else:
            entries.append(Option(os.fsdecode(line[:eq]), os.fsdecode(line[eq + 1:]), nu, text))
    return DataFile(path, tuple(entries), tuple(errors))


# ------------------------------------------------------------------------------------------------
# image lists and names files (data.c: get_paths)

class ListEntry(NamedTuple):
    path: str       # exactly as darknet holds it: not trimmed, '' for a blank line
    line: int


def read_list_bytes(data: bytes) -> list[str]:
    """The entries of a list file's bytes (``get_paths``); entry i is on line i + 1."""
    return [os.fsdecode(p) for p in fgetl_lines(data)]


def read_list(path: str) -> list[ListEntry]:
    """An image list (``train=``, ``valid=``) as darknet's ``get_paths`` reads it."""
    data = _read_bytes(path, "image list")
    _no_nul(data, path, "image list")
    return [ListEntry(p, n) for n, p in enumerate(read_list_bytes(data), 1)]


def read_names(path: str) -> list[str]:
    """A names file (``get_labels_custom``): one name per line, blank lines are names, nothing trimmed."""
    data = _read_bytes(path, "names file")
    _no_nul(data, path, "names file")
    return read_list_bytes(data)


# ------------------------------------------------------------------------------------------------
# image path -> label path (utils.c: replace_image_to_label)

_FOLDERS = (("/images/train2017/", "/labels/train2017/"), ("/images/val2017/", "/labels/val2017/"),
            ("/JPEGImages/", "/labels/"), ("\\images\\train2017\\", "\\labels\\train2017\\"),
            ("\\images\\val2017\\", "\\labels\\val2017\\"), ("\\images\\train2014\\", "\\labels\\train2014\\"),
            ("\\images\\val2014\\", "\\labels\\val2014\\"), ("/images/train2014/", "/labels/train2014/"),
            ("/images/val2014/", "/labels/val2014/"), ("\\JPEGImages\\", "\\labels\\"))
_EXTENSIONS = (".jpg", ".JPG", ".jpeg", ".JPEG", ".png", ".PNG", ".bmp", ".BMP", ".ppm", ".PPM", ".tiff", ".TIFF")


def label_path(image_path: str) -> str:
    """The label file darknet opens for ``image_path`` (``replace_image_to_label``)."""
    out = image_path
    for old, new in _FOLDERS:
        if old in out:
            out = out.replace(old, new, 1)          # find_replace: the first occurrence only
    out = out.strip(" \t")                          # trim: spaces and tabs, not CR
    for ext in _EXTENSIONS:
        at = out.find(ext)                          # find_replace_extension: the FIRST occurrence,
        if at >= 0 and at + len(ext) == len(out):   # replaced only when it ends the path
            out = out[:at] + ".txt"
    return out


def label_path_message(label: str) -> str | None:
    """What ``replace_image_to_label`` prints to stderr for this label path, or None."""
    if len(label) > 4:
        if not label.endswith(".txt"):
            return f"Failed to infer label file name (check image extension is supported): {label} "
        return None
    return f"Label file name is too short: {label} "


# ------------------------------------------------------------------------------------------------
# label files (data.c: read_boxes)

class LineIssue(NamedTuple):
    """A place where darknet reads a label file differently from its lines.

    ``kind``: ``stop`` (reading ends here; nothing after it is read), ``shift`` (a box is read across
    a line break or from the middle of a line: this line does not hold exactly 5 numbers)."""
    line: int
    col: int
    kind: str
    message: str


_EMPTY_IDS = np.zeros(0, np.int32)
_EMPTY_BOXES = np.zeros((0, 4), np.float32)


class LabelFile:
    """One label file as ``read_boxes`` reads it.

    ``status``: ``ok``; ``missing`` (fopen fails: darknet prints "Can't open label file. ..." and
    uses the image as a negative sample); ``unreadable`` (a directory or a read error: fopen succeeds,
    nothing is read, no message). ``ids`` (int32) and ``xywh`` (float32, n×4) are the boxes in file
    order, before any check; ``lines`` gives each box's line (where its class id is)."""

    __slots__ = ("path", "status", "ids", "xywh", "issues", "error", "_data", "_lines")

    def __init__(self, path: str, status: str, ids=_EMPTY_IDS, xywh=_EMPTY_BOXES, issues=(), error: str = "",
                 data: bytes = b"", lines=None):
        self.path, self.status, self.ids, self.xywh = path, status, ids, xywh
        self.issues: tuple[LineIssue, ...] = issues
        self.error = error
        self._data, self._lines = data, lines

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def stop(self) -> LineIssue | None:
        return next((i for i in self.issues if i.kind == "stop"), None)

    @property
    def lines(self) -> np.ndarray:
        """The line of each box's class id (1-based, int32)."""
        if self._lines is None:   # a clean file: box k is on the k-th non-blank line
            self._lines = np.array([n for n, line in enumerate(self._data.split(b"\n"), 1) if line.strip()],
                                   np.int32)[:len(self.ids)]
        return self._lines

    @property
    def empty(self) -> bool:
        """No box and nothing else in the file but blanks: a negative (background) sample."""
        return self.status == "ok" and not len(self.ids) and not self._data.strip()

    def line_text(self, line: int) -> str:
        pieces = self._data.split(b"\n")
        return os.fsdecode(pieces[line - 1].rstrip(b"\r")) if 1 <= line <= len(pieces) else ""


# A clean label file: every non-blank line "<int> <num> <num> <num> <num>", decimal numbers only.
# Such a file reads the same as lines or as darknet's token stream, so it takes the fast path.
_NUM = rb"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_CLEAN_LINE = rb"[ \t]*[+-]?\d{1,9}(?:[ \t]+" + _NUM + rb"){4}[ \t\r]*"
_CLEAN = re.compile(rb"(?:(?:" + _CLEAN_LINE + rb")?\n|[ \t\r]*\n)*(?:" + _CLEAN_LINE + rb"|[ \t\r]*)\Z")

# the slow path: fscanf's conversions, glibc's way
_SPACE = re.compile(rb"[ \t\n\v\f\r]*")
_INT = re.compile(rb"[+-]?[0-9]+")
# %f consumes the longest text that starts a number ("1e+" included: strtod then takes "1")
_FLOAT = re.compile(rb"[+-]?(?:0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]*)?"
                    rb"|(?:[iI][nN][fF](?:[iI][nN][iI][tT][yY])?)|(?:[nN][aA][nN](?:\([0-9A-Za-z_]*\))?)"
                    rb"|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]*)?)")
_DEC_VALID = re.compile(rb"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_HEX_VALID = re.compile(rb"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?")
_FIELDS = ("class id", "x", "y", "width", "height")


def _c_int(text: bytes) -> int:
    """%d: strtol (clamped to a long), stored into an int (wraps)."""
    v = max(-(1 << 63), min((1 << 63) - 1, int(text)))
    return ((v + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def _c_float(text: bytes) -> float:
    """The value strtod gives the text %f consumed (its longest valid prefix)."""
    low = text.lower().lstrip(b"+-")
    sign = -1.0 if text[:1] == b"-" else 1.0
    if low.startswith(b"inf"):
        return sign * float("inf")
    if low.startswith(b"nan"):
        return float("nan")
    if low.startswith(b"0x"):
        m = _HEX_VALID.match(text)
        return float.fromhex(m.group().decode()) if m else 0.0
    return float(_DEC_VALID.match(text).group())


def _token(data: bytes, pos: int) -> bytes:
    end = pos
    while end < len(data) and data[end] not in b" \t\n\v\f\r":
        end += 1
    return data[pos:end]


def _scan(data: bytes):
    """darknet's fscanf loop over a label file the long way: (ids, boxes, box lines, issues)."""
    newlines = [i for i, c in enumerate(data) if c == 10]

    def where(pos: int) -> tuple[int, int]:
        k = bisect.bisect_left(newlines, pos)
        start = newlines[k - 1] + 1 if k else 0
        return k + 1, pos - start + 1

    ids: list[int] = []
    vals: list[tuple[float, float, float, float]] = []
    lines: list[int] = []
    issues: list[LineIssue] = []
    shifted_at = None
    shifted = 0
    pos = 0
    n = len(data)
    while True:
        group: list = []
        starts: list[int] = []
        failed_at = None
        for field in range(5):
            pos = _SPACE.match(data, pos).end()
            if pos >= n:
                failed_at = pos
                break
            m = (_INT if field == 0 else _FLOAT).match(data, pos)
            if m is None:
                failed_at = pos
                break
            try:
                value = _c_int(m.group()) if field == 0 else _c_float(m.group())
            except (ValueError, AttributeError):   # "." or "-": consumed, nothing converted
                failed_at = pos
                break
            starts.append(pos)
            group.append(value)
            pos = m.end()
        if failed_at is not None:
            if not group and failed_at >= n:
                break   # EOF where a box would start: the normal end
            field = _FIELDS[len(group)]
            if failed_at >= n:
                line, col = where(starts[0])
                what = (f"the file ends after {len(group)} of a box's 5 numbers: darknet drops that box "
                        f"(its {field} is missing)")
            else:
                line, col = where(failed_at)
                lost = sum(1 for piece in data[failed_at:].split(b"\n")[1:] if piece.strip())
                token = os.fsdecode(_token(data, failed_at))
                expected = "an integer" if field == "class id" else "a number"
                what = (f"darknet stops reading here: '{token}' is not {expected} ({field} of box {len(ids) + 1})"
                        + (f"; this line and the {lost} non-blank line{'s' * (lost != 1)} after it are never read"
                           if lost else "; nothing after it is read"))
            issues.append(LineIssue(line, col, "stop", what))
            break
        first_line, first_col = where(starts[0])
        last_line = where(starts[4])[0]
        line_start = newlines[first_line - 2] + 1 if first_line > 1 else 0
        head_clean = not data[line_start:starts[0]].strip()
        tail = data[pos:newlines[last_line - 1]] if last_line - 1 < len(newlines) else data[pos:]
        if first_line != last_line or not head_clean or tail.strip():
            shifted += 1
            if shifted_at is None:
                shifted_at = (first_line, first_col, len(ids) + 1)
        ids.append(group[0])
        vals.append(tuple(group[1:]))
        lines.append(first_line)
    if shifted_at is not None:
        line = shifted_at[0]
        count = len(_line(data, newlines, line).split())
        issues.insert(0, LineIssue(line, shifted_at[1], "shift",
                                   f"line {line} has {count} number{'s' * (count != 1)}, not 5: darknet reads 5 "
                                   f"numbers per box across line breaks, so {shifted} box{'es' * (shifted != 1)} "
                                   f"from box {shifted_at[2]} on {'are' if shifted != 1 else 'is'} read shifted"))
    return (np.array(ids, np.int32), np.array(vals, np.float32).reshape(-1, 4), np.array(lines, np.int32),
            tuple(issues))


def _line(data: bytes, newlines: list[int], line: int) -> bytes:
    start = newlines[line - 2] + 1 if line > 1 else 0
    end = newlines[line - 1] if line - 1 < len(newlines) else len(data)
    return data[start:end]


def _open_label(path: str) -> tuple[str, bytes, str]:
    """(status, bytes, error) as fopen + fscanf see the file."""
    try:
        with open(path, "rb") as fh:
            return "ok", fh.read(), ""
    except FileNotFoundError:
        return "missing", b"", "no such file"
    except IsADirectoryError:
        return "unreadable", b"", "is a directory"   # fopen("r") of a folder succeeds; fscanf reads nothing
    except PermissionError as exc:
        return "missing", b"", exc.strerror or "permission denied"
    except OSError as exc:
        return "unreadable", b"", exc.strerror or str(exc)


def _parse(path: str, status: str, data: bytes, error: str) -> LabelFile:
    if status != "ok" or not data:
        return LabelFile(path, status, error=error, data=data)
    if _CLEAN.match(data):
        table = np.array(data.split(), dtype=bytes).reshape(-1, 5)
        return LabelFile(path, status, table[:, 0].astype(np.int32), table[:, 1:].astype(np.float64)
                         .astype(np.float32), data=data)
    ids, boxes, lines, issues = _scan(data)
    return LabelFile(path, status, ids, boxes, issues, data=data, lines=lines)


def read_labels(path: str) -> LabelFile:
    """One label file as ``read_boxes`` reads it (never raises: a file darknet cannot open is a status)."""
    return _parse(path, *_open_label(path))


def read_label_set(paths, progress=None) -> list[LabelFile]:
    """Many label files; the clean ones are converted to numbers in one numpy call for all of them.

    ``progress``: called with the number of files read so far, now and then."""
    raw: list[tuple[str, str, bytes, str]] = []
    out: list[LabelFile | None] = []
    clean: list[int] = []
    match = _CLEAN.match
    for k, p in enumerate(paths):
        status, data, error = _open_label(p)
        if status == "ok" and data and match(data):
            clean.append(k)
            out.append(None)
            raw.append((p, status, data, error))
        else:
            out.append(_parse(p, status, data, error))
            raw.append((p, status, b"", error))
        if progress is not None and not k & 1023:
            progress(k)
    if clean:
        counts = [0] * len(clean)
        chunks = []
        for j, k in enumerate(clean):
            tokens = raw[k][2].split()
            counts[j] = len(tokens) // 5
            chunks.append(tokens)
        flat = [t for tokens in chunks for t in tokens]
        table = np.array(flat, dtype=bytes).reshape(-1, 5)
        ids_all = table[:, 0].astype(np.int32)
        boxes_all = table[:, 1:].astype(np.float64).astype(np.float32)
        at = 0
        for j, k in enumerate(clean):
            p, status, data, error = raw[k]
            c = counts[j]
            out[k] = LabelFile(p, status, ids_all[at:at + c], boxes_all[at:at + c], data=data)
            at += c
    if progress is not None:
        progress(len(out))
    return out


# ------------------------------------------------------------------------------------------------
# many label files as flat arrays (cfggen anchors: every box, no per-file record)

class LabelArrays(NamedTuple):
    """The boxes of many label files, in list order, as ``read_boxes`` reads them.

    ``owner[i]``: the index in ``paths`` of box i's file. ``status``: per path, as ``LabelFile.status``.
    ``parsed``: the ``LabelFile`` of every file read the long way (anything but plain numbers), where
    the stops and shifts are."""
    ids: np.ndarray          # int32 (boxes,)
    xywh: np.ndarray         # float32 (boxes, 4)
    owner: np.ndarray        # int32 (boxes,)
    status: list
    parsed: dict


_PLAIN = b"0123456789.eE+- \t\r\n"
_BYTE_SPACE = np.zeros(256, bool)
_BYTE_SPACE[list(b" \t\r\n")] = True
_BYTE_DIGIT = np.zeros(256, bool)
_BYTE_DIGIT[list(b"0123456789")] = True


def read_label_arrays(paths) -> LabelArrays:
    """``read_label_set`` for callers that want the numbers only, at the speed of reading the files.

    A file of plain numbers (digits, ``.eE+-`` and blanks) is a token stream darknet reads as written
    when every token converts whole, the count is a multiple of 5 and every class id is plain digits:
    all such files are converted at once (token bounds from one pass over the bytes, the numbers from
    one C parse). Any other file, or one failing those tests, goes through ``_parse`` (the exact scan)."""
    import warnings
    status: list[str] = []
    parsed: dict[int, LabelFile] = {}
    plain: list[bytes] = []
    plain_at: list[int] = []
    for k, p in enumerate(paths):
        st, data, error = _open_label(p)
        status.append(st)
        if st == "ok" and data and not data.translate(None, _PLAIN):
            plain.append(data)
            plain_at.append(k)
        elif st == "ok" and data:
            parsed[k] = _parse(p, st, data, error)
    ids = np.zeros(0, np.int32)
    xywh = np.zeros((0, 4), np.float32)
    owner = np.zeros(0, np.int32)
    if plain:
        blob = b"\n".join(plain)
        byte = np.frombuffer(blob, np.uint8)
        word = ~_BYTE_SPACE[byte]
        edges = np.diff(word.view(np.int8), prepend=np.int8(0), append=np.int8(0))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        lengths = np.fromiter((len(d) for d in plain), np.int64, len(plain))
        file_start = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]])
        per_file = np.diff(np.searchsorted(starts, np.append(file_start, len(blob) + 1)))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                values = np.fromstring(blob, dtype=np.float64, sep=" ")
            except (ValueError, DeprecationWarning):
                values = None
        good = np.zeros(len(plain), bool)
        if values is not None and len(values) == len(starts):
            file_of = np.repeat(np.arange(len(plain)), per_file)
            pos = np.arange(len(starts)) - np.repeat(np.cumsum(per_file) - per_file, per_file)
            cls = np.flatnonzero(pos % 5 == 0)
            c_start, c_len = starts[cls], ends[cls] - starts[cls]
            cls_bad = c_len > 9                       # %d of more digits: wraps; the long way says how
            for o in range(9):                        # every byte of a class id a digit (no sign, no '.')
                inside = c_len > o
                cls_bad[inside] |= ~_BYTE_DIGIT[byte[c_start[inside] + o]]
            good = per_file % 5 == 0
            good[file_of[cls[cls_bad]]] = False
            keep = good[file_of]
            table = values[keep].reshape(-1, 5)
            ids = table[:, 0].astype(np.int32)
            xywh = table[:, 1:].astype(np.float32)
            owner = np.asarray(plain_at, np.int32)[file_of[keep][::5]]
        for j in np.flatnonzero(~good):
            k = plain_at[j]
            parsed[k] = _parse(paths[k], "ok", plain[j], "")
    if parsed:      # merge the long-way files in, keeping list order
        extra_owner = np.concatenate([np.full(len(f), k, np.int32) for k, f in parsed.items()] or [owner[:0]])
        order = np.argsort(np.concatenate([owner, extra_owner]), kind="stable")
        ids = np.concatenate([ids] + [f.ids for f in parsed.values()])[order]
        xywh = np.concatenate([xywh] + [f.xywh.reshape(-1, 4) for f in parsed.values()])[order]
        owner = np.concatenate([owner, extra_owner])[order]
    return LabelArrays(ids, xywh, owner, status, parsed)
