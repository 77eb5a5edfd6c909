"""``cfggen validate --data DATA [CFG]``: everything darknet reads for training, with darknet's verdict.

One pass over the files: the ``.data`` file, its lists (``train=``, ``valid=``), names file and
backup folder, then every image entry of the lists (does it exist; which label file darknet maps it
to) and every label file (read as ``read_boxes`` reads it; each box judged as
``fill_truth_detection`` judges it). The per-image work runs in ``jobs`` forked processes; the rest
is cheap. Every finding is one fact: the same thing in many places is one finding at the first
place, whose ``related`` lists the others (as ``(line, note, path)``: they are in other files).

Facts that need a cfg (the class count, the network size, the anchor count) come from the first cfg
given; without one, the names file's count stands for the classes and the one-pixel check is off.
"""
from __future__ import annotations

import os
import re
import stat
import sys
from collections import Counter, defaultdict

from cfggen.dataset import boxes as B
from cfggen.dataset.files import (DataFile, label_path, label_path_message, read_data, read_label_set, read_list,
                                  read_names)
from cfggen.errors import CfggenError
from cfggen.findings import Diagnostic
from cfggen.source import printable

RELATED_MAX = 1000     # related places kept per finding (GitHub code scanning reads 1,000; the message counts all)
SHOWN = 3              # places named in a message
_CHUNK = 2048          # image entries per unit of work
_SHELL = re.compile(r"[;&|`$()<>]")
_BUFFER = 256          # darknet's `char buff[256]` for the bad_label.list command
_CLIP_SLACK = 1e-3     # a box over the edge by less than this (rounding in converters) is not reported


def show(path: str) -> str:
    """A path as a message shows it: undecodable bytes and control characters escaped, CR as \\r."""
    return printable(path).replace("\r", "\\r")


class Setup:
    """What the checks know about the network (from a cfg, or not); inherited by forked workers."""

    __slots__ = ("classes", "classes_from", "net", "clusters", "clusters_from", "cfg_base", "cfg_path", "max_boxes",
                 "max_from")

    def __init__(self, classes=None, classes_from="", net=None, clusters=9, clusters_from="the how-to's 9",
                 cfg_base=None, cfg_path=None, max_boxes=200, max_from="darknet's default max=200"):
        self.classes, self.classes_from = classes, classes_from
        self.max_boxes, self.max_from = max_boxes, max_from
        self.net = net                      # (width, height) or None
        self.clusters, self.clusters_from = clusters, clusters_from
        self.cfg_base, self.cfg_path = cfg_base, cfg_path


def setup_from_cfg(path: str, analysis=None) -> Setup | None:
    """The facts of a cfg the dataset checks use; None when darknet cannot build it. ``analysis``: the
    cfg's ``Analysis`` at its own size when the caller has it (else the cfg is read and analysed)."""
    from cfggen.lint.training import detection_heads, training_head
    a = analysis
    if a is None:
        from cfggen.cfg.parse import read_file
        from cfggen.lint.engine import analyze
        try:
            a = analyze(read_file(path), "native", frozenset())
        except CfggenError:
            return None
    if a.network is None:
        return None
    head = training_head(a.network)
    base = os.path.basename(path.replace("\\", "/")).split(".", 1)[0]   # darknet's basecfg
    s = Setup(net=(a.plan.net["width"], a.plan.net["height"]), cfg_base=base, cfg_path=path)
    if head is not None:
        s.classes = head.conf["classes"]
        s.classes_from = f"classes={s.classes} of the last [{head.type}] in {path} (line {head.section.line})"
        s.max_boxes = head.conf.get("max", 200)
        s.max_from = f"max={s.max_boxes} of the last [{head.type}] in {path}"
        nums = [h.conf.get("num") for h in detection_heads(a.network) if h.conf.get("num")]
        if nums:
            s.clusters, s.clusters_from = max(nums), f"num={max(nums)} in {path}"
    return s


# ------------------------------------------------------------------------------------------------
# the per-image work (workers)

class Entry:
    """One image path's outcome, when it has something to say: compact, to travel back from a worker."""

    __slots__ = ("image", "label", "status", "boxes", "empty", "issues", "bad")

    def __init__(self, image, label, status, boxes=0, empty=False, issues=(), bad=()):
        self.image = image      # None: the image opens; else why not
        self.label = label      # the label path darknet opens
        self.status = status    # ok / missing / unreadable / unusable (a label path darknet cannot infer)
        self.boxes = boxes
        self.empty = empty
        self.issues = issues    # LineIssue tuple
        self.bad = bad          # (verdict, line, col, end_col, id, x, y, w, h) for each box darknet does not keep as is

    def __reduce__(self):
        return Entry, (self.image, self.label, self.status, self.boxes, self.empty, self.issues, self.bad)


CLEAN = Entry(None, "", "ok")   # what every image with an openable, readable, unremarkable label file shares


def _image_problem(path: str) -> str | None:
    try:
        st = os.stat(path)
    except OSError as exc:
        return exc.strerror or "cannot open"
    if stat.S_ISDIR(st.st_mode):
        return "is a directory"
    return None   # (permissions are not tested: one more system call per image, for a rare case)


def work(paths: list[str], setup: Setup) -> tuple[list, dict]:
    """The chunk's outcomes: per path, its box count and, when it has anything to report, its Entry
    (None otherwise); and the chunk's totals (``boxes``, ``per_class``)."""
    import numpy as np
    from cfggen.dataset.files import read_label_batch
    notes: dict[int, Entry] = {}
    to_read: list[int] = []
    labels: list[str] = []
    for k, p in enumerate(paths):
        problem = _image_problem(p)
        label = label_path(p)
        if label_path_message(label) is not None:
            notes[k] = Entry(problem, label, "unusable")
        else:
            if problem is not None:
                notes[k] = Entry(problem, label, "ok")
            to_read.append(k)
            labels.append(label)
    batch = read_label_batch(labels)
    offsets = batch.offsets
    boxes = [0] * len(paths)
    counts = np.diff(offsets)
    for j, k in enumerate(to_read):
        boxes[k] = int(counts[j])
        st, data = batch.status[j], batch.data[j]
        issues = batch.slow[j][1] if j in batch.slow else ()
        if st != "ok" or issues or not data.strip():
            e = notes.get(k) or Entry(None, labels[j], st)
            e.status, e.boxes, e.issues = st, boxes[k], issues
            e.empty = st == "ok" and not data.strip()
            notes[k] = e
    ids, xywh = batch.ids, batch.xywh
    per_class: dict[int, int] = {}
    if len(ids):
        net_w, net_h = setup.net if setup.net else (None, None)
        verdict = B.verdicts(ids, xywh, setup.classes, net_w, net_h)
        clipped = verdict == B.CLIPPED
        if clipped.any():   # over an edge by rounding only (a converter's last digit): not worth a word
            b = xywh[clipped].astype(np.float64)
            x, y, w, h = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
            over = np.maximum.reduce([-(x - w / 2), x + w / 2 - 1, -(y - h / 2), y + h / 2 - 1])
            idx = np.nonzero(clipped)[0]
            verdict[idx[over <= _CLIP_SLACK]] = B.KEPT
        values, times = np.unique(ids, return_counts=True)   # (not bincount: an id of 2**31-1 is 8 GB of counts)
        per_class = dict(zip(values.tolist(), times.tolist()))
        bad = np.nonzero(verdict)[0]
        if len(bad):
            owner = np.searchsorted(offsets, bad, side="right") - 1
            rows: dict[int, list] = {}
            files = {}
            for i, j in zip(bad.tolist(), owner.tolist()):
                f = files.get(j)
                if f is None:
                    f = files[j] = batch.file(j)
                line = int(f.lines[i - offsets[j]])
                text = f.line_text(line)
                col = len(text) - len(text.lstrip(" \t")) + 1
                rows.setdefault(j, []).append((int(verdict[i]), line, col, len(text.rstrip()) + 1, int(ids[i]),
                                               *(float(c) for c in xywh[i])))
            for j, r in rows.items():
                k = to_read[j]
                e = notes.get(k) or Entry(None, labels[j], "ok", boxes[k])
                e.bad = tuple(r)
                notes[k] = e
    return [boxes, notes], {"boxes": int(len(ids)), "per_class": per_class}


def run_work(paths: list[str], setup: Setup, jobs: int | None, progress=None) -> tuple[list, dict]:
    """``work`` over every path, in ``jobs`` forked processes when that pays (same result for every N).
    Returns per path its Entry (``CLEAN`` when there is nothing to say) and the box count, and the totals."""
    chunks = [paths[i:i + _CHUNK] for i in range(0, len(paths), _CHUNK)]
    if jobs is None:
        from cfggen.cores import usable_cores
        jobs = usable_cores() if len(chunks) > 1 else 1
    jobs = max(1, min(jobs, len(chunks)))
    results: list = [None] * len(chunks)
    done = 0
    if jobs > 1 and hasattr(os, "fork"):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed
        from concurrent.futures.process import BrokenProcessPool
        try:
            with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
                futures = {pool.submit(work, c, setup): i for i, c in enumerate(chunks)}
                for fut in as_completed(futures):
                    i = futures[fut]
                    results[i] = fut.result()
                    done += len(chunks[i])
                    if progress:
                        progress(done, len(paths))
        except (BrokenProcessPool, OSError):   # a worker died, or no process to be had: the rest here
            pass
    for i, c in enumerate(chunks):
        if results[i] is None:
            results[i] = work(c, setup)
            done += len(c)
            if progress:
                progress(done, len(paths))
    entries: list[Entry] = []
    counts: list[int] = []
    totals = {"boxes": 0, "per_class": Counter()}
    for (boxes, notes), t in results:
        entries.extend(notes.get(k, CLEAN) for k in range(len(boxes)))
        counts.extend(boxes)
        totals["boxes"] += t["boxes"]
        totals["per_class"].update(t["per_class"])
    return entries, counts, totals


class Progress:
    """``reading N/M images`` on stderr, rewritten in place; only when stderr is a terminal."""

    def __init__(self, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.on = bool(getattr(self.stream, "isatty", lambda: False)())
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.on:
            return
        width = 30
        fill = width * done // max(total, 1)
        self.stream.write(f"\rchecking images and labels [{'#' * fill}{'.' * (width - fill)}] {done}/{total}")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()


# ------------------------------------------------------------------------------------------------
# findings

def _same(path: str) -> str:
    """The key under which two list entries are the same image: ``os.path.normpath``, called only for
    a path it can change (``.``/``..`` parts, doubled or trailing separators): most paths it cannot."""
    if "//" in path or "/." in path or path[:1] == "." or path[-1:] == "/" or os.sep != "/":
        return os.path.normpath(path)
    return path


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def _places(first: str, items: list[tuple[int, str, str]]) -> str:
    """' (also X, Y and N more)' for a message."""
    if not items:
        return ""
    shown = ", ".join(f"{show(p)}:{line}" for line, _, p in items[:SHOWN])
    more = len(items) - SHOWN
    return f" (also {shown}" + (f" and {more} more" if more > 0 else "") + ")"


def _finding(code: str, message: str, path: str, line: int, col: int = 1, end_col: int | None = None,
             hint: str | None = None, related=(), severity: str = "") -> Diagnostic:
    rel = tuple((ln, printable(note), p) for ln, note, p in related[:RELATED_MAX])
    return Diagnostic(code, printable(message), line=line, col=col, end_col=end_col, hint=hint, related=rel,
                      severity=severity, path=path)


class Checker:
    """The dataset checks of one ``.data`` file."""

    def __init__(self, data_path: str, setup: Setup | None = None, jobs: int | None = None, progress=None,
                 data: DataFile | None = None, names: tuple[str, list[str]] | None = None):
        self.data_path = data_path
        self.read = (data, names)     # the .data file and (path, names) when the caller has read them
        self.setup = setup or Setup()
        self.jobs = jobs
        self.progress = progress
        self.found: list[Diagnostic] = []
        self.totals: dict = {"boxes": 0, "per_class": Counter(), "images": 0}

    def add(self, *args, **kw) -> None:
        self.found.append(_finding(*args, **kw))

    # -- the .data file -------------------------------------------------------------------------
    def run(self) -> list[Diagnostic]:
        data = self.read[0] if self.read[0] is not None else read_data(self.data_path)   # unreadable: exit 2
        self.data = data
        self._data_lines(data)
        train_path, train_line = self._list_path(data, "train", "data/train.txt")
        train = self._open_list(train_path, train_line, "train")
        valid_key = data.get("valid")
        valid = None
        if valid_key is None:
            self.add("DN455", "no valid= line: with -map darknet computes the mAP (and picks _best.weights) on the "
                     f"train list {show(train_path)}", self.data_path, train_line or 1,
                     hint="add valid= with images kept out of training")
        elif valid_key == train_path or (os.path.exists(valid_key) and os.path.exists(train_path)
                                         and os.path.samefile(valid_key, train_path)):
            self.add("DN455", f"valid={show(valid_key)} is the train list: the mAP of -map (and _best.weights) is "
                     "measured on training images", self.data_path, data.line("valid"),
                     hint="use a list of images kept out of training")
        else:
            valid = self._open_list(valid_key, data.line("valid"), "valid")
        self._names(data)
        self._backup(data)
        lists = [(train_path, train, "train")] + ([(valid_key, valid, "valid")] if valid is not None else [])
        for path, entries, role in lists:
            self._list_checks(path, entries, role)
        if len(lists) == 2 and train and valid:
            self._overlap(train_path, train, valid_key, valid)
        self._images(lists)
        return self.found

    def _data_lines(self, data: DataFile) -> None:
        for line, text in data.errors:
            self.add("DN441", f"darknet prints \"{text}\" and drops the line (a key with an empty value)",
                     self.data_path, line, hint="give the value, or delete the line")
        for later, first in data.duplicates():
            self.add("DN441", f"{later.key}= repeated: darknet uses the first one (line {first.line}, "
                     f"{later.key}={show(first.value or '')}) and ignores this one", self.data_path, later.line,
                     related=((first.line, f"the {later.key}= darknet uses", self.data_path),),
                     hint="keep one line per key")
        for opt in data.entries:
            if data.first.get(opt.key) is not opt:
                continue
            if opt.value is None:
                self.add("DN441", f"'{show(opt.key)}' has no '=': darknet reads a key without a value and uses "
                         f"{opt.key}'s default", self.data_path, opt.line, hint="write key = value")
                continue
            raw_value = opt.raw.split("=", 1)[1].strip(" \t\r") if "=" in opt.raw else ""
            if "#" in opt.value[1:] and opt.value[:1] != "#":
                self.add("DN441", f"{opt.key}={show(opt.value)}: darknet has no inline comments, the comment is "
                         "part of the value", self.data_path, opt.line, hint="put comments on their own line")
            elif raw_value != opt.value and any(c in raw_value for c in " \t"):
                self.add("DN441", f"{opt.key} = {show(raw_value)}: darknet deletes every blank, so it reads "
                         f"'{show(opt.value)}'", self.data_path, opt.line,
                         hint="darknet cannot read paths with spaces: rename the file or folder")

    def _list_path(self, data: DataFile, key: str, default: str) -> tuple[str, int]:
        value = data.get(key)
        if value is None:
            return default, 0
        return value, data.line(key)

    def _open_list(self, path: str, line: int, role: str):
        where = line or 1
        if not line:
            note = f"no {role}= line: darknet uses its default {path}"
        else:
            note = f"{role}={show(path)}"
        if not os.path.exists(path):
            if role == "train":
                msg = f"{note}: no such file; darknet exits with \"Couldn't open file: {show(path)}\""
            else:
                msg = (f"{note}: no such file; with -map darknet exits before training (\" Error: There is no "
                       f"{show(path)} file for mAP calculation!\")")
            self.add("DN442", msg, self.data_path, where,
                     hint="paths are relative to the folder darknet runs in" + self._elsewhere(path))
            return None
        try:
            return read_list(path)
        except CfggenError as exc:
            if exc.line is not None:
                raise
            self.add("DN442", f"{note}: {exc.message}; darknet exits with \"Couldn't open file: {show(path)}\"",
                     self.data_path, where)
            return None

    def _elsewhere(self, path: str) -> str:
        """A hint when the path exists next to the .data file (darknet does not look there)."""
        if os.path.isabs(path):
            return ""
        near = os.path.join(os.path.dirname(os.path.abspath(self.data_path)), path)
        if os.path.exists(near):
            return f" ({show(path)} exists next to the .data file: run darknet, and cfggen, from that folder)"
        return ""

    def _names(self, data: DataFile) -> None:
        value = data.get("names")
        line = data.line("names")
        path = value if value is not None else "data/names.list"
        if not os.path.exists(path):
            where = (f"names={show(path)}" if value is not None
                     else f"no names= line: darknet uses its default {path}")
            self.add("DN442", f"{where}: no such file; train -map, map and test exit with \"Couldn't open file: "
                     f"{show(path)}\"", self.data_path, line or 1,
                     hint="paths are relative to the folder darknet runs in" + self._elsewhere(path))
            return
        try:
            given = self.read[1]
            names = given[1] if given is not None and given[0] == path else read_names(path)
        except CfggenError as exc:
            if exc.line is not None:
                raise
            self.add("DN442", f"names={show(path)}: {exc.message}", self.data_path, line or 1)
            return
        blank = [n for n, name in enumerate(names, 1) if not name.strip()]
        if blank:
            rel = [(n, "a blank name", path) for n in blank[1:]]
            self.add("DN457", f"{_plural(len(blank), 'blank line')} in the names file: darknet counts "
                     f"{'each' if len(blank) > 1 else 'it'} as a class name ({_plural(len(names), 'name')} in all)"
                     + _places(path, rel), path, blank[0], related=rel,
                     hint="delete blank lines (a final newline is fine)")
        self.names_count = len(names)
        self.names_path = path
        if self.setup.classes is None:
            self.setup.classes = len(names)
            self.setup.classes_from = f"the {len(names)} names of {path} (no cfg given)"
            declared = data.get("classes")
            if declared is not None:
                from cfggen.ir.cnum import atoi
                if atoi(declared) != len(names):
                    self.add("DN408", f"classes={declared} but {show(path)} has {_plural(len(names), 'name')}: "
                             "calc_anchors and demo read classes= from here; train -map, map and test compare the "
                             "names with the cfg's classes", self.data_path, data.line("classes"),
                             hint="make classes= the number of names")

    def _backup(self, data: DataFile) -> None:
        value = data.get("backup")
        folder = value if value is not None else "/backup/"
        ok = os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK)
        if ok:
            return
        why = "no such folder" if not os.path.isdir(folder) else "not writable"
        base = self.setup.cfg_base or "<cfg>"
        target = f"{folder}/{base}_last.weights"
        where = f"backup={show(folder)}" if value is not None else "no backup= line: darknet uses /backup/"
        self.add("DN456", f"{where}: {why}; darknet trains, then exits at its first save (iteration 100 by "
                 f"default) with \"Couldn't open file: {show(target)}\"", self.data_path,
                 data.line("backup") or 1,
                 hint=f"mkdir -p {folder}" if why == "no such folder" else "fix its permissions")

    # -- lists ----------------------------------------------------------------------------------
    def _list_checks(self, path: str, entries, role: str) -> None:
        if entries is None:
            return
        if not entries:
            if role == "train":
                self.add("DN444", f"the train list {show(path)} is empty: darknet divides by zero drawing the first "
                         "image (SIGFPE, floating point exception)", path, 1, hint="list one image path per line")
            return
        blank = [e.line for e in entries if not e.path]
        if role == "train" and len(blank) == len(entries):
            self.add("DN444", f"every line of the train list {show(path)} is blank: darknet redraws a blank entry "
                     "until it finds a path, so training hangs at the first batch", path, 1,
                     hint="list one image path per line")
            return
        if blank:
            rel = [(n, "a blank entry", path) for n in blank[1:]]
            effect = ("training redraws it with \" Very small path to the image: \"" if role == "train" else
                      "the mAP pass reads it as an image: \"Label file name is too short\"")
            self.add("DN443", f"{_plural(len(blank), 'blank line')} in the {role} list: darknet keeps "
                     f"{'them as empty entries' if len(blank) > 1 else 'it as an empty entry'} ({len(entries)} "
                     f"images counted; {effect})"
                     + _places(path, rel), path, blank[0], related=rel, hint="delete the blank lines")
        seen: dict[str, int] = {}
        dups: list[tuple[int, str, str]] = []
        for e in entries:
            if not e.path:
                continue
            key = _same(e.path)
            if key in seen:
                dups.append((e.line, f"{show(e.path)} (first at line {seen[key]})", path))
            else:
                seen[key] = e.line
        if dups:
            first = dups[0]
            self.add("DN454", f"{_plural(len(dups), 'entry', 'entries')} of the {role} list "
                     f"repeat{'s' * (len(dups) == 1)} an earlier one: "
                     + ("darknet draws each entry alike, so a repeated image is trained more often "
                        if role == "train" else "the mAP counts a repeated image more than once ")
                     + f"(line {first[0]}: {first[1]})" + _places(path, dups[1:]), path, first[0],
                     related=dups[1:], hint="list each image once (unless the oversampling is meant)")
        self._shell(path, entries, role)

    def _shell(self, path: str, entries, role: str) -> None:
        unsafe: list[tuple[int, str, str]] = []
        long: list[tuple[int, str, str]] = []
        for e in entries:
            if not e.path:
                continue
            # the label path has the image path's characters (the mapping only swaps folder names and
            # the extension, and trims blanks): test the image path, map only the long ones
            if _SHELL.search(e.path):
                bad = sorted(set(_SHELL.findall(label_path(e.path))))
                if bad:
                    unsafe.append((e.line, f"{show(e.path)} ({' '.join(bad)})", path))
                    continue
            if len(e.path) > _BUFFER - 60:
                label = label_path(e.path)
                if len(f'echo {label} "Wrong annotation: x = 0 or y = 0" >> bad_label.list'.encode(
                        "utf-8", "surrogateescape")) >= _BUFFER:
                    long.append((e.line, show(label), path))
        if unsafe:
            line, what, _ = unsafe[0]
            self.add("DN459", f"{_plural(len(unsafe), 'image path')} of the {role} list with shell metacharacters: "
                     f"darknet records a bad label with system(\"echo <label path> ... >> bad_label.list\"), the path "
                     f"unquoted, so the shell runs what the path says (first: {what})" + _places(path, unsafe[1:]),
                     path, line, related=unsafe[1:], hint="rename the files without ; & | ` $ ( ) < >")
        if long:
            line, what, _ = long[0]
            self.add("DN459", f"{_plural(len(long), 'label path')} of the {role} list too long for darknet's "
                     f"{_BUFFER}-byte bad_label.list command: a bad label there overflows the buffer (first: "
                     f"{what})" + _places(path, long[1:]), path, line, related=long[1:],
                     hint="shorter folder names (the path and the message must fit in 255 bytes)")

    def _overlap(self, train_path: str, train, valid_path: str, valid) -> None:
        train_set = {_same(e.path) for e in train if e.path}
        both = [(e.line, show(e.path), valid_path) for e in valid if e.path and _same(e.path) in train_set]
        if both:
            line = both[0][0]
            self.add("DN455", f"{_plural(len(both), 'image')} of the valid list {'are' if len(both) > 1 else 'is'} "
                     f"also in the train list {show(train_path)}: the mAP of -map is measured partly on training "
                     "images" + _places(valid_path, both[1:]), valid_path, line, related=both[1:],
                     hint="keep validation images out of the train list")

    # -- images and labels ----------------------------------------------------------------------
    def _images(self, lists) -> None:
        order: dict[str, int] = {}
        for _, entries, _role in lists:
            for e in entries or ():
                if e.path and e.path not in order:
                    order[e.path] = len(order)
        paths = list(order)
        if not paths:
            return
        results, counts, totals = run_work(paths, self.setup, self.jobs, self.progress)
        self.totals.update(totals, images=len(paths))
        self.counts = counts
        for list_path, entries, role in lists:
            if entries:
                self._image_facts(list_path, entries, role, results, order)
        self._label_facts(results)
        self._crowded(lists, order)
        train_boxes = self._train_boxes(lists[0], results, order)
        if lists[0][1] and train_boxes < self.setup.clusters:
            self.add("DN458", f"the train list has {_plural(train_boxes, 'box', 'boxes')}, fewer than the "
                     f"{self.setup.clusters} anchors ({self.setup.clusters_from}): darknet detector calc_anchors "
                     f"-num_of_clusters {self.setup.clusters} crashes (segmentation fault)",
                     self.data_path, self.data.line("train") or 1,
                     hint="label more boxes, or keep the default anchors")

    def _crowded(self, lists, order) -> None:
        """Images with more boxes than the truth buffer holds (``max``)."""
        top = self.setup.max_boxes
        for list_path, entries, role in lists[:1]:   # training only: the mAP pass reads every box
            crowded = [(e.line, f"{show(e.path)}: {self.counts[order[e.path]]} boxes", list_path)
                       for e in entries or () if e.path and self.counts[order[e.path]] > top]
            if crowded:
                line, what, _ = crowded[0]
                verb = "have" if len(crowded) > 1 else "has"
                self.add("DN463", f"{_plural(len(crowded), 'image')} of the {role} list {verb} "
                         f"more boxes than {self.setup.max_from} (first: {what}): darknet keeps a random {top} of "
                         "them each time it draws the image, without a message" + _places(list_path, crowded[1:]),
                         list_path, line, related=crowded[1:], hint="set max= above the largest count in every "
                         "detection layer")

    def _train_boxes(self, train, results, order) -> int:
        _, entries, _ = train
        if not entries:
            return 0
        return sum(self.counts[order[e.path]] for e in entries if e.path)

    def _image_facts(self, list_path: str, entries, role: str, results, order) -> None:
        missing: list[tuple[int, str, str]] = []
        blanks: list[tuple[int, str, str]] = []
        no_label: list[tuple[int, str, str]] = []
        unusable: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
        empty: list[tuple[int, str, str]] = []
        unreadable: list[tuple[int, str, str]] = []
        for e in entries:
            if not e.path:
                continue
            r = results[order[e.path]]
            if r.image is not None:
                if e.path.endswith("\r"):
                    missing.append((e.line, f"{show(e.path)} (a CR ends the list's last line, which has no final "
                                            "newline: darknet keeps it in the path)", list_path))
                elif e.path != e.path.strip(" \t") and r.status == "ok":
                    blanks.append((e.line, f"\"{show(e.path)}\"", list_path))
                else:
                    missing.append((e.line, f"{show(e.path)} ({r.image})", list_path))
            if r.status == "unusable":
                msg = label_path_message(r.label)
                kind = "too short" if msg.startswith("Label file name is too short") else "extension"
                unusable[kind].append((e.line, show(e.path), list_path))
            elif r.status == "missing":
                no_label.append((e.line, show(r.label), list_path))
            elif r.status == "unreadable":
                unreadable.append((e.line, show(r.label), list_path))
            elif r.empty:
                empty.append((e.line, show(r.label), list_path))
        if missing:
            line, what, _ = missing[0]
            effect = "trains the label's boxes on" if role == "train" else "measures the mAP on"
            self.add("DN445", f"{_plural(len(missing), 'image')} of the {role} list cannot be opened (first: {what}): "
                     f"darknet prints \"Cannot load image\", {effect} a blank 10x10 image and goes on"
                     + _places(list_path, missing[1:]), list_path, line, related=missing[1:],
                     hint="paths are relative to the folder darknet runs in" + self._elsewhere(entries[line - 1].path))
        if blanks:
            line, what, _ = blanks[0]
            self.add("DN445", f"{_plural(len(blanks), 'image path')} of the {role} list with blanks at an end "
                     f"(first: {what}): darknet opens the image path as written (it fails) but trims the label "
                     "path, so the boxes are trained on a blank image" + _places(list_path, blanks[1:]),
                     list_path, line, related=blanks[1:], hint="delete the spaces/tabs around the paths")
        for kind, items in unusable.items():
            line, what, _ = items[0]
            label = label_path(entries[line - 1].path)
            text = label_path_message(label).strip()
            effect = ("darknet reads the image file itself as its label file, so the image silently trains as "
                      "a negative and its labels are never read" if kind == "extension" else
                      "darknet cannot open a label file for it")
            self.add("DN447", f"{_plural(len(items), 'image path')} of the {role} list darknet cannot map to a "
                     f"label file: \"{show(text)}\"; {effect}" + _places(list_path, items[1:]), list_path, line,
                     related=items[1:], hint="use one of .jpg .JPG .jpeg .JPEG .png .PNG .bmp .BMP .ppm .PPM .tiff "
                     ".TIFF, at the end of the path")
        if no_label:
            line, what, _ = no_label[0]
            self.add("DN446", f"{_plural(len(no_label), 'label file')} of the {role} list cannot be opened: darknet "
                     f"prints \"Can't open label file. (This can be normal only if you use MSCOCO): {what}\" and "
                     "trains the image as a negative (no objects)" + _places(list_path, no_label[1:]), list_path,
                     line, related=no_label[1:], hint="write the label file; an empty one for a background image")
        if unreadable:
            line, what, _ = unreadable[0]
            self.add("DN446", f"{_plural(len(unreadable), 'label path')} of the {role} list cannot be read as a file "
                     f"(first: {what}, a folder or unreadable): darknet opens it, reads no box and says nothing, so "
                     "the image trains as a negative" + _places(list_path, unreadable[1:]), list_path, line,
                     related=unreadable[1:], hint="the label path must be a readable file")
        if empty:
            line, what, _ = empty[0]
            images = len({e.path for e in entries if e.path})
            many = len(empty) > 1
            self.add("DN453", f"{_plural(len(empty), 'label file')} of the {role} list {'are' if many else 'is'} "
                     f"empty: {len(empty)} of {images} images train as background (negative) sample"
                     f"{'s' * many} (first: {what})", list_path, line, related=empty[1:])

    def _label_facts(self, results) -> None:
        # a label file's LineIssue kind -> (line, col, message, label path) of every file with one
        kinds: dict[str, list[tuple[int, int, str, str]]] = {"stop": [], "tail": [], "shift": []}
        by_kind: dict[tuple, list] = defaultdict(list)
        for r in results:
            for issue in r.issues:
                kinds[issue.kind].append((issue.line, issue.col, issue.message, r.label))
            for row in r.bad:
                verdict, line, col, end, box_id = row[:5]
                key = (verdict, box_id if verdict in (B.CLASS_HIGH, B.CLASS_NEGATIVE) else None)
                by_kind[key].append((line, col, end, r.label, row[5:]))
        for kind, what, severity in (("stop", "stops", ""), ("tail", "stops", "warning"), ("shift", "shifts", "")):
            items = kinds[kind]
            if not items:
                continue
            line, col, message, label = items[0]
            rel = [(ln, msg, lp) for ln, _, msg, lp in items[1:]]
            more = (f" (and {_plural(len(rel), 'more label file')} where darknet {what} like this: "
                    + ", ".join(f"{show(lp)}:{ln}" for ln, _, lp in rel[:SHOWN]) + (" ..." if len(rel) > SHOWN else "")
                    + ")") if rel else ""
            if severity:   # a last word darknet does not read: nothing is lost yet
                message += "; nothing is lost now, but a box written after it would be"
            self.add("DN452", message + more, label, line, col, related=rel, severity=severity,
                     hint="one box per line: <class> <x> <y> <width> <height>, numbers only, no comments")
        classes = self.setup.classes
        for (verdict, box_id), items in sorted(by_kind.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
            line, col, end, label, (x, y, w, h) = items[0]
            files = len({it[3] for it in items})
            rel = [(ln, f"{'class ' + str(box_id) if box_id is not None else 'box'} {_box(v)}", lp)
                   for ln, _, _, lp, v in items[1:]]
            count = f"{_plural(len(items), 'box', 'boxes')} in {_plural(files, 'label file')}"
            said = B.message(verdict, box_id, classes)
            box = _box((x, y, w, h))
            dropped = f"darknet prints \" {said}, file: {show(label)} \" and drops the box"
            if verdict == B.CLASS_HIGH:
                code, fact, outcome = "DN448", f"class id {box_id} is out of range ({self.setup.classes_from})", dropped
                hint = "fix the class ids, or the number of classes in the cfg and names file"
            elif verdict == B.CLASS_NEGATIVE:
                code, fact = "DN448", f"class id {box_id} is negative"
                outcome = (f"the loader keeps the box, then every [yolo] layer prints \" {said} \" for every cell "
                           "and anchor and never trains it")
                hint = "class ids run from 0 to classes-1"
            elif verdict == B.INVALID:
                code, fact, outcome = "DN449", f"box {box} is at x=y=0 or entirely outside the image", dropped
                hint = "x and y are the box centre, relative to the image: in (0, 1]"
            elif verdict == B.NAN:
                code, fact = "DN449", f"box {box} has a NaN coordinate"
                outcome = "it passes darknet's checks without a message and trains nothing"
                hint = "write numbers"
            elif verdict == B.TINY:
                nw, nh = self.setup.net
                code, fact = "DN450", f"box {box} is under one network pixel at {nw}x{nh}"
                outcome = "darknet drops such boxes without a message"
                hint = "drop these labels, or train at a larger width/height"
            else:
                code, fact = "DN451", f"box {box} reaches outside the image"
                outcome = "darknet silently clips it to the image and trains the clipped box"
                hint = "x, y are the centre and w, h the size, relative to the image"
            text = f"{fact}: {count}; {outcome}"
            self.add(code, text + _places(label, rel), label, line, col, end_col=end, hint=hint, related=rel)


def _box(v) -> str:
    return "(" + " ".join(f"{c:g}" for c in v) + ")"


# ------------------------------------------------------------------------------------------------
# entry point

def check_dataset(data_path: str, cfg_path: str | None = None, jobs: int | None = None,
                  progress: bool = True, *, analysis=None, data: DataFile | None = None,
                  names: tuple[str, list[str]] | None = None) -> list[Diagnostic]:
    """Every finding about the dataset of ``data_path`` (paths relative to the current folder, as darknet
    opens them), judged against ``cfg_path`` when given. What the caller has already read is not read
    again: ``analysis`` (``cfg_path``'s Analysis at its own size), ``data`` (the ``DataFile`` of
    ``data_path``), ``names`` ((path, names) of a names file)."""
    setup = setup_from_cfg(cfg_path, analysis) if cfg_path else None
    bar = Progress() if progress else None
    try:
        return Checker(data_path, setup, jobs, bar, data, names).run()
    finally:
        if bar is not None:
            bar.close()
