"""The one layer loop every reader target runs, on top of cfggen's layer registry.

A reader that knows a section type computes its shape with the same formula AlexeyAB does (the
``infer`` of ``cfggen.ir.layers``), but from the keys *it* reads, with *its* defaults and *its*
number parser: that is ``conf_for``. What a reader does when a formula finds a problem (abort,
crash, carry on) is the target's ``fault`` hook; checks a reader makes that AlexeyAB does not make are
its ``before``/``after`` hooks. A section the reader does not know is a blank 0x0x0 layer (pjreddie)
or a stop (the others), decided by ``spec_of``.
"""
from __future__ import annotations

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
    for key, typ in spec.types.items():
        if reads is not None and key not in reads:
            continue
        opt = pick(sec, aliases.get(key, key) if aliases else key)
        if opt is None or opt.value is None:
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
                  adjust: Callable[[LayerSpec, Out], Out] | None = None) -> list[Layer]:
    """Propagate shapes through ``sections`` the way one reader does; ``Stop`` ends the walk."""
    cur, cur_outputs = Shape(w, h, c), inputs
    layers: list[Layer] = []
    new = tuple.__new__
    for index, sec in enumerate(sections):
        spec = spec_of(index, sec)
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
    return layers


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
