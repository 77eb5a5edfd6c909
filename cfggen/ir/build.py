"""Document -> Network: darknet's ``parse_network_cfg`` without the allocations.

``plan(doc)`` reads every section's keys once (size-independent); ``infer(plan, size)`` propagates
shapes for one input size. Validating every multi-scale training size re-runs only ``infer``.
Findings that come from darknet's own behaviour while building (an exit, an assert, a crash, a
silently truncated add) are returned with the network; everything else is a lint rule.
"""
from __future__ import annotations

from functools import partial
from itertools import compress, count
from operator import itemgetter
from typing import Any

from cfggen.cfg.model import Document, Section
from cfggen.ir.cnum import _F32, INT_MAX, atof, atoi, cdiv, f32, int_list, wrap32
from cfggen.ir.layers import (LAYERS, NET_DEFAULTS, NET_TYPES, Ctx, Fault, LayerSpec, Out, _conv_records,
                              yolo_anchor_count)
from cfggen.ir.model import NO_PARAMS, ZERO, Layer, Network, Params, Record, Shape, Totals
from cfggen.findings import Diagnostic


# One layer section as planned: a plain tuple ``(section, spec, conf)``. ``spec`` is None for a section
# darknet does not recognise; ``conf`` is shared by twin sections (read-only). Not a named tuple: there
# is one per section, and a named tuple costs ``tuple.__new__``'s checks on every one of them (a plain
# tuple is one bytecode), more than all of ``plan``'s other work on a twin section.
PlanItem = tuple[Section, LayerSpec | None, dict[str, Any]]


class Plan:
    """What darknet reads from a document before it builds anything (read-only by convention).

    ``fast`` is filled by the first ``infer``: per layer, the facts of its fast path that do not
    depend on the input size, so inferring the same plan at other sizes does not re-read any key.
    A plain slotted class rather than a dataclass: cheaper to import, and the cache needs a slot.
    """

    __slots__ = ("doc", "net", "items", "usable", "findings", "fast")

    def __init__(self, doc: Document, net: dict[str, Any], items: tuple[PlanItem, ...], usable: bool,
                 findings: tuple[Diagnostic, ...]):
        self.doc = doc
        self.net = net
        self.items = items
        self.usable = usable            # False: darknet cannot even start (no [net], no input size)
        self.findings = findings
        self.fast: list | None = None

    def __repr__(self) -> str:
        return f"Plan(doc={self.doc!r}, usable={self.usable}, items={len(self.items)})"


def _read(options: tuple, types: dict[str, str], defaults: dict[str, Any], memo: dict[str, dict]) -> dict[str, Any]:
    """The keys darknet reads from a section's options: first occurrence wins, values converted like
    atoi/atof. ``memo``: {"i": {text: int}, "f": {text: float}}, shared by the sections of one plan: the
    same few numbers ("1", "3", "0.5") recur in every layer, and a dict lookup is cheaper than atoi."""
    conf = defaults.copy()
    # walk backwards so that the first occurrence of a duplicated key is written last and wins
    for opt in reversed(options):
        key = opt[0]
        typ = types.get(key)
        if typ is None:
            continue
        if opt[5] != "ok":
            if opt[5] == "noeq":
                conf[key] = defaults[key]   # found but valueless: darknet uses the default
            continue
        value = opt[1]
        known = memo.get(typ)
        if known is None:
            conf[key] = value       # strings and lists are kept as text
            continue
        v = known.get(value)
        conf[key] = _number(typ, value, known) if v is None else v
    return conf


def _read_pairs(pairs: list[tuple[str, str, str]], types: dict[str, str], defaults: dict[str, Any],
                memo: dict[str, dict]) -> dict[str, Any]:
    """``_read`` for a section whose options are all plain ``key=value`` lines (``Section.pairs``)."""
    conf = defaults.copy()
    for key, _, value in reversed(pairs):   # the first occurrence of a duplicated key is written last and wins
        typ = types.get(key)
        if typ is None:
            continue
        known = memo.get(typ)
        if known is None:
            conf[key] = value
            continue
        v = known.get(value)
        conf[key] = _number(typ, value, known) if v is None else v
    return conf


def _number(typ: str, value: str, known: dict) -> int | float:
    """A value ``_read`` has not met yet in this plan, read as atoi/atof do and remembered in ``known``."""
    v = atoi(value) if typ == "i" else atof(value)
    if v == v:              # a NaN is not shared: it is not equal to itself
        known[value] = v
    return v


def plan(doc: Document) -> Plan:
    findings: list[Diagnostic] = []
    net_section = doc.net
    if net_section is None:
        if not doc.sections:
            findings.append(Diagnostic("DN114", "no sections: darknet exits 'Config file has no sections'",
                                       line=1, hint="a network cfg starts with [net] followed by layer sections"))
        else:
            first = doc.sections[0]
            name = first.header[1:].split("]", 1)[0]
            unclosed = not first.header.endswith("]") and name in ("net", "network")
            hint = (f"the header has no closing ']': darknet takes the whole line '{first.header}' as the section "
                    f"type; write [{name}]" if unclosed else
                    "start the file with a [net] section giving width, height, channels")
            findings.append(Diagnostic("DN112", f"the first section is {first.header}, not [net] or [network]; "
                                       "darknet exits", line=first.line, col=first.col, hint=hint))
        return Plan(doc, dict(NET_DEFAULTS), (), False, tuple(findings))
    memo: dict[str, dict] = {"i": {}, "f": {}}
    net = _read(net_section.options, NET_TYPES, NET_DEFAULTS, memo)
    if net["inputs"] is None:
        net["inputs"] = net["width"] * net["height"] * net["channels"]
    usable = True
    if not net["inputs"] and not (net["width"] and net["height"] and net["channels"]):
        usable = False
        findings.append(Diagnostic("DN113", "[net] gives no input size (width, height, channels or inputs): "
                                   "darknet exits 'No input parameters supplied'", line=net_section.line,
                                   col=net_section.col, hint="set width=, height= and channels= in [net]"))
    elif min(net["width"], net["height"], net["channels"]) < 0 or \
            abs(net["width"] * net["height"] * net["channels"]) > INT_MAX:
        usable = False
        bad = next(k for k in ("width", "height", "channels") if net[k] < 0) if \
            min(net["width"], net["height"], net["channels"]) < 0 else None
        opt = net_section.get(bad) if bad else None
        msg = (f"[net] {bad}={net[bad]} (as darknet reads '{opt.value}'): a negative input size" if bad and opt else
               f"[net] {net['width']}x{net['height']}x{net['channels']} overflows darknet's 32-bit 'inputs'")
        findings.append(Diagnostic("DN115", msg + "; every layer shape is garbage",
                                   line=opt.line if opt else net_section.line, col=opt.col if opt else net_section.col,
                                   hint="width, height and channels must be positive and reasonably sized"))
    if not doc.layer_sections:
        # parse_network_cfg_custom builds zero layers, prints an empty table, then divides by a size
        # taken from a layer that does not exist (SIGFPE)
        findings.append(Diagnostic("DN114", "[net] has no layer after it: darknet prints an empty layer table "
                                   "and dies with a floating-point exception (SIGFPE)", line=net_section.line,
                                   col=net_section.col, hint="a network cfg needs at least one layer section after [net]"))
    items: list[PlanItem] = []
    spec_of = LAYERS.get
    # Most layer sections repeat one another word for word, and the same lines always read to the
    # same keys: a section shares the conf of its first twin (``Document.twins``) instead of reading
    # its options again (a twin's options are then never built at all).
    doc_twins = doc.twins
    for index, section in enumerate(doc.layer_sections):
        twin = doc_twins[index + 1] - 1
        if twin != index:
            # the twin's very conf: confs are read-only, like every record of the plan
            first = items[twin]
            items.append((section, first[1], first[2]))
            continue
        spec = spec_of(section.header)
        if spec is None:
            conf = {}
        else:
            pairs = section.pairs()      # plain key=value lines: no option records needed
            conf = _read(section.options, spec.types, spec.defaults, memo) if pairs is None else \
                _read_pairs(pairs, spec.types, spec.defaults, memo)
        items.append((section, spec, conf))
    return Plan(doc, net, tuple(items), usable, tuple(findings))


def _locate(section: Section, key: str | None) -> tuple[int, int]:
    if key:
        opt = section.get(key)
        if opt is not None:
            return opt.line, opt.col
    return section.line, section.col


def _finding(item: PlanItem, index: int, fault: Fault, size: tuple[int, int] | None) -> Diagnostic:
    section = item[0]
    line, col = _locate(section, fault.key)
    related = ((section.line, f"layer {index} {section.header}"),) if line != section.line else ()
    return Diagnostic(fault.code, fault.message, line=line, col=col, layer=index, size=size, hint=fault.hint,
                      related=related)


def infer(p: Plan, size: tuple[int, int] | None = None, stop_at_break: bool = False
          ) -> tuple[Network, list[Diagnostic]]:
    """Build the layer table at ``size`` (default: the cfg's own width x height).

    ``stop_at_break``: return as soon as a layer is one darknet would die at (the layer table is then
    incomplete); for callers that only ask "does this size work?".
    """
    net = p.net
    w0, h0 = size if size is not None else (net["width"], net["height"])
    c0 = net["channels"]
    inputs = w0 * h0 * c0 if size is not None or net.get("inputs") is None else net["inputs"]
    cur, cur_outputs = Shape(w0, h0, c0), inputs
    where = size if size is not None and size != (net["width"], net["height"]) else None
    layers: list[Layer] = []
    append = layers.append
    findings: list[Diagnostic] = []
    usable = p.usable
    fast = p.fast
    if fast is None:
        fast = p.fast = _prepare(p)
    broken = False      # the previous layer's
    # layers darknet reaches and builds empty (an unknown section, or a layer that reads only such layers):
    # broken, as their output is nothing to go on, but not a stop; the first layer they make darknet stop
    # at is reported (see ``_general``)
    empty: set[int] = set()
    stops: list[int] = []   # the layers a fault was reported at (darknet stops there)
    # The hot loop: most layers take their type's fast path (a few integer operations on facts read
    # once per plan); anything unusual falls back to the layer table's own infer function.
    for index, item in enumerate(p.items):
        fx = fast[index]
        layer = fx[0](fx[1], item, index, cur, cur_outputs, layers, broken) if fx is not None else None
        if layer is None:
            layer = _general(p, item, index, cur, cur_outputs, layers, findings, where, empty, stops)
        elif empty and layer[14] and _reads_empty(layers, layer[4], item[1], empty) \
                and not _poisoned(layers, layer[4], item[1], empty):
            empty.add(index)
        append(layer)
        cur, cur_outputs, broken = _NEXT(layer)
        if broken and stop_at_break and usable:
            break
    else:
        broken = False
    layers = tuple(layers)
    return Network(w0, h0, c0, layers, partial(_totals, layers, broken), net, frozenset(empty),
                   stops[0] if stops else None), findings


def _totals(layers: tuple[Layer, ...], broken: bool) -> Totals:
    """The network's totals, summed by C loops rather than per layer in ``infer``'s loop; a stop at a
    broken layer (``broken``) counts its parameters but not its BFLOPs (darknet's order: see above)."""
    counts = list(map(_PARAMS, layers))
    params = sum(map(_WEIGHTS, counts)) + sum(map(_BIASES, counts)) + sum(map(_BN_SCALES, counts))
    floats = sum(map(_BN_ROLLING, counts))
    total = 0.0
    for bflops in map(_BFLOPS, layers[:-1] if broken else layers):
        if bflops > 0:      # darknet's float running sum, in layer order
            try:
                total = _unpack(_pack(total + bflops))[0]    # f32(), inlined
            except OverflowError:
                total = f32(total + bflops)
    return Totals(params, params + floats, total, "%5.3f" % total)


def _general(p: Plan, item: PlanItem, index: int, cur: Shape, cur_outputs: int, layers: list[Layer],
             findings: list[Diagnostic], where: tuple[int, int] | None, empty: set[int], stops: list[int]) -> Layer:
    """One layer through the layer table's infer function, with darknet's faults turned into findings.

    ``empty``: the layers darknet builds empty without stopping (see ``infer``); this one is added to it
    when it is one of them. A fault at a layer that reads an empty layer is where darknet stops: it is
    reported (e.g. the [convolutional] after a YOLOR [implicit_add], "Layer before convolutional layer
    must output image"), and names the empty layer it reads.
    """
    section, spec, conf = item
    ctx = Ctx(index, cur, cur_outputs, layers, p.net)
    broken = not p.usable
    if spec is None:
        # darknet inserts an all-zero layer; the unknown section itself is a lint finding (DN101)
        out, broken, type_ = Out(ZERO, 0), True, "blank"
        if p.usable and not (layers and layers[-1].broken and index - 1 not in empty):
            empty.add(index)       # darknet goes on: the next layer that needs an image stops it
    else:
        type_ = spec.type
        try:
            out = spec.infer(ctx, conf)
        except Fault as fault:
            out = fault.output or Out(ZERO, 0)
            poisoned = broken or _poisoned(layers, ctx.refs, spec, empty)
            if not poisoned:
                findings.append(_from_empty(_finding(item, index, fault, where), layers, ctx.refs, spec, empty))
                if fault.code not in _SURVIVED:
                    stops.append(index)
            # a stop after an empty layer: nothing after it is checked as if darknet had gone on
            broken = broken or poisoned or fault.fatal or _reads_empty(layers, ctx.refs, spec, empty)
        except ZeroDivisionError:
            out, broken = Out(ZERO, 0), True
            if not _poisoned(layers, ctx.refs, spec, empty):
                findings.append(_finding(item, index, Fault(
                    "DN211", "a zero in this layer's keys makes darknet divide by zero (SIGFPE)"), where))
                stops.append(index)
        else:
            if not broken and (ctx.refs or (layers and layers[-1].broken)):
                if _poisoned(layers, ctx.refs, spec, empty):
                    broken = True
                elif _reads_empty(layers, ctx.refs, spec, empty):
                    broken = True
                    empty.add(index)
        if not broken:
            for note in ctx.notes:
                findings.append(_finding(item, index, note, where))
    nxt = out.next if out.next is not None else out.output
    nxt_outputs = out.next_outputs if out.next_outputs is not None else out.outputs
    return _new(Layer, (index, type_, section, conf, tuple(ctx.refs), cur, cur_outputs, out.output,
                        out.outputs, nxt, nxt_outputs, out.params, out.records, out.bflops, broken))


# faults darknet's parser survives (a message, then a zeroed layer or a mis-shared kernel): not where it stops
_SURVIVED = frozenset({"DN203", "DN220"})


def _sources(layers: list[Layer], refs, spec: LayerSpec | None):
    """The layers this one reads: the previous one (unless a [route]/[implicit]) and its references."""
    if spec is not None and spec.type not in ("route", "implicit") and layers:
        yield len(layers) - 1
    for r in refs:
        if 0 <= r < len(layers):
            yield r


def _poisoned(layers: list[Layer], refs, spec: LayerSpec | None, empty: set[int] = frozenset()) -> bool:
    """True when this layer's inputs come from a layer darknet would already have died at (an empty
    layer, which darknet builds and goes on from, is not one)."""
    return any(layers[k].broken and k not in empty for k in _sources(layers, refs, spec))


def _reads_empty(layers: list[Layer], refs, spec: LayerSpec | None, empty: set[int]) -> bool:
    return bool(empty) and any(k in empty for k in _sources(layers, refs, spec))


def _from_empty(d: Diagnostic, layers: list[Layer], refs, spec: LayerSpec, empty: set[int]) -> Diagnostic:
    """A stop caused by an empty layer names it (the cause is another finding: DN101, DN121)."""
    k = next((k for k in _sources(layers, refs, spec) if k in empty), None)
    if k is None:
        return d
    src = layers[k]
    what = "an unknown section, which darknet builds as an all-zero layer" if src.type == "blank" else \
        "empty: it reads only empty layers"
    return Diagnostic(d.code, f"{d.message} (layer {k} {src.section.header} is {what})", d.line, d.col, d.layer,
                      d.size, d.hint, d.related + ((src.section.line, f"layer {k} {src.section.header}: empty"),),
                      d.fix, d.end_col, d.severity, d.name, d.path, d.extra)


# ------------------------------------------------------------------------------------------------
# Fast paths. Per layer type, ``facts`` reads the keys once per plan (None: this layer always takes
# the general path; see FAST) and ``fast(facts, item, index, cur, cur_outputs, layers, broken)``
# builds the Layer for one input, or returns None when anything is unusual (a zero-sized input, a
# negative map, a mismatch that is a finding): the general path then computes it, faults included.
# So a fast path only ever has to reproduce the layer function's clean case, exactly: same Shape,
# same Params/Records, same float32 BFLOPs. ``broken`` is the previous layer's flag.

_new = tuple.__new__        # NamedTuple constructors are Python functions; the fast paths skip them
_pack, _unpack = _F32.pack, _F32.unpack
# Layer fields by position (a NamedTuple's attributes and subscripts are slow paths; itemgetter is one C call)
_NEXT = itemgetter(9, 10, 14)                   # next, next_outputs, broken
_PARAMS, _BFLOPS = itemgetter(11), itemgetter(13)
_WEIGHTS, _BIASES, _BN_SCALES, _BN_ROLLING = itemgetter(0), itemgetter(1), itemgetter(2), itemgetter(3)


def _prepare(p: Plan) -> list:
    """Per layer of ``p``: (fast, facts, None), or None for the general path (every layer of an unusable plan).

    Facts are computed once per group of twin sections; only the references of [route]/[shortcut]
    (absolute layer indices) are bound per layer.
    """
    items = p.items
    n = len(items)
    if not p.usable:
        return [None] * n
    twins = [t - 1 for t in p.doc.twins[1:]]   # per item, its first twin item (items are the layer sections)
    shared: dict[int, tuple | None] = {}
    bind: set[int] = set()
    fast_of = FAST.get
    for index in sorted(set(twins)):
        spec = items[index][1]
        entry = fast_of(spec.type) if spec is not None else None
        facts = entry[0](items[index][2]) if entry is not None else None
        shared[index] = (entry[1], facts, entry[2]) if facts is not None else None
        if facts is not None and entry[2] is not None:
            bind.add(index)
    out = list(map(shared.__getitem__, twins))
    if bind:
        for index in compress(count(), map(bind.__contains__, twins)):
            fast, facts, binder = out[index]
            facts = binder(facts, index)
            out[index] = (fast, facts, None) if facts is not None else None
    return out


def _refs(values: tuple[int, ...], index: int) -> tuple[int, ...] | None:
    """Absolute layer indices as ``Ctx.ref`` resolves them; None if one is not an earlier layer (a fault)."""
    refs = []
    for v in values:
        r = index + v if v < 0 else v
        if not 0 <= r < index:
            return None
        refs.append(r)
    return tuple(refs)


_CONV_KEYS = itemgetter("sway", "rotate", "stretch", "stretch_sway", "antialiasing", "share_index", "size",
                        "stride_x", "stride_y", "stride", "pad", "padding", "xnor", "groups", "filters",
                        "batch_normalize", "cbn")


def _conv_facts(k: dict) -> tuple | None:
    (sway, rotate, stretch, stretch_sway, aa, share_index, size, stride_x, stride_y, stride, pad, padding, xnor,
     groups, filters, bn, cbn) = _CONV_KEYS(k)   # one C call instead of 17 lookups
    if sway or rotate or stretch or stretch_sway or aa or share_index != -1000000000:
        return None
    sx = stride_x if stride_x >= 1 else stride
    sy = stride_y if stride_y >= 1 else stride
    if sx <= 0 or sy <= 0:
        return None
    padding = size // 2 if pad else padding
    groups = 1 if xnor or groups < 1 else groups     # layers.conv_groups, on the keys unpacked above
    return 2 * padding - size, sx, sy, filters, size, groups, bool(bn or cbn), bool(xnor), {}, {}


def _conv_fast(f: tuple, item: PlanItem, index: int, cur: Shape, cur_outputs: int, layers: list, broken: bool):
    # twin layers (one facts tuple) often meet the same input shape (the repeated blocks of a backbone):
    # the output, parameters and BFLOPs for an input are computed once (False: take the general path)
    found = f[9].get(cur)
    if found is None:
        found = f[9][cur] = _conv_out(f, cur)
    if found is False:
        return None
    out, outputs, counts, records, flops = found
    return _new(Layer, (index, "convolutional", item[0], item[2], (), cur, cur_outputs, out, outputs, out, outputs,
                        counts, records, flops, broken))


def _conv_out(f: tuple, cur: Shape):
    w, h, c = cur
    if not (w and h and c):
        return False
    add, sx, sy, n, size, groups, bn, xnor, records_by_c, _ = f
    a, b = w + add, h + add
    if a < 0 or b < 0:
        return False
    ow, oh = a // sx + 1, b // sy + 1       # C division is floor division for a non-negative dividend
    pr = records_by_c.get(c)
    if pr is None:
        pr = records_by_c[c] = _conv_records(c, n, size, groups, bn)
    counts, records = pr
    try:
        flops = _unpack(_pack(2.0 * counts[0] * oh * ow / 1e9))[0]
    except OverflowError:
        return False
    if xnor:
        flops = f32(flops / 32)
    return _new(Shape, (ow, oh, n)), ow * oh * n, counts, records, flops


def _pool_facts(k: dict) -> tuple | None:
    stride = k["stride"]
    sx = k["stride_x"] if k["stride_x"] is not None else stride
    sy = k["stride_y"] if k["stride_y"] is not None else stride
    size = k["size"] if k["size"] is not None else stride
    padding = k["padding"] if k["padding"] is not None else size - 1
    if k.get("antialiasing") or k.get("maxpool_depth") or sx <= 0 or sy <= 0:
        return None
    return padding - size, sx, sy, size


def _pool_fast(f: tuple, item: PlanItem, index: int, cur: Shape, cur_outputs: int, layers: list, broken: bool):
    w, h, c = cur
    if not (w and h and c):
        return None
    add, sx, sy, size = f
    a, b = w + add, h + add
    if a < 0 or b < 0:
        return None
    ow, oh = a // sx + 1, b // sy + 1
    flops = f32(wrap32(size * size * c * oh * ow) / 1e9)
    out = _new(Shape, (ow, oh, c))
    outputs = ow * oh * c
    return _new(Layer, (index, item[1].type, item[0], item[2], (), cur, cur_outputs, out, outputs, out, outputs,
                        NO_PARAMS, (), flops, broken))


def _route_facts(k: dict) -> tuple | None:
    if k["layers"] is None or k["groups"] == 0:
        return None
    return int_list(k["layers"]), k["groups"]


def _route_bind(f: tuple, index: int) -> tuple | None:
    refs = _refs(f[0], index)
    return None if refs is None else (refs, refs[0], refs[1:], f[1])


def _route_fast(f: tuple, item: PlanItem, index: int, cur: Shape, cur_outputs: int, layers: list, broken: bool):
    refs, first, rest, groups = f
    src = layers[first]
    out = src[7]                # Layer.output
    w, h, c = out
    outputs = src[8]
    broken = src[14]            # a [route] is poisoned by its sources only, not by the previous layer
    for r in rest:
        src = layers[r]
        o = src[7]
        if o[0] != w or o[1] != h:
            return None
        c += o[2]
        outputs += src[8]
        if src[14]:
            broken = True
    if rest or groups != 1:
        out = _new(Shape, (w, h, cdiv(c, groups)))
        outputs = cdiv(outputs, groups)
    return _new(Layer, (index, "route", item[0], item[2], refs, cur, cur_outputs, out, outputs, out, outputs,
                        NO_PARAMS, (), 0.0, broken))


def _shortcut_facts(k: dict) -> tuple | None:
    wt, wn = k["weights_type"], k["weights_normalization"]
    if k["from"] is None or wt not in ("none", "per_feature", "per_layer", "per_channel") or (
            wt != "none" and wn in ("none", None)):
        return None
    return int_list(k["from"]), wt, {}


def _shortcut_bind(f: tuple, index: int) -> tuple | None:
    refs = _refs(f[0], index)
    return None if refs is None else (refs, f[1], f[2])


def _shortcut_fast(f: tuple, item: PlanItem, index: int, cur: Shape, cur_outputs: int, layers: list, broken: bool):
    refs, wt, params_by_c = f
    for r in refs:
        src = layers[r]
        if src[7] != cur:       # a size mismatch (a fault) or a partial residual (a note)
            return None
        if src[14]:
            broken = True
    w, h, c = cur
    n = len(refs)
    pr = params_by_c.get(c)
    if pr is None:
        nweights = 0 if wt == "none" else (n + 1 if wt in ("per_feature", "per_layer") else (n + 1) * c)
        pr = params_by_c[c] = (Params(weights=nweights), (Record("weights", nweights),) if nweights else ())
    flops = wrap32(w * h * c * n) / 1e9
    flops = f32(flops * 2 if wt != "none" else flops)
    outputs = w * h * c
    return _new(Layer, (index, "shortcut", item[0], item[2], refs, cur, cur_outputs, cur, outputs, cur, outputs,
                        pr[0], pr[1], flops, broken))


def _upsample_facts(k: dict) -> tuple | None:
    return (k["stride"],) if k["stride"] >= 0 else None


def _upsample_fast(f: tuple, item: PlanItem, index: int, cur: Shape, cur_outputs: int, layers: list, broken: bool):
    s = f[0]
    w, h, c = cur
    out = _new(Shape, (w * s, h * s, c))
    outputs = w * s * h * s * c
    return _new(Layer, (index, "upsample", item[0], item[2], (), cur, cur_outputs, out, outputs, out, outputs,
                        NO_PARAMS, (), 0.0, broken))


def _yolo_facts(k: dict) -> tuple | None:
    return (yolo_anchor_count(k) * (k["classes"] + 5),)


def _yolo_fast(f: tuple, item: PlanItem, index: int, cur: Shape, cur_outputs: int, layers: list, broken: bool):
    w, h, _ = cur
    c = f[0]
    outputs = w * h * c
    if outputs != cur_outputs:
        return None
    out = _new(Shape, (w, h, c))
    return _new(Layer, (index, "yolo", item[0], item[2], (), cur, cur_outputs, out, outputs, out, outputs,
                        NO_PARAMS, (), 0.0, broken))


# layer type -> (facts, fast, bind). ``facts(conf)`` does not depend on the layer's index (twin
# sections share it); ``bind(facts, index)`` adds what does: the absolute indices of its references.
FAST = {"convolutional": (_conv_facts, _conv_fast, None), "maxpool": (_pool_facts, _pool_fast, None),
        "local_avgpool": (_pool_facts, _pool_fast, None), "route": (_route_facts, _route_fast, _route_bind),
        "shortcut": (_shortcut_facts, _shortcut_fast, _shortcut_bind),
        "upsample": (_upsample_facts, _upsample_fast, None), "yolo": (_yolo_facts, _yolo_fast, None)}
