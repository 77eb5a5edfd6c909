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

from cfggen.errors import CfgSyntaxError

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
    from cfggen.fileio import read_bytes
    article = "an" if kind[0] in "aeiou" else "a"
    return read_bytes(path, missing=f"no such {kind}", directory=f"is a directory, not {article} {kind}",
                      unreadable=f"cannot read the {kind}")[0]


def _no_nul(data: bytes, path: str, kind: str, hint=None) -> None:
    """A NUL byte ends a C string: darknet would read such a file as something else. Binary junk is
    unreadable input (exit 2), reported at its line; ``hint(data)`` may say what darknet reads."""
    at = data.find(b"\0")
    if at >= 0:
        line = data.count(b"\n", 0, at) + 1
        raise CfgSyntaxError(f"binary data (a NUL byte) in the {kind}: not a text file", path=path, line=line,
                             hint=hint(data) if hint is not None else None)


def _names_with_nul(data: bytes) -> str:
    """What darknet's get_labels makes of names holding a NUL: ``cfg.parse.fgetl_lines`` is fgetl byte
    for byte (the rest of the fgets chunk from the NUL on is lost, the next one glued on)."""
    from cfggen.cfg.parse import fgetl_lines as darknet_lines
    darknet, lines = len(darknet_lines(data)), len(fgetl_lines(data))
    if darknet == lines:
        return "darknet's fgetl ends the name at the NUL"
    return (f"darknet's fgetl ends the name at the NUL and glues the next line on: it reads {darknet} "
            f"name{'s' * (darknet != 1)}, not {lines}")


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
    _no_nul(data, path, "names file", _names_with_nul)
    return read_list_bytes(data)


# ------------------------------------------------------------------------------------------------
# image path -> label path (utils.c: replace_image_to_label)

_FOLDERS = (("/images/train2017/", "/labels/train2017/"), ("/images/val2017/", "/labels/val2017/"),
            ("/JPEGImages/", "/labels/"), ("\\images\\train2017\\", "\\labels\\train2017\\"),
            ("\\images\\val2017\\", "\\labels\\val2017\\"), ("\\images\\train2014\\", "\\labels\\train2014\\"),
            ("\\images\\val2014\\", "\\labels\\val2014\\"), ("/images/train2014/", "/labels/train2014/"),
            ("/images/val2014/", "/labels/val2014/"), ("\\JPEGImages\\", "\\labels\\"))
_EXTENSIONS = (".jpg", ".JPG", ".jpeg", ".JPEG", ".png", ".PNG", ".bmp", ".BMP", ".ppm", ".PPM", ".tiff", ".TIFF")


_EXT_SET = frozenset(_EXTENSIONS)
_FOLDER_MARKS = ("/images/", "JPEGImages", "\\images\\")


def label_path(image_path: str) -> str:
    """The label file darknet opens for ``image_path`` (``replace_image_to_label``)."""
    out = image_path
    if any(mark in out for mark in _FOLDER_MARKS):
        for old, new in _FOLDERS:
            if old in out:
                out = out.replace(old, new, 1)      # find_replace: the first occurrence only
    out = out.strip(" \t")                         # trim: spaces and tabs, not CR
    # find_replace_extension, for each extension in turn: replaced only when its FIRST occurrence
    # ends the path. At most one of the twelve can end a path (none is a suffix of another), and
    # after a replacement the path ends in .txt, which none of them matches: one test is enough.
    dot = out.rfind(".")
    if dot >= 0:
        ext = out[dot:]
        if ext in _EXT_SET and out.find(ext) == dot:
            out = out[:dot] + ".txt"
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

    ``kind``: ``stop`` (reading ends here and boxes are lost: a number follows, or a box is cut
    short), ``tail`` (reading ends at text with no digit after it, a trailing comment: nothing is
    lost), ``shift`` (a box is read
    across a line break or from the middle of a line: this line does not hold exactly 5 numbers)."""
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
        return next((i for i in self.issues if i.kind in ("stop", "tail")), None)

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


# A plain label file: only decimal digits, '.', 'e'/'E', signs, spaces, tabs, CR and LF, and every
# non-blank line exactly 5 tokens. Such a file reads the same as lines or as darknet's token stream
# (line breaks cannot shift anything), so its numbers are converted in bulk (Python's int()/float() on
# a token of this alphabet accept exactly what a complete %d/%f conversion of that token accepts; a
# token either rejects, e.g. "1.0" as a class id or "1e", sends the file down the slow path).
_PLAIN = b"0123456789.eE+- \t\r\n"


def _plain(data: bytes) -> list[bytes] | None:
    """The tokens of a plain label file, or None."""
    if data.translate(None, _PLAIN):
        return None
    tokens = data.split()
    if len(tokens) % 5:
        return None
    if not _FIVE.issuperset(map(len, map(bytes.split, data.split(b"\n")))):
        return None
    return tokens


_FIVE = frozenset((0, 5))


# the slow path: fscanf's conversions, glibc's way
_SPACE = re.compile(rb"[ \t\n\v\f\r]*")
_NEWLINE = re.compile(rb"\n")
_DIGIT = re.compile(rb"[0-9]")
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
    newlines = [m.start() for m in _NEWLINE.finditer(data)]   # C-speed search, not a loop over bytes

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
                if len(token) > 24:
                    token = token[:24] + "..."
                expected = "an integer" if field == "class id" else "a number"
                what = (f"darknet stops reading here: '{token}' is not {expected} ({field} of box {len(ids) + 1})"
                        + (f"; this line and the {lost} non-blank line{'s' * (lost != 1)} after it are never read"
                           if lost else "; nothing after it is read"))
            # nothing lost (a trailing comment): "tail"; a box or more lost: "stop"
            tail = not group and failed_at < n and not _DIGIT.search(data, failed_at)
            issues.append(LineIssue(line, col, "tail" if tail else "stop", what))
            break
        first_line, first_col = where(starts[0])
        last_line = where(starts[4])[0]
        line_start = newlines[first_line - 2] + 1 if first_line > 1 else 0
        head_clean = not data[line_start:starts[0]].strip()
        # (a number after the box on its line starts the next box mid-line: that box is the shifted one)
        if first_line != last_line or not head_clean:
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
    with np.errstate(over="ignore"):     # 1e300 in a label: inf in float32, as darknet's atof into a float
        xywh = np.array(vals, np.float32).reshape(-1, 4)
    return np.array(ids, np.int32), xywh, np.array(lines, np.int32), tuple(issues)


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
    tokens = _plain(data)
    if tokens is not None:
        converted = _convert(tokens)
        if converted is not None:
            return LabelFile(path, status, converted[0], converted[1], data=data)
    ids, boxes, lines, issues = _scan(data)
    return LabelFile(path, status, ids, boxes, issues, data=data, lines=lines)


def _convert(tokens: list[bytes]):
    """(ids int32, xywh float32 n×4) of plain tokens, or None when a token does not convert."""
    n = len(tokens) // 5
    try:
        ids = np.fromiter(map(int, tokens[0::5]), np.int64, n)
        cols = [np.fromiter(map(float, tokens[k::5]), np.float64, n) for k in (1, 2, 3, 4)]
    except (ValueError, OverflowError):
        return None
    # %d stores strtol's long into an int: truncation, as a C cast does
    with np.errstate(over="ignore"):     # 1e300 in a label: inf in float32, as darknet's atof into a float
        return ids.astype(np.int32), np.stack(cols, axis=1).astype(np.float32)


def read_labels(path: str) -> LabelFile:
    """One label file as ``read_boxes`` reads it (never raises: a file darknet cannot open is a status)."""
    return _parse(path, *_open_label(path))


class LabelBatch:
    """Many label files read at once: every box in one pair of arrays.

    ``ids``/``xywh`` hold the boxes of file ``k`` at ``offsets[k]:offsets[k + 1]``; ``status[k]`` and
    ``data[k]`` are the file's status and bytes; ``slow[k]`` = (box lines, issues) for the files that
    needed the token-stream reading (the others' boxes are one per non-blank line)."""

    __slots__ = ("paths", "status", "errors", "data", "ids", "xywh", "offsets", "slow")

    def file(self, k: int) -> LabelFile:
        a, b = self.offsets[k], self.offsets[k + 1]
        lines, issues = self.slow.get(k, (None, ()))
        return LabelFile(self.paths[k], self.status[k], self.ids[a:b], self.xywh[a:b], issues, self.errors[k],
                         self.data[k], lines)


def read_label_batch(paths) -> LabelBatch:
    """Read many label files; the plain ones are converted in one go for all of them."""
    paths = list(paths)
    count = len(paths)
    status, errors, datas = [""] * count, [""] * count, [b""] * count
    plain_tokens: list[bytes] = []
    plain_files: list[int] = []
    per_file: list[tuple] = [None] * count      # (ids, xywh) of the files read the slow way
    slow: dict[int, tuple] = {}
    for k, p in enumerate(paths):
        st, data, err = _open_label(p)
        status[k], errors[k], datas[k] = st, err, data
        if st != "ok" or not data:
            continue
        tokens = _plain(data)
        if tokens is not None:
            plain_files.append(k)
            plain_tokens.extend(tokens)
            per_file[k] = len(tokens) // 5
        else:
            ids, boxes, lines, issues = _scan(data)
            per_file[k] = (ids, boxes)
            slow[k] = (lines, issues)
    converted = _convert(plain_tokens) if plain_tokens else (_EMPTY_IDS, _EMPTY_BOXES)
    if converted is None:   # some token does not convert: find the files, read them the slow way
        for k in plain_files:
            one = _convert(datas[k].split())
            if one is None:
                ids, boxes, lines, issues = _scan(datas[k])
                slow[k] = (lines, issues)
                one = (ids, boxes)
            per_file[k] = one
        plain_files = []
    counts = np.zeros(count + 1, np.int64)
    id_parts, box_parts = [], []
    plain_at = 0
    plain = set(plain_files)
    for k in range(count):
        v = per_file[k]
        if v is None:
            continue
        if k in plain:
            counts[k + 1] = v
            id_parts.append(converted[0][plain_at:plain_at + v])
            box_parts.append(converted[1][plain_at:plain_at + v])
            plain_at += v
        else:
            counts[k + 1] = len(v[0])
            id_parts.append(v[0])
            box_parts.append(v[1])
    batch = LabelBatch()
    batch.paths, batch.status, batch.errors, batch.data, batch.slow = paths, status, errors, datas, slow
    if not slow and plain_files:      # the usual case: the bulk arrays as they are
        batch.ids, batch.xywh = converted
    else:
        batch.ids = np.concatenate(id_parts) if id_parts else _EMPTY_IDS
        batch.xywh = np.concatenate(box_parts) if box_parts else _EMPTY_BOXES
    batch.offsets = np.cumsum(counts)
    return batch


def read_label_set(paths) -> list[LabelFile]:
    """Many label files as ``LabelFile`` objects (``read_label_batch`` for the arrays alone)."""
    batch = read_label_batch(paths)
    return [batch.file(k) for k in range(len(batch.paths))]
