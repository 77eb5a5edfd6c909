"""The one layer loop every reader target runs, on top of cfggen's layer registry.

A reader that knows a section type computes its shape with the same formula AlexeyAB does (the
``infer`` of ``cfggen.ir.layers``), but from the keys *it* reads, with *its* defaults and *its*
number parser: that is ``conf_for``. What a reader does when a formula finds a problem (abort,
crash, carry on) is the target's ``fault`` hook; checks a reader makes that AlexeyAB does not make are
its ``before``/``after`` hooks. A section the reader does not know is a blank 0x0x0 layer (pjreddie)
or a stop (the others), decided by ``spec_of``.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from cfggen.ir.cnum import atof, atoi
from cfggen.ir.layers import Ctx, Fault, LayerSpec, Out
from cfggen.ir.model import NO_PARAMS, ZERO, Layer, Shape
from cfggen.lint.model import Diagnostic
from cfggen.targets.model import ROption, RSection, Stop


def conf_for(spec: LayerSpec, sec: RSection, *, reads: frozenset[str] | None = None,
             defaults: dict[str, Any] | None = None, aliases: dict[str, str] | None = None,
             pick: Callable[[RSection, str], ROption | None] = RSection.first,
             to_int: Callable[[str], int] = atoi, to_float: Callable[[str], float] = atof,
             to_list: Callable[[str], str] | None = None) -> dict[str, Any]:
    """The keys a layer formula needs, as this reader reads them.

    ``reads``: the keys the reader looks up for this type (None: every key AlexeyAB reads); a key it
    does not read keeps the value that means "absent" to the formula. ``defaults``: the reader's own
    defaults where they differ. ``aliases``: formula key -> the key name this reader looks up.
    """
    conf = dict(spec.defaults)
    if defaults:
        conf.update(defaults)
    types = spec.types
    rev = {v: k for k, v in aliases.items()} if aliases else None
    lookup = sec.firsts if pick is RSection.first else sec.lasts
    for name, opt in lookup.items():
        key = rev.get(name, name) if rev else name
        if aliases and key == name and key in aliases:
            continue                      # the reader looks this formula key up under another name
        typ = types.get(key)
        if typ is None or (reads is not None and key not in reads) or opt.value is None:
            continue
        v = opt.value
        if typ == "i":
            conf[key] = to_int(v)
        elif typ == "f":
            conf[key] = to_float(v)
        elif typ == "l" and to_list is not None:
            conf[key] = to_list(v)
        else:
            conf[key] = v
    return conf


FaultHook = Callable[[int, RSection, Fault], Out]


def build_network(w: int, h: int, c: int, inputs: int, sections: list[RSection], *,
                  spec_of: Callable[[int, RSection], LayerSpec | None],
                  conf_of: Callable[[LayerSpec, RSection], dict],
                  fault: FaultHook,
                  before: Callable[..., None] | None = None,
                  after: Callable[..., None] | None = None,
                  adjust: Callable[[LayerSpec, Out], Out] | None = None,
                  base: "Reuse | None" = None) -> list[Layer]:
    """Propagate shapes through ``sections`` the way one reader does; ``Stop`` ends the walk.

    ``base``: AlexeyAB's layers and a test ``same(spec, sec, layer)`` that this reader reads the
    section exactly as AlexeyAB does. While every layer so far equals AlexeyAB's, such a layer is
    AlexeyAB's own (no second conf and infer): most layers of most files, in every reader.
    """
    cur, cur_outputs = Shape(w, h, c), inputs
    layers: list[Layer] = []
    new = tuple.__new__
    same_so_far = base is not None and (w, h, c, inputs) == base.input
    for index, sec in enumerate(sections):
        spec = spec_of(index, sec)
        mine = base.layers[index] if same_so_far and index < len(base.layers) else None
        if (mine is not None and spec is not None and mine.type == spec.type and index not in base.faulted
                and base.same(spec, sec, mine)):
            if before is not None:
                before(index, sec, spec, mine.conf, cur, layers)
            layer = mine             # AlexeyAB's own record (its section is the same lines)
            layers.append(layer)
            if after is not None:
                after(index, sec, spec, mine.conf, layer, layers)
            cur, cur_outputs = mine.next, mine.next_outputs
            continue
        conf = conf_of(spec, sec) if spec is not None else {}
        if before is not None:
            before(index, sec, spec, conf, cur, layers)
        ctx = Ctx(index, cur, cur_outputs, layers, {})
        if spec is None:
            out, type_ = Out(ZERO, 0), "blank"
        else:
            type_ = spec.type
            try:
                out = spec.infer(ctx, conf)
            except Fault as f:
                out = fault(index, sec, f)
            except ZeroDivisionError:
                out = fault(index, sec, Fault("DN211", "a zero in this layer's keys divides by zero (SIGFPE)"))
            if adjust is not None:
                out = adjust(spec, out)
        nxt = out.next if out.next is not None else out.output
        nxt_outputs = out.next_outputs if out.next_outputs is not None else out.outputs
        layer = new(Layer, (index, type_, sec, conf, tuple(ctx.refs), cur, cur_outputs, out.output, out.outputs,
                            nxt, nxt_outputs, out.params if spec else NO_PARAMS, out.records, out.bflops, False))
        layers.append(layer)
        if after is not None:
            after(index, sec, spec, conf, layer, layers)
        cur, cur_outputs = nxt, nxt_outputs
        if same_so_far:
            same_so_far = mine is not None and (layer.output, layer.outputs, layer.next, layer.next_outputs) == (
                mine.output, mine.outputs, mine.next, mine.next_outputs)
    return layers


CHECKED_TYPES = frozenset({"shortcut", "route", "scale_channels", "sam", "softmax", "yolo", "gaussian_yolo",
                           "region", "detection", "contrastive", "dropout"})


class Reuse:
    """AlexeyAB's network for a reader to take layers from (see ``build_network``)."""

    __slots__ = ("layers", "faulted", "same", "input")

    def __init__(self, base, same: Callable[[LayerSpec, RSection, Layer], bool]):
        net = base.network
        self.layers = net.layers if net is not None else ()
        # layers where AlexeyAB's formula may have reported something: each reader decides for itself
        # there. A formula that stops darknet marks the layer broken; the types listed can also report a
        # problem darknet survives (an assert an NDEBUG build skips, a message), and so can a convolution
        # that shares another's kernel (its only reference: share_index, DN220).
        self.faulted = frozenset(L.index for L in self.layers if L.broken or L.type in CHECKED_TYPES
                                 or L.refs and L.type == "convolutional")
        self.same = same
        p = base.plan.net
        self.input = (net.width, net.height, net.channels, p.get("inputs")) if net is not None else None


_CANONICAL_LIST = re.compile(r"-?\d+(?:,-?\d+)*")
REF_LISTS = ("layers", "from", "mask")


def same_options(sec: RSection, layer: Layer, reads: frozenset[str] | None, spec: LayerSpec) -> bool:
    """True when a reader that looks up ``reads`` (None: every key AlexeyAB reads), first duplicate
    winning, sees exactly the values AlexeyAB used for ``layer``: then its conf is AlexeyAB's."""
    types = spec.types
    theirs = layer.section
    seen = 0
    for o in theirs.options:
        if o.form != "ok" or o.key not in types:
            if o.form == "noeq" and o.key in types:
                return False
            continue
        if reads is not None and o.key not in reads:
            return False
        mine = sec.firsts.get(o.key)
        if mine is None or mine.value != o.value:
            return False
        if o.key in REF_LISTS and not _CANONICAL_LIST.fullmatch(o.value):
            return False
        seen += 1
    # nothing the reader reads that AlexeyAB did not
    return seen == len(sec.firsts.keys() & types.keys())



def finding(code: str, message: str, line: int, col: int = 1, *, severity: str = "error", name: str = "",
            layer: int | None = None, hint: str | None = None, path: str = "") -> Diagnostic:
    return Diagnostic(code, message, line=line, col=col, layer=layer, hint=hint, severity=severity, name=name,
                      path=path)


def stop_finding(stop: Stop, names: dict[str, tuple[str, str]], path: str) -> Diagnostic:
    slug = names.get(stop.code, ("", "error"))[0]
    msg = stop.message
    if stop.status == "crash" and not msg.startswith("crash"):
        msg = f"crash: {msg}"
    return finding(stop.code, msg, stop.line, stop.col, severity="error", name=slug, layer=stop.layer,
                   hint=stop.hint, path=path)


def located(sec: RSection, key: str | None, pick=RSection.first) -> tuple[int, int]:
    if key:
        opt = pick(sec, key)
        if opt is not None:
            return opt.line, opt.col
    return sec.line, sec.col


def compare_layers(mine: list[Layer], theirs: tuple[Layer, ...]) -> int | None:
    """Index of the first layer whose output differs (its size, or its shape where both have one), or None.

    A layer struct without out_w/out_h/out_c (pjreddie's [rnn]) is no difference in the network.
    """
    for a, b in zip(mine, theirs):
        if a.outputs != b.outputs or (any(a.output) and any(b.output) and a.output != b.output):
            return a.index
    return None
