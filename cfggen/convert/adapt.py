"""Rewrite a detector cfg for a new class count, input size, anchors or batch: Document -> text.

The most asked darknet question is "which lines do I change for my N classes?": ``classes=`` in every
head, ``filters=`` of the layer feeding each head (reference §5.5), ``max_batches`` and ``steps``.
``adapt`` does exactly that through the lossless parser: only the value part of those lines changes
(key spelling, spacing around ``=``, trailing comments, line endings stay byte-identical); a key that is
missing is inserted after the last option line of its section, in that section's spelling style.

Heads handled: ``[yolo]`` (filters = len(mask)*(classes+5)), ``[Gaussian_yolo]`` (len(mask)*(classes+9)),
``[region]`` (num*(classes+coords+1)) and the YOLOv1 ``[detection]`` head, whose feeding layer is a
``[connected]``: its ``output=`` becomes side²*((1+coords)*num+classes). The feeding layer is the one just
before the head; anything else there is an error (the cfg needs a hand edit). ``[contrastive] classes``
is an embedding setting, not the label count: left alone. ``counters_per_class`` (per-class label counts)
cannot survive a new class count (darknet exits unless it has one count per class): it is commented out.

The result is re-validated: ``verify`` lists the error findings the edit *added* (pre-existing ones do
not count), and the command refuses to write when there are any.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from cfggen.cfg.emit import emit, replace_lines
from cfggen.cfg.model import Document, Option, Section
from cfggen.errors import EXIT_FINDINGS, CfggenError, InputError, UsageError
from cfggen.ir.cnum import int_list

HEAD_TYPES = ("yolo", "gaussian_yolo", "region", "detection")
# values per anchor besides the classes: 4 box + 1 objectness (+ 4 box uncertainties for Gaussian)
_PER_ANCHOR = {"yolo": 5, "gaussian_yolo": 9}
DETECTOR_STRIDE = 32


class AdaptError(CfggenError):
    """The adapted cfg would not validate: new error findings appeared (exit 1, nothing written)."""

    exit_code = EXIT_FINDINGS


@dataclass(frozen=True)
class Change:
    """One edited or inserted line."""

    where: str            # "[net]" or "layer 139 [yolo]"
    key: str
    old: str | None       # the value before (None: the key was inserted)
    new: str              # the value after ("" with a comment-out)
    line: int             # physical line in the input (for an insert: the line it follows)
    action: str = "set"   # "set", "insert" or "comment-out"

    def describe(self) -> str:
        if self.action == "insert":
            return f"{self.where}: {self.key}={self.new} (inserted after line {self.line})"
        if self.action == "comment-out":
            return f"{self.where} line {self.line}: {self.key}= commented out ({self.new})"
        return f"{self.where} line {self.line}: {self.key} {self.old} -> {self.new}"


@dataclass(frozen=True)
class Adapted:
    path: str
    original: str
    text: str
    changes: tuple[Change, ...]
    notes: tuple[str, ...]           # things the user should know (warnings, what was left alone)
    request: dict = field(default_factory=dict, compare=False)

    @property
    def changed(self) -> bool:
        return self.text != self.original

    def summary(self) -> str:
        asked = ", ".join(f"{k.replace('_', '-')}={v}" for k, v in self.request.items() if v is not None)
        head = f"{self.path}: {len(self.changes)} change{'s' if len(self.changes) != 1 else ''}"
        lines = [head + (f" ({asked})" if asked else "")]
        lines += [f"  {c.describe()}" for c in sorted(self.changes, key=lambda c: c.line)]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------
# line-level editing

def value_span(text: str, opt: Option) -> tuple[int, int]:
    """The [start, end) of an option's value on its physical line: from the value's first character to
    its last non-blank character before a ``#`` (what follows, a trailing comment, is kept)."""
    start = opt.value_col - 1
    hash_at = text.find("#", start)
    end = len(text) if hash_at < 0 else hash_at
    while end > start and text[end - 1] in " \t\r":
        end -= 1
    return start, end


def list_separator(raw: str) -> str:
    """", "" when the existing list is written with spaces after its commas, else ","."""
    return ", " if re.search(r",[ \t]", raw) else ","


class Editor:
    """Collects value edits and inserts on a Document; ``text()`` applies them losslessly."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.edits: dict[int, str] = {}
        self.inserts: dict[int, list[str]] = {}
        self.changes: list[Change] = []

    def current(self, line: int) -> str:
        return self.edits.get(line, self.doc.line_text(line))

    def raw_value(self, opt: Option) -> str:
        text = self.doc.line_text(opt.line)
        start, end = value_span(text, opt)
        return text[start:end]

    def set(self, section: Section, key: str, value: str, where: str) -> None:
        """Give ``key`` the value ``value`` in ``section`` (the occurrence darknet reads: the first)."""
        opt = section.get(key)
        if opt is None:
            self.insert(section, key, value, where)
            return
        text = self.current(opt.line)
        start, end = value_span(text, opt)
        old = text[start:end]
        if re.sub(r"\s", "", old) == value:
            return
        self.edits[opt.line] = text[:start] + value + text[end:]
        self.changes.append(Change(where, key, re.sub(r"\s", "", old), value, opt.line))

    def insert(self, section: Section, key: str, value: str, where: str) -> None:
        opts = section.options
        after = max((o.line for o in opts), default=section.line)
        style = insert_style(self.doc, section)
        indent = re.match(r"[ \t]*", self.doc.line_text(after)).group(0) if opts else ""
        self.inserts.setdefault(after, []).append(indent + style.format(key=key, value=value))
        self.changes.append(Change(where, key, None, value, after, "insert"))

    def comment_out(self, opt: Option, where: str, why: str) -> None:
        text = self.current(opt.line)
        col = opt.col - 1
        self.edits[opt.line] = text[:col] + "#" + text[col:]
        self.changes.append(Change(where, opt.key, None, why, opt.line, "comment-out"))

    def text(self) -> str:
        if not self.edits and not self.inserts:
            return emit(self.doc)
        return replace_lines(self.doc, dict(self.edits), self.inserts)


def insert_style(doc: Document, section: Section) -> str:
    """``"{key}={value}"`` or ``"{key} = {value}"``, whichever the section (else the file) uses most."""
    def count(options) -> Counter:
        c: Counter = Counter()
        for o in options:
            if o.form == "ok":
                t = doc.line_text(o.line)
                c[" = " in t[o.col - 1:o.value_col]] += 1
        return c
    c = count(section.options)
    if not c:
        c = count(o for s in doc.sections for o in s.options)
    return "{key} = {value}" if c[True] > c[False] else "{key}={value}"


# ------------------------------------------------------------------------------------------------
# the transforms

def training_steps(max_batches: int) -> tuple[int, int]:
    """AlexeyAB's rule: steps at 80% and 90% of max_batches."""
    return max_batches * 8 // 10, max_batches * 9 // 10


def default_max_batches(classes: int) -> int:
    """AlexeyAB's rule: classes*2000 iterations, at least 6000."""
    return max(6000, classes * 2000)


def new_steps(old: Sequence[int], max_batches: int, old_max_batches: int) -> list[int]:
    """The last two entries become 80%/90% of max_batches; entries before them (warm-up steps such as
    ``-1,100`` in YOLOv2 cfgs) are kept when they still come before the 80% step, else scaled with
    max_batches. The number of entries (and so the pairing with ``scales``) never changes."""
    s80, s90 = training_steps(max_batches)
    if len(old) <= 1:
        return [s80]
    out: list[int] = []
    for v in old[:-2]:
        if v >= s80:
            v = v * max_batches // old_max_batches if old_max_batches > 0 else s80 - 1
            v = min(v, s80 - 1)
        if out and v <= out[-1]:
            v = out[-1] + 1
        out.append(v)
    return out + [s80, s90]


def format_anchors(values: Sequence[str], like: str) -> str:
    """Anchor numbers written the way ``like`` (the old value) writes them: the separator inside a pair
    and the one between pairs (``10,13,  16,30`` stays in that style)."""
    seps = re.findall(r"[ \t]*,[ \t]*", like)
    inner = seps[0] if seps else ","
    between = seps[1] if len(seps) > 1 else (", " if not seps else inner)
    pairs = [inner.join(values[i:i + 2]) for i in range(0, len(values), 2)]
    return between.join(pairs)


def parse_anchor_values(text: str) -> list[str]:
    """``"10,13, 16,30"`` -> ["10", "13", "16", "30"]; even count of positive numbers or UsageError."""
    tokens = [t for t in re.split(r"[,\s]+", text.strip()) if t]
    if not tokens:
        raise UsageError("--anchors: no numbers given")
    values = []
    for t in tokens:
        try:
            v = float(t)
        except ValueError:
            raise UsageError(f"--anchors: {t!r} is not a number") from None
        if not v > 0 or v != v or v == float("inf"):
            raise UsageError(f"--anchors: {t!r}: every anchor width and height must be a positive number")
        values.append(t)
    if len(values) % 2:
        raise UsageError(f"--anchors: {len(values)} numbers given; anchors are width,height pairs, "
                         "so the count must be even")
    return values


def _where(layer) -> str:
    return f"layer {layer.index} {layer.section.header}"


def _masks(heads) -> dict[int, list[int]] | None:
    masks = {}
    for h in heads:
        if h.conf.get("mask") is None:
            return None
        masks[h.index] = list(int_list(h.conf["mask"], stop_at_hash=True))
    return masks


def _remap_masks(heads, old_num: int, new_num: int) -> dict[int, list[int]] | None:
    """New masks for a changed anchor count, when the old ones were the usual layout: equal contiguous
    blocks that together use every anchor once (yolov3: 6,7,8 / 3,4,5 / 0,1,2). None: not that layout."""
    masks = _masks(heads)
    if not masks:
        return None
    k = old_num // len(masks) if len(masks) else 0
    if k == 0 or k * len(masks) != old_num or new_num % len(masks):
        return None
    blocks = {}
    for index, m in masks.items():
        if len(m) != k or m != list(range(m[0], m[0] + k)) or m[0] % k:
            return None
        blocks[index] = m[0] // k
    if sorted(blocks.values()) != list(range(len(masks))):
        return None
    nk = new_num // len(masks)
    return {index: list(range(b * nk, (b + 1) * nk)) for index, b in blocks.items()}


def adapt(doc: Document, *, classes: int | None = None, size: tuple[int, int] | None = None,
          anchors: str | None = None, batch: int | None = None, subdivisions: int | None = None,
          max_batches: int | None = None, force: bool = False,
          masks: dict[int, Sequence[int]] | None = None, build=None) -> Adapted:
    """Apply the requested changes to ``doc`` and return the new text with a list of what changed.

    ``masks`` (with ``anchors``): the new ``mask=`` of each [yolo]/[Gaussian_yolo] head, by layer index
    (``adapt --data`` splits them by stride); without it, masks follow the anchor count as before.
    ``build``: (plan, network) of ``doc`` when the caller has built it (``dataset.autoanchor.built``)."""
    from cfggen.ir.build import infer, plan

    request = {"classes": classes, "size": f"{size[0]}x{size[1]}" if size else None, "anchors": anchors,
               "batch": batch, "subdivisions": subdivisions, "max_batches": max_batches}
    if all(v is None for v in request.values()):
        raise UsageError("nothing to change: give --classes, --size, --anchors, --batch/--subdivisions "
                         "or --max-batches")
    for name, v, low in (("classes", classes, 1), ("batch", batch, 1), ("subdivisions", subdivisions, 1),
                         ("max-batches", max_batches, 1)):
        if v is not None and v < low:
            raise UsageError(f"--{name} must be at least {low}, not {v}")
    net_section = doc.net
    if net_section is None:
        raise InputError("no [net] section at the top: not a darknet network cfg", path=doc.path, line=1)
    p, network = build if build is not None else (plan(doc), None)
    if not p.usable:
        raise InputError("[net] gives no input size; darknet cannot build this network", path=doc.path,
                         line=net_section.line)
    if network is None:
        network, _ = infer(p)
    layers = network.layers
    heads = [layer for layer in layers if layer.type in HEAD_TYPES]
    ed = Editor(doc)
    notes: list[str] = []

    if (classes is not None or anchors is not None) and not heads:
        raise InputError("no [yolo], [Gaussian_yolo], [region] or [detection] head: --classes and --anchors "
                         "adapt detector cfgs only", path=doc.path)

    # ---- anchors (before filters: a changed anchor count changes the filters) ----
    head_n: dict[int, int] = {}       # layer index -> anchors this head predicts, after the edit
    head_num: dict[int, int] = {}     # [region]: num after the edit
    if anchors is not None:
        values = parse_anchor_values(anchors)
        new_num = len(values) // 2
        yolo_heads = [h for h in heads if h.type in ("yolo", "gaussian_yolo")]
        remap = None
        if masks is not None:
            remap = {h.index: list(masks[h.index]) for h in yolo_heads}
        elif yolo_heads:
            old_nums = {h.conf["num"] for h in yolo_heads}
            old_num = max(old_nums)
            if new_num != old_num or len(old_nums) > 1:
                remap = _remap_masks(yolo_heads, old_num, new_num) if len(old_nums) == 1 else None
                if remap is None:
                    masks = _masks(yolo_heads) or {}
                    for h in yolo_heads:
                        bad = [m for m in masks.get(h.index, []) if m >= new_num]
                        if bad:
                            raise UsageError(
                                f"--anchors gives {new_num} anchors but {_where(h)} (line {h.section.line}) has "
                                f"mask={h.conf['mask']}, which uses anchor {bad[0]}; give {old_num} anchors "
                                "or edit the masks by hand")
                    if any(h.conf.get("mask") is None for h in yolo_heads):
                        pass  # no mask: the head predicts num anchors, the filters follow below
                    else:
                        used = {m for ms in masks.values() for m in ms}
                        unused = sorted(set(range(new_num)) - used)
                        if unused:
                            notes.append(f"anchors {', '.join(map(str, unused))} are used by no mask")
        for h in heads:
            if h.type == "detection":
                continue
            opt = h.section.get("anchors")
            ed.set(h.section, "anchors", format_anchors(values, ed.raw_value(opt) if opt else ""), _where(h))
            ed.set(h.section, "num", str(new_num), _where(h))
            if h.type == "region":
                head_num[h.index] = new_num
            elif remap is not None:
                mopt = h.section.get("mask")
                msep = list_separator(ed.raw_value(mopt)) if mopt is not None else ","
                ed.set(h.section, "mask", msep.join(map(str, remap[h.index])), _where(h))
                head_n[h.index] = len(remap[h.index])
            elif h.conf.get("mask") is None:
                head_n[h.index] = new_num
        if any(h.type == "detection" for h in heads):
            notes.append("[detection] (YOLOv1) heads have no anchors; left alone")

    # ---- classes and the filters of the layer feeding each head ----
    if classes is not None or anchors is not None:
        for h in heads:
            n_classes = classes if classes is not None else h.conf["classes"]
            if classes is not None:
                ed.set(h.section, "classes", str(classes), _where(h))
                _counters_per_class(ed, h, classes, notes)
            _feeding_layer_size(ed, doc, layers, h, n_classes, head_n, head_num)
            if h.type == "region" and (h.conf.get("tree") or h.conf.get("map")):
                what = "tree=" + h.conf["tree"] if h.conf.get("tree") else "map=" + h.conf["map"]
                notes.append(f"{_where(h)} uses {what}: that file must describe the new classes too")
            elif h.type in ("yolo", "gaussian_yolo") and h.conf.get("map") and classes is not None:
                notes.append(f"{_where(h)} uses map={h.conf['map']}: that class-id map must fit {classes} classes")

    # ---- schedule ----
    target_mb = max_batches if max_batches is not None else (
        default_max_batches(classes) if classes is not None else None)
    if target_mb is not None:
        ed.set(net_section, "max_batches", str(target_mb), "[net]")
        policy = p.net.get("policy")
        steps_opt = net_section.get("steps")
        if policy == "steps":
            s80, s90 = training_steps(target_mb)
            if steps_opt is None:
                ed.set(net_section, "steps", f"{s80},{s90}", "[net]")
                if net_section.get("scales") is None:
                    ed.set(net_section, "scales", ".1,.1", "[net]")
            else:
                old = list(int_list(steps_opt.value, stop_at_hash=True))
                sep = list_separator(ed.raw_value(steps_opt))
                ed.set(net_section, "steps", sep.join(map(str, new_steps(old, target_mb, p.net["max_batches"]))),
                       "[net]")
        elif steps_opt is not None:
            notes.append(f"policy={policy}, not steps: steps={steps_opt.value} left alone")

    # ---- input size ----
    if size is not None:
        w, h = size
        if heads and (w % DETECTOR_STRIDE or h % DETECTOR_STRIDE):
            msg = (f"--size {w}x{h}: a detector's width and height should be multiples of {DETECTOR_STRIDE} "
                   "(darknet warns, and route/shortcut layers may not line up)")
            if not force:
                raise UsageError(msg, hint="use --force to write it anyway")
            notes.append(msg)
        ed.set(net_section, "width", str(w), "[net]")
        ed.set(net_section, "height", str(h), "[net]")
        if any(x.type in ("yolo", "gaussian_yolo") for x in heads) and (w, h) != network.size:
            notes.append("[yolo] anchors are in input pixels: consider recomputing them for the new size "
                         "(darknet detector calc_anchors) and passing --anchors")

    # ---- batching ----
    if batch is not None:
        ed.set(net_section, "batch", str(batch), "[net]")
    if subdivisions is not None:
        ed.set(net_section, "subdivisions", str(subdivisions), "[net]")
    if batch is not None or subdivisions is not None:
        b = batch if batch is not None else p.net["batch"]
        s = subdivisions if subdivisions is not None else p.net["subdivisions"]
        if s > b:
            notes.append(f"subdivisions={s} > batch={b}: the mini-batch is 0 and darknet raises it to 1")
        elif b % s:
            notes.append(f"batch={b} is not divisible by subdivisions={s}: the mini-batch is {b // s} "
                         f"({b - (b // s) * s} images of every batch are dropped)")

    return Adapted(doc.path, emit(doc), ed.text(), tuple(ed.changes), tuple(notes), request)


def _counters_per_class(ed: Editor, head, classes: int, notes: list[str]) -> None:
    opt = head.section.get("counters_per_class")
    if opt is None:
        return
    count = len(int_list(opt.value, stop_at_hash=True))
    if count != classes:
        ed.comment_out(opt, _where(head), f"it has {count} counts, darknet exits unless it has one per class")
        notes.append(f"{_where(head)}: counters_per_class (per-class label counts of the old data set) "
                     "was commented out; recompute it for your data if you want class re-weighting")


def _feeding_layer_size(ed: Editor, doc: Document, layers, head, classes: int, head_n: dict[int, int],
                        head_num: dict[int, int]) -> None:
    """Set filters= (or output= before [detection]) of the layer just before ``head`` (reference §5.5)."""
    prev = layers[head.index - 1] if head.index > 0 else None
    want_type = "connected" if head.type == "detection" else "convolutional"
    if prev is None or prev.type != want_type:
        what = f"a {prev.section.header} (line {prev.section.line})" if prev is not None else "nothing"
        raise InputError(f"{_where(head)}: the layer before it is {what}, not a [{want_type}] whose "
                         f"{'output' if want_type == 'connected' else 'filters'}= can be set for the new "
                         "head size; edit this cfg by hand", path=doc.path, line=head.section.line)
    k = head.conf
    if head.type == "detection":
        value = k["side"] ** 2 * ((1 + k["coords"]) * k["num"] + classes)
        ed.set(prev.section, "output", str(value), _where(prev))
        return
    if prev.conf.get("share_index", -1000000000) != -1000000000:
        raise InputError(f"{_where(prev)} feeds {_where(head)} but shares its weights with another layer "
                         "(share_index=): its filters cannot change alone", path=doc.path, line=prev.section.line)
    if head.type == "region":
        num = head_num.get(head.index, k["num"])
        value = num * (classes + k["coords"] + 1)
    else:
        from cfggen.ir.layers import yolo_anchor_count
        n = head_n.get(head.index, yolo_anchor_count(k))
        value = n * (classes + _PER_ANCHOR[head.type])
    ed.set(prev.section, "filters", str(value), _where(prev))


# ------------------------------------------------------------------------------------------------
# verification

# a partial residual (DN202, a warning) is a design choice when written, a mistake when an edit makes it
BLOCKING = ("DN202",)


def _blocking(findings):
    """(code, layer, finding) of every error place, merged findings expanded (cfggen.lint.group)."""
    from cfggen.lint.group import places
    for d in findings:
        if d.severity == "error" or d.code in BLOCKING:
            for _, layer in places(d):
                yield d.code, layer, d


def error_keys(findings) -> Counter:
    """Error findings as a multiset of (code, layer): comparable across an edit that shifts lines."""
    return Counter((code, layer) for code, layer, _ in _blocking(findings))


def new_errors(before, after) -> list:
    """Error findings in ``after`` that ``before`` did not have (by code and layer)."""
    extra = error_keys(after) - error_keys(before)
    out = []
    for code, layer, d in _blocking(after):
        key = (code, layer)
        if extra.get(key, 0) > 0:
            extra[key] -= 1
            if d not in out:
                out.append(d)
    return out


def verify(result: Adapted) -> list:
    """Validate the adapted text at its own size and return the error findings the edit introduced."""
    from cfggen.api import analyze_text

    before = analyze_text(result.original, result.path, sizes="native").findings
    after = analyze_text(result.text, result.path, sizes="native").findings
    return new_errors(before, after)


def adapt_checked(doc: Document, **kwargs) -> Adapted:
    """``adapt`` then ``verify``; raises AdaptError naming every new error."""
    result = adapt(doc, **kwargs)
    added = verify(result)
    if added:
        listed = "; ".join(f"{d.code} line {d.line}: {d.message}" for d in added[:5])
        more = f" (and {len(added) - 5} more)" if len(added) > 5 else ""
        raise AdaptError(f"refusing to write: the adapted cfg has {len(added)} new error"
                         f"{'s' if len(added) != 1 else ''}: {listed}{more}", path=doc.path)
    return result
