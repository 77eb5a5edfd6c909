"""Darknet ``.weights`` files with numpy: header, per-layer layout, check, read, write, extract, init.

A weights file is a header and then raw float32 arrays, layer after layer, with no tags and no sizes
(reference §7): only the cfg says where one array ends and the next begins. ``layout`` turns a built
``Network`` into that map: the arrays of every layer, at their byte offsets, in the order darknet's
loader reads them (``mode="load"``: ``dontload`` layers and ``dontloadscales`` BN arrays are absent) or
its saver writes them (``mode="save"``: every record, which is what ``Layer.records`` lists).

Big files are never held twice: reads are memory-mapped (``np.memmap``), writes stream to a temp file
in the destination folder that replaces the target at the end (never a half-written output).
This module is the only one that imports numpy; ``validate`` never imports it.
"""
from __future__ import annotations

import math
import os
import queue
import struct
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Iterator, NamedTuple, Sequence

import numpy as np

from cfggen.errors import InputError, UsageError, WeightsFormatError
from cfggen.fileio import read_head

FLOAT = np.dtype("<f4")
DARKNET_VERSION = (0, 2, 5)        # what AlexeyAB's current tree writes (src/version.h)
CHUNK = 1 << 20                    # floats per streamed block (4 MiB)
SEED_PART = 1 << 20                # init: each 1M-float part of an array has its own random stream, so
                                   # a seed gives the same file whatever the blocking (fixed for good)
BN_ARRAYS = ("scales", "rolling_mean", "rolling_variance")
NO_SHARE = -1000000000


# ------------------------------------------------------------------------------------------------
# header

class Header(NamedTuple):
    major: int
    minor: int
    revision: int
    seen: int = 0

    @property
    def seen_bytes(self) -> int:
        """AlexeyAB's reader: 8-byte ``seen`` when major*10+minor >= 2, else 4 bytes."""
        return 8 if self.major * 10 + self.minor >= 2 else 4

    @property
    def size(self) -> int:
        return 12 + self.seen_bytes

    @property
    def transpose(self) -> bool:
        """Connected-layer weights are stored input-major (transposed on load)."""
        return self.major > 1000 or self.minor > 1000

    @property
    def version(self) -> str:
        return f"{self.major}.{self.minor}.{self.revision}"

    def pack(self) -> bytes:
        fmt = "<iiiQ" if self.seen_bytes == 8 else "<iiiI"
        return struct.pack(fmt, self.major, self.minor, self.revision, self.seen)


def darknet_header(seen: int = 0) -> Header:
    return Header(*DARKNET_VERSION, seen)


_MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"BM", None),   # too short to be sure; checked with the header plausibility instead
    (b"PK\x03\x04", "a ZIP archive (a PyTorch .pt/.pth checkpoint, .npz or Keras file)"),
    (b"\x89HDF", "an HDF5 file (a Keras .h5 model?)"),
    (b"\x93NUMPY", "a numpy .npy file"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"7z\xbc\xaf", "a 7-zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"%PDF", "a PDF document"),
    (b"<", "an HTML/XML page (a download that returned a web page?)"),
)


def sniff(head: bytes) -> str | None:
    """What a file that is not a darknet weights file looks like, from its first bytes (None: no idea)."""
    for magic, what in _MAGIC:
        if what and head.startswith(magic):
            return what
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return "a Python pickle (an old PyTorch checkpoint?)"
    sample = head[:64]
    if sample and all(32 <= b < 127 or b in (9, 10, 13) for b in sample):
        return "a text file" + (" (a cfg?)" if sample.lstrip().startswith(b"[") else "")
    return None


def plausible(h: Header) -> bool:
    """Darknet itself accepts any header; real files have small non-negative version numbers (the
    transposed-weights flag of §7.1 is a major or minor > 1000, so allow up to 100000)."""
    return all(0 <= v <= 100000 for v in (h.major, h.minor, h.revision))


def read_header(path: str) -> tuple[Header, int]:
    """The header of a weights file and the file's size; foreign or too-short files raise."""
    head, size = read_head(path, 64, "weights file")
    what = sniff(head)
    if what is not None:
        raise WeightsFormatError(f"not a darknet weights file: byte 0 starts {what}", path=path)
    if size < 12:
        raise WeightsFormatError(f"the file is {size} bytes: it ends inside the header at byte {size} "
                                 "(a darknet header is 16 or 20 bytes)", path=path)
    major, minor, revision = struct.unpack_from("<iii", head)
    probe = Header(major, minor, revision)
    if not plausible(probe):
        raise WeightsFormatError(f"not a darknet weights file: bytes 0-11 read as version {major}.{minor}."
                                 f"{revision}, not a darknet header", path=path)
    if size < probe.size:
        raise WeightsFormatError(f"the file is {size} bytes: it ends inside the header at byte {size} "
                                 f"(version {probe.version} has a {probe.size}-byte header)", path=path)
    seen = struct.unpack_from("<Q" if probe.seen_bytes == 8 else "<I", head, 12)[0]
    return Header(major, minor, revision, seen), size


# ------------------------------------------------------------------------------------------------
# layout

class Array(NamedTuple):
    """One array of a layer's record, where it sits in the file."""

    layer: int
    name: str          # biases, scales, rolling_mean, rolling_variance, weights
    sub: str           # sub-layer of a recurrent layer ("" otherwise)
    count: int         # float32 values
    offset: int        # byte offset in the file

    @property
    def end(self) -> int:
        return self.offset + 4 * self.count

    @property
    def label(self) -> str:
        return f"{self.sub}.{self.name}" if self.sub else self.name

    @property
    def key(self) -> tuple[int, str, str]:
        return (self.layer, self.sub, self.name)


@dataclass(frozen=True)
class Span:
    """A layer's bytes in the file: its arrays, start and end offsets; ``skipped`` says why a layer
    with records has none here ("dontload")."""

    layer: object                # cfggen.ir.model.Layer
    arrays: tuple[Array, ...]
    start: int
    end: int
    skipped: str = ""
    dropped: tuple[str, ...] = ()    # arrays absent on load ("dontloadscales")

    @property
    def index(self) -> int:
        return self.layer.index

    @property
    def floats(self) -> int:
        return (self.end - self.start) // 4

    def describe(self) -> str:
        s = self.layer.section
        return f"layer {self.index} {s.header} (line {s.line})"


def layer_flag(layer, key: str) -> int:
    """A common key (``dontload``, ``dontloadscales``) as darknet reads it for every layer section."""
    from cfggen.ir.cnum import atoi
    value = layer.conf.get(key)
    if value is not None:
        return int(value)
    opt = layer.section.get(key)
    return atoi(opt.value) if opt is not None and opt.value is not None else 0


def layout(network, header_size: int = 20, mode: str = "load", upto: int | None = None) -> tuple[Span, ...]:
    """The arrays of layers 0..upto-1 (all by default) in file order, with byte offsets.

    ``mode="save"``: what darknet's saver writes (every record). ``mode="load"``: what its loader reads
    with this cfg: nothing for a ``dontload=1`` layer, no BN arrays for a conv/connected layer with
    ``dontloadscales=1`` (reference §7.2-7.3).
    """
    if mode not in ("load", "save"):
        raise ValueError(mode)
    spans: list[Span] = []
    offset = header_size
    for layer in network.layers[:upto]:
        if not layer.records:
            continue
        start = offset
        if mode == "load" and layer_flag(layer, "dontload"):
            spans.append(Span(layer, (), start, start, skipped="dontload"))
            continue
        drop_bn = mode == "load" and layer.type in ("convolutional", "connected") \
            and layer_flag(layer, "dontloadscales")
        arrays, dropped = [], []
        for rec in layer.records:
            if drop_bn and not rec.sub and rec.name in BN_ARRAYS:
                dropped.append(rec.name)
                continue
            arrays.append(Array(layer.index, rec.name, rec.sub, rec.count, offset))
            offset += 4 * rec.count
        spans.append(Span(layer, tuple(arrays), start, offset, dropped=tuple(dropped)))
    return tuple(spans)


def expected_size(network, header_size: int = 20, mode: str = "load", upto: int | None = None) -> int:
    spans = layout(network, header_size, mode, upto)
    return spans[-1].end if spans else header_size


def load_network(cfg_path: str):
    """Build the cfg at its own size (weights layouts depend on it: [connected], [local]).

    Returns (network, problems): ``problems`` are darknet's own stops while building (a layer where it
    exits or aborts), as one-line strings; the layout is still computed from what is known.
    """
    from cfggen.cfg.parse import read_file
    from cfggen.ir.build import infer, plan

    doc = read_file(cfg_path)
    p = plan(doc)
    if not p.usable or doc.net is None:
        reason = "; ".join(d.message for d in p.findings) or "no [net] section"
        raise InputError(f"darknet cannot build this network: {reason}", path=cfg_path)
    network, findings = infer(p)
    problems = [f"line {d.line}: {d.message} [{d.code}]" for d in findings]
    return network, problems


# ------------------------------------------------------------------------------------------------
# reading

class WeightsFile:
    """A weights file memory-mapped against a network's load layout: ``array(a)`` is a view, no copy."""

    def __init__(self, path: str, network, header: Header, size: int, spans: tuple[Span, ...]):
        self.path, self.network, self.header, self.size, self.spans = path, network, header, size, spans
        self.floats = (size - header.size) // 4
        try:
            self._map = (np.memmap(path, dtype=FLOAT, mode="r", offset=header.size, shape=(self.floats,))
                         if self.floats > 0 else np.empty(0, FLOAT))
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None
        self.arrays = {a.key: a for s in spans for a in s.arrays}

    @property
    def expected(self) -> int:
        return self.spans[-1].end if self.spans else self.header.size

    def present(self, a: Array) -> int:
        """How many of the array's floats the file holds (0 ... a.count)."""
        avail = (self.header.size + 4 * self.floats - a.offset) // 4
        return max(0, min(a.count, avail))

    def array(self, a: Array) -> np.ndarray:
        """The array's floats as they are in the file (a read-only view; short if the file is)."""
        first = (a.offset - self.header.size) // 4
        return self._map[first:first + self.present(a)]

    def get(self, layer: int, name: str, sub: str = "") -> np.ndarray:
        return self.array(self.arrays[(layer, sub, name)])

    def tensor(self, layer: int, name: str, sub: str = "") -> np.ndarray:
        """An array in darknet's in-memory order, shaped like PyTorch's: conv weights (n, c/g, k, k)
        (``flipped=1`` files transposed back), connected weights (out, in) (a header with the transpose
        flag transposed back); everything else flat. A copy only where a transpose is needed."""
        a = self.arrays[(layer, sub, name)]
        data = self.array(a)
        if name != "weights" or len(data) != a.count:
            return data
        lay = self.network.layers[layer]
        bias = self.arrays.get((layer, sub, "biases"))
        if bias is None:
            return data
        n = bias.count
        if lay.type == "convolutional" and not sub:
            k = lay.conf["size"]
            per = a.count // n
            if lay.conf.get("flipped"):
                data = data.reshape(per, n).T
            return data.reshape(n, per // (k * k), k, k)
        if lay.type in ("connected", "rnn", "gru", "lstm"):
            if self.header.transpose:
                return data.reshape(a.count // n, n).T
            return data.reshape(n, a.count // n)
        return data

    def close(self) -> None:
        mm = getattr(self._map, "_mmap", None)
        self._map = np.empty(0, FLOAT)
        if mm is not None:
            mm.close()

    def __enter__(self) -> "WeightsFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read(path: str, network, mode: str = "load") -> WeightsFile:
    """Open a weights file for a network (memory-mapped; nothing is read until used)."""
    header, size = read_header(path)
    return WeightsFile(path, network, header, size, layout(network, header.size, mode))


# ------------------------------------------------------------------------------------------------
# check

@dataclass
class LayerCheck:
    span: Span
    status: str                  # ok, partial, missing, skipped
    present: int                 # floats of this layer in the file
    nan: int = 0
    inf: int = 0
    negative_variance: int = 0
    where: str = ""              # for a partial layer: the array the file ends in

    @property
    def nonfinite(self) -> int:
        return self.nan + self.inf


@dataclass
class CheckReport:
    path: str
    header: Header
    size: int
    expected: int
    rows: list[LayerCheck]
    verdict: str                 # fits, backbone (layers 0..N-1 of a .conv.N file), short, long
    message: str
    warnings: list[str] = field(default_factory=list)
    hint: str | None = None

    @property
    def fits(self) -> bool:
        return self.verdict in ("fits", "backbone")

    @property
    def first_mismatch(self) -> LayerCheck | None:
        return next((r for r in self.rows if r.status in ("partial", "missing")), None)


def _count_nonfinite(x: np.ndarray) -> tuple[int, int]:
    # a float32 sum is finite when every value is (and almost always when not): only then count
    if x.size == 0 or np.isfinite(x.sum(dtype=np.float32)):
        return 0, 0
    nan = int(np.count_nonzero(np.isnan(x)))
    return nan, int(np.count_nonzero(~np.isfinite(x))) - nan


def check(path: str, network, problems: Sequence[str] = (), upto: int | None = None) -> CheckReport:
    """Compare a weights file with what darknet's loader reads for this cfg: sizes, where they part,
    and per-layer sanity (NaN/Inf values, negative BN variances: a sign the layout is shifted).

    A file that ends exactly after layer N-1 is a pretrained backbone (``darknet partial``, named
    ``*.conv.N`` by convention) when ``upto`` is N or, without ``upto``, its name says ``.conv.N``:
    verdict "backbone", which fits."""
    wf = read(path, network, "load")
    try:
        return _check(wf, problems, upto)
    finally:
        wf.close()


_CONV_N = None


def _named_layers(path: str) -> int | None:
    """N of a ``name.conv.N`` file (darknet's convention for partial weights), else None."""
    global _CONV_N
    if _CONV_N is None:
        import re
        _CONV_N = re.compile(r"\.conv\.(\d{1,6})$")
    m = _CONV_N.search(os.path.basename(path))
    return int(m.group(1)) if m else None


def _is_backbone(rows, first, size: int, n: int | None) -> bool:
    """The file holds exactly layers 0..n-1: it ends where ``first`` (the first row not in it) starts,
    that is a layer >= n, and no layer >= n with weights is in it (layers between n and ``first`` are
    weight-less: route, maxpool, ...)."""
    if n is None or n <= 0 or first.status != "missing" or size != first.span.start or first.span.index < n:
        return False
    return not any(r.span.index >= n and r.status == "ok" and r.span.floats for r in rows)


def _check(wf: WeightsFile, problems: Sequence[str], upto: int | None = None) -> CheckReport:
    size, header = wf.size, wf.header
    rows: list[LayerCheck] = []
    for span in wf.spans:
        if span.skipped:
            rows.append(LayerCheck(span, "skipped", 0))
            continue
        present = sum(wf.present(a) for a in span.arrays)
        status = "ok" if size >= span.end else ("missing" if size <= span.start else "partial")
        row = LayerCheck(span, status, present)
        for a in span.arrays:
            x = wf.array(a)
            if status == "partial" and len(x) < a.count and not row.where:
                row.where = (f"{a.label} (float {len(x):,} of {a.count:,})" if len(x) else
                             f"just before its {a.label}")
            if not len(x):
                continue
            nan, inf = _count_nonfinite(x)
            row.nan += nan
            row.inf += inf
            if a.name == "rolling_variance":
                row.negative_variance += int(np.count_nonzero(x < 0))
        rows.append(row)
    expected = wf.expected
    warnings = [f"cfg {p}" for p in problems]
    for r in rows:
        if r.nonfinite:
            warnings.append(f"{r.span.describe()}: {r.nan:,} NaN and {r.inf:,} Inf values")
        if r.negative_variance:
            warnings.append(f"{r.span.describe()}: {r.negative_variance:,} negative BN rolling_variance values "
                            "(impossible in a trained file: the layout is probably shifted from here)")
    for r in rows:
        if r.span.skipped:
            warnings.append(f"{r.span.describe()}: dontload=1, darknet reads no bytes for it")
        elif r.span.dropped:
            warnings.append(f"{r.span.describe()}: dontloadscales=1, darknet reads no BN arrays for it "
                            "(a file darknet saved has them: every later array would be misread)")
    if header.transpose:
        warnings.append(f"header version {header.version}: [connected] weights are stored transposed")
    hint = None
    if size == expected:
        verdict = "fits"
        message = f"fits: {size:,} bytes = header {header.size} + {(size - header.size) // 4:,} floats"
    elif size < expected:
        first = next(r for r in rows if r.status in ("partial", "missing"))
        # the N of a backbone file (layers 0..N-1): asked for with --layers, or named *.conv.N
        n = upto if upto is not None else _named_layers(wf.path)
        if _is_backbone(rows, first, size, n):
            verdict = "backbone"
            said = f"--layers {n}" if upto is not None else f"its name says .conv.{n}"
            message = (f"fits layers 0-{n - 1}: {size:,} bytes = header {header.size} + "
                       f"{(size - header.size) // 4:,} floats, a pretrained backbone as 'darknet partial' writes it "
                       f"({said}). Darknet's training loads these layers and starts layer {n} onwards from random "
                       "initialisation, as intended")
        else:
            verdict = "short"
            missing = expected - size
            if first.status == "partial":
                where = (f"it ends inside {first.span.describe()}, in its {first.where}, at byte {size:,}. Darknet "
                         f"loads the layers before it and part of layer {first.span.index}")
            elif size == first.span.start:
                where = (f"it ends exactly where {first.span.describe()} starts: it holds layers "
                         f"0-{first.span.index - 1}, like a backbone made by 'darknet partial' with "
                         f"N={first.span.index}. Darknet loads those")
            else:
                where = (f"it ends at byte {size:,}, inside the header or before {first.span.describe()}. Darknet "
                         "loads nothing")
            message = (f"too short: {size:,} bytes, the cfg needs {expected:,} ({missing:,} bytes missing); "
                       f"{where}, and silently leaves the rest randomly initialised")
            if n is not None:
                message += (f". Expected a backbone of layers 0-{n - 1} ("
                            + ("--layers" if upto is not None else f"the name says .conv.{n}") + "): it is not one")
            hint = classes_hint(wf.network, size - expected)
    else:
        verdict = "long"
        tail = wf.spans[-1].describe() if wf.spans else "the header"
        message = (f"too long: {size - expected:,} extra bytes after the last layer ({tail} ends at byte "
                   f"{expected:,}; the file has {size:,}). Darknet ignores them silently: the file was "
                   "probably written for another cfg")
        hint = classes_hint(wf.network, size - expected)
    if (size - header.size) % 4:
        warnings.append(f"the size after the header is not a multiple of 4 bytes ({(size - header.size) % 4} "
                        "stray bytes at the end): not a plain float32 file")
    return CheckReport(wf.path, header, size, expected, rows, verdict, message, warnings, hint)


def classes_hint(network, delta_bytes: int) -> str | None:
    """When every head has the same classes and the size gap is a whole number of 'one more class'
    steps, say which class count the file was written for."""
    from cfggen.ir.layers import yolo_anchor_count

    heads = [layer for layer in network.layers if layer.type in ("yolo", "gaussian_yolo", "region", "detection")]
    if not heads or delta_bytes % 4 or len({h.conf["classes"] for h in heads}) != 1:
        return None
    slope = 0
    for h in heads:
        prev = network.layers[h.index - 1] if h.index else None
        if prev is None or not prev.records:
            return None
        if h.type == "detection":
            if prev.type != "connected":
                return None
            per_class, outs = h.conf["side"] ** 2, prev.conf["output"]
        else:
            if prev.type != "convolutional":
                return None
            per_class = h.conf["num"] if h.type == "region" else yolo_anchor_count(h.conf)
            outs = prev.conf["filters"]
        if outs <= 0:
            return None
        slope += per_class * (prev.params.file_floats // outs)
    delta = delta_bytes // 4
    if slope <= 0 or delta % slope:
        return None
    classes = heads[0].conf["classes"] + delta // slope
    if classes < 1:
        return None
    return (f"the file fits this cfg with classes={classes}: it was probably trained for {classes} classes "
            f"(use a cfg with classes={classes}, e.g. cfggen adapt --classes {classes}, or extract the "
            "layers before the heads and train those anew)")


# ------------------------------------------------------------------------------------------------
# writing

def atomic_output(path: str):
    """A binary file handle on a temp file beside ``path``; replaces ``path`` only on success."""
    from cfggen.fileio import atomic_file
    return atomic_file(path)


def _check_output(out_path: str, *inputs: str) -> None:
    for p in inputs:
        if p and os.path.exists(out_path) and os.path.exists(p) and os.path.samefile(out_path, p):
            raise UsageError(f"the output {out_path} is the input file; write to another path")


_CACHE_STEP = 1 << 16                # init: floats generated per step (256 KiB: stays in L2)

# default values of arrays that are not in a source file (init, dontload/dontloadscales gaps)
_CONSTANT = {"biases": 0.0, "scales": 1.0, "rolling_mean": 0.0, "rolling_variance": 1.0}


class _Piece(NamedTuple):
    array: Array
    ordinal: int       # the array's position among all arrays (seeds its random numbers)
    part: int          # SEED_PART-sized part of the array
    start: int         # first float of the array in this piece
    count: int


def _fill(out: np.ndarray, piece: _Piece, layer, fan_in: int, seed: int) -> None:
    """Initial values for a piece of an array, the same whatever the blocking: a piece's random numbers
    come from its own generator seeded with (seed, array ordinal, part)."""
    name = piece.array.name
    if name in _CONSTANT:
        out[:] = _CONSTANT[name]
        return
    if layer.type == "shortcut":            # darknet starts weighted shortcuts at 1
        out[:] = 1.0
        return
    bits = np.random.SFC64(np.random.SeedSequence(seed, spawn_key=(piece.ordinal, piece.part)))
    if layer.type == "implicit":             # darknet: mean + std * N(0, 1)
        np.random.Generator(bits).standard_normal(out=out, dtype=np.float32)
        out *= np.float32(layer.conf.get("std", 0.2))
        out += np.float32(layer.conf.get("mean", 0.0))
        return
    # He (Kaiming) uniform: U(-b, b) with b = sqrt(6 / fan_in), i.e. variance 2 / fan_in. The uniform
    # values are quantised to 65,536 levels, 16 random bits each (plenty for an initialisation, and
    # cheap: four values per 64-bit draw): level k in [-32768, 32767] is (k + 0.5) * b / 32768.
    # Done in L2-sized steps (a multiple of 4 values, so the stream is the same as in one go): the
    # three passes then run on cached data instead of streaming 16 MiB through memory three times.
    bound = math.sqrt(6.0 / max(1, fan_in))
    scale, offset = np.float32(bound / 32768), np.float32(bound / 65536)
    for i in range(0, len(out), _CACHE_STEP):
        part = out[i:i + _CACHE_STEP]
        np.copyto(part, bits.random_raw((len(part) + 3) // 4).view(np.int16)[:len(part)], casting="unsafe")
        part *= scale
        part += offset


def _fan_in(layer, a: Array) -> int:
    bias = next((r.count for r in layer.records if r.sub == a.sub and r.name == "biases"), 0)
    return a.count // bias if bias else a.count


def _pieces(arrays: Sequence[Array]) -> Iterator[_Piece]:
    for ordinal, a in enumerate(arrays):
        for part, start in enumerate(range(0, a.count, SEED_PART)):
            yield _Piece(a, ordinal, part, start, min(SEED_PART, a.count - start))


def _blocks(pieces: Iterator[_Piece]) -> Iterator[list[_Piece]]:
    block, n = [], 0
    for p in pieces:
        block.append(p)
        n += p.count
        if n >= CHUNK:
            yield block
            block, n = [], 0
    if block:
        yield block


def _ordered(fn: Callable, items: Iterator, workers: int = 2, window: int = 4) -> Iterator:
    """``map(fn, items)`` on a small thread pool, in order, with at most ``window`` results pending
    (numpy's random fills, arithmetic and file writes release the GIL: two cores work at once)."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending = []
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= window:
                yield pending.pop(0).result()
        for f in pending:
            yield f.result()


@dataclass(frozen=True)
class WriteResult:
    path: str
    bytes: int
    floats: int
    layers: int
    seed: int | None = None
    notes: tuple[str, ...] = ()


def init(network, out_path: str, seed: int | None = None, header: Header | None = None,
         workers: int | None = None) -> WriteResult:
    """A fresh weights file for ``network`` (darknet's save layout): conv/connected/local weights He
    initialised, biases 0, BN scales 1, rolling means 0, rolling variances 1; header 0.2.5, seen 0."""
    if seed is None:
        seed = int.from_bytes(os.urandom(4), "little")
    if workers is None:      # one thread generates while this one writes; none on a single core
        workers = 1 if (os.cpu_count() or 1) > 1 else 0
    header = header or darknet_header()
    spans = layout(network, header.size, "save")
    arrays = [a for s in spans for a in s.arrays]
    layers = network.layers
    fans = {a.key: _fan_in(layers[a.layer], a) for a in arrays if a.name == "weights"}

    # blocks hold at most CHUNK + SEED_PART floats; reusing a few buffers spares the page faults of a
    # fresh allocation per block
    window = 3
    pool: queue.SimpleQueue = queue.SimpleQueue()
    for _ in range(window + 1):
        pool.put(np.empty(CHUNK + SEED_PART, FLOAT))

    def make(block: list[_Piece]) -> np.ndarray:
        buf = pool.get()[:sum(p.count for p in block)]
        at = 0
        for p in block:
            _fill(buf[at:at + p.count], p, layers[p.array.layer], fans.get(p.array.key, 1), seed)
            at += p.count
        return buf

    with atomic_output(out_path) as fh:
        fh.write(header.pack())
        blocks = _blocks(_pieces(arrays))
        for buf in (_ordered(make, blocks, workers, window) if workers > 0 else map(make, blocks)):
            fh.write(memoryview(buf))
            pool.put(buf.base if buf.base is not None else buf)
    total = sum(a.count for a in arrays)
    return WriteResult(out_path, header.size + 4 * total, total, len(spans), seed)


def write(out_path: str, wf: WeightsFile, header: Header | None = None, upto: int | None = None,
          fill_seed: int = 0) -> WriteResult:
    """Write ``wf``'s arrays in darknet's save layout (layers 0..upto-1): what ``darknet partial`` and
    the training loop write. Arrays the source lacks (a ``dontload`` layer, ``dontloadscales`` BN
    arrays) get initial values; a transposed source ([connected] input-major) is written untransposed."""
    header = header or wf.header
    spans = layout(wf.network, header.size, "save", upto)
    layers = wf.network.layers
    short = [s for s in wf.spans if s.end > wf.size and (upto is None or s.index < upto)]
    if short:
        s = short[0]
        raise WeightsFormatError(f"the file is {wf.size:,} bytes: it ends at byte {wf.size:,}, inside {s.describe()}, "
                                 f"whose data is bytes {s.start:,}-{s.end:,}", path=wf.path)
    notes: list[str] = []
    filled: dict[int, list[str]] = {}
    with atomic_output(out_path) as fh:
        fh.write(header.pack())
        run_start = run_end = None          # a run of source bytes copied verbatim
        for ordinal, a in enumerate(x for s in spans for x in s.arrays):
            src = wf.arrays.get(a.key)
            transform = src is not None and wf.header.transpose and a.name == "weights" \
                and layers[a.layer].type in ("connected", "rnn", "gru", "lstm")
            if src is not None and not transform and run_end == src.offset:
                run_end = src.end
                continue
            if run_start is not None:
                _copy(wf, fh, run_start, run_end)
                run_start = run_end = None
            if src is None:
                filled.setdefault(a.layer, []).append(a.label)
                buf = np.empty(a.count, FLOAT)
                for p in _pieces([a]):
                    _fill(buf[p.start:p.start + p.count], p._replace(ordinal=ordinal), layers[a.layer],
                          _fan_in(layers[a.layer], a), fill_seed)
                fh.write(memoryview(buf))
            elif transform:
                fh.write(memoryview(np.ascontiguousarray(wf.tensor(a.layer, a.name, a.sub))))
            else:
                run_start, run_end = src.offset, src.end
        if run_start is not None:
            _copy(wf, fh, run_start, run_end)
    for index, labels in filled.items():
        notes.append(f"layer {index}: {', '.join(labels)} not in the source file (dontload/dontloadscales): "
                     "written with initial values")
    total = sum(a.count for s in spans for a in s.arrays)
    return WriteResult(out_path, header.size + 4 * total, total, len(spans), None, tuple(notes))


def write_arrays(out_path: str, network, fetch: Callable[[Array], np.ndarray], header: Header | None = None,
                 upto: int | None = None) -> WriteResult:
    """Write ``network``'s save layout (layers 0..upto-1) with each array's floats from ``fetch(array)``:
    how converters (``cfggen import``) produce a file. Every array is checked for its float count
    before it is written; the output replaces ``out_path`` only when complete."""
    header = header or darknet_header()
    spans = layout(network, header.size, "save", upto)
    with atomic_output(out_path) as fh:
        fh.write(header.pack())
        for a in (x for s in spans for x in s.arrays):
            data = np.ascontiguousarray(fetch(a), dtype=FLOAT)
            if data.size != a.count:
                raise ValueError(f"layer {a.layer} {a.label}: {data.size} floats for {a.count}")
            fh.write(memoryview(data.reshape(-1)))
    total = sum(a.count for s in spans for a in s.arrays)
    return WriteResult(out_path, header.size + 4 * total, total, len(spans))


def _copy(wf: WeightsFile, fh, start: int, end: int) -> None:
    """Copy source bytes [start, end) to ``fh`` in CHUNK-sized reads (no second copy of the file)."""
    with open(wf.path, "rb") as src:
        src.seek(start)
        left = end - start
        fh.flush()
        try:     # in-kernel copy where the platform has it
            while left > 0:
                sent = os.copy_file_range(src.fileno(), fh.fileno(), left)
                if sent <= 0:
                    break
                left -= sent
            fh.seek(0, os.SEEK_END)
        except (AttributeError, OSError):
            src.seek(end - left)
            fh.seek(0, os.SEEK_END)
        while left > 0:
            data = src.read(min(left, 4 * CHUNK))
            if not data:
                raise WeightsFormatError(f"the file ended at byte {end - left:,} while copying", path=wf.path)
            fh.write(data)
            left -= len(data)


def extract(src_path: str, network, layers: int, out_path: str, keep_seen: bool = False) -> WriteResult:
    """``darknet partial cfg weights out N``: the header and the records of layers 0..N-1 (how
    ``*.conv.N`` backbone files are made). Like darknet, the output has a 0.2.5 header and seen 0
    (``keep_seen`` keeps the source's)."""
    n_layers = len(network.layers)
    if not 0 < layers <= n_layers:
        raise UsageError(f"--layers {layers}: the cfg has {n_layers} layers (give 1..{n_layers})")
    _check_output(out_path, src_path)
    wf = read(src_path, network, "load")
    try:
        header = darknet_header(wf.header.seen if keep_seen else 0)
        return write(out_path, wf, header, upto=layers)
    finally:
        wf.close()


def save(out_path: str, wf: WeightsFile) -> WriteResult:
    """Write a read file back (same header): bytes identical for a file that fits its cfg."""
    _check_output(out_path, wf.path)
    return write(out_path, wf)


# ------------------------------------------------------------------------------------------------
# info

class LayerStats(NamedTuple):
    span: Span
    present: int
    mean: float
    std: float
    absmax: float


def layer_stats(wf: WeightsFile) -> list[LayerStats]:
    """Mean, standard deviation and largest magnitude of each layer's weight arrays (what is present)."""
    out = []
    for span in wf.spans:
        parts = [wf.array(a) for a in span.arrays if a.name == "weights"]
        parts = [p for p in parts if len(p)]
        present = sum(wf.present(a) for a in span.arrays)
        if not parts:
            out.append(LayerStats(span, present, math.nan, math.nan, math.nan))
            continue
        n = sum(len(p) for p in parts)
        s = sum(float(p.sum(dtype=np.float64)) for p in parts)
        s2 = sum(float(np.dot(p, p)) for p in parts)
        mean = s / n
        var = max(0.0, s2 / n - mean * mean)
        absmax = max(float(np.max(np.abs(p))) for p in parts)
        out.append(LayerStats(span, present, mean, math.sqrt(var), absmax))
    return out
