"""Document -> Network: darknet's ``parse_network_cfg`` without the allocations.

``plan(doc)`` reads every section's keys once (size-independent); ``infer(plan, size)`` propagates
shapes for one input size. Validating every multi-scale training size re-runs only ``infer``.
Findings that come from darknet's own behaviour while building (an exit, an assert, a crash, a
silently truncated add) are returned with the network; everything else is a lint rule.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from cfggen.cfg.model import Document, Section
from cfggen.ir.cnum import INT_MAX, atof, atoi, f32
from cfggen.ir.layers import LAYERS, NET_DEFAULTS, NET_TYPES, Ctx, Fault, LayerSpec, Out
from cfggen.ir.model import ZERO, Layer, Network, Shape, Totals
from cfggen.findings import Diagnostic


class PlanItem(NamedTuple):   # a NamedTuple: one per layer section, built in the hot loop
    section: Section
    spec: LayerSpec | None      # None: a section darknet does not recognise
    conf: dict[str, Any]


@dataclass(frozen=True)
class Plan:
    doc: Document
    net: dict[str, Any]
    items: tuple[PlanItem, ...]
    usable: bool                # False: darknet cannot even start (no [net], no input size)
    findings: tuple[Diagnostic, ...]


def read_conf(section: Section, types: dict[str, str], defaults: dict[str, Any]) -> dict[str, Any]:
    """The keys darknet reads from a section: first occurrence wins, values converted like atoi/atof."""
    conf = dict(defaults)
    # walk backwards so that the first occurrence of a duplicated key is written last and wins
    for opt in reversed(section.options):
        key, value, form = opt[0], opt[1], opt[5]
        typ = types.get(key)
        if typ is None or form != "ok":
            if typ is not None and form == "noeq":
                conf[key] = defaults[key]   # found but valueless: darknet uses the default
            continue
        if typ == "i":
            # the common case (a plain non-negative int) without atoi's regex
            conf[key] = int(value) if len(value) < 10 and value.isdigit() and value.isascii() else atoi(value)
        elif typ == "f":
            conf[key] = atof(value)
        else:
            conf[key] = value       # strings and lists are kept as text
    return conf


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
    net = read_conf(net_section, NET_TYPES, NET_DEFAULTS)
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
    items = []
    new = tuple.__new__
    for section in doc.layer_sections:
        spec = LAYERS.get(section.header)
        conf = read_conf(section, spec.types, spec.defaults) if spec else {}
        items.append(new(PlanItem, (section, spec, conf)))
    return Plan(doc, net, tuple(items), usable, tuple(findings))


def _locate(section: Section, key: str | None) -> tuple[int, int]:
    if key:
        opt = section.get(key)
        if opt is not None:
            return opt.line, opt.col
    return section.line, section.col


def _finding(item: PlanItem, index: int, fault: Fault, size: tuple[int, int] | None) -> Diagnostic:
    line, col = _locate(item.section, fault.key)
    related = ((item.section.line, f"layer {index} {item.section.header}"),) if line != item.section.line else ()
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
    findings: list[Diagnostic] = []
    total = 0.0
    params = floats = 0
    new = tuple.__new__  # Layer's own constructor is a Python function; this is the hot loop
    for index, item in enumerate(p.items):
        spec = item.spec
        ctx = Ctx(index, cur, cur_outputs, layers, net)
        broken = not p.usable
        if spec is None:
            # darknet inserts an all-zero layer; the unknown section itself is a lint finding (DN101)
            out, broken, type_ = Out(ZERO, 0), True, "blank"
        else:
            type_ = spec.type
            try:
                out = spec.infer(ctx, item.conf)
            except Fault as fault:
                out = fault.output or Out(ZERO, 0)
                poisoned = broken or _poisoned(layers, ctx, spec)
                if not poisoned:
                    findings.append(_finding(item, index, fault, where))
                broken = broken or poisoned or fault.fatal
            except ZeroDivisionError:
                out, broken = Out(ZERO, 0), True
                if not _poisoned(layers, ctx, spec):
                    findings.append(_finding(item, index, Fault(
                        "DN211", "a zero in this layer's keys makes darknet divide by zero (SIGFPE)"), where))
            else:
                if not broken and (ctx.refs or (layers and layers[-1].broken)) and _poisoned(layers, ctx, spec):
                    broken = True
            if not broken:
                for note in ctx.notes:
                    findings.append(_finding(item, index, note, where))
        nxt = out.next if out.next is not None else out.output
        nxt_outputs = out.next_outputs if out.next_outputs is not None else out.outputs
        layer = new(Layer, (index, type_, item.section, item.conf, tuple(ctx.refs), cur, cur_outputs, out.output,
                            out.outputs, nxt, nxt_outputs, out.params, out.records, out.bflops, broken))
        layers.append(layer)
        params += out.params.weights + out.params.biases + out.params.bn_scales
        floats += out.params.bn_rolling
        if broken and stop_at_break and p.usable:
            break
        if out.bflops > 0:
            total = f32(total + out.bflops)
        cur, cur_outputs = nxt, nxt_outputs
    totals = Totals(params, params + floats, total, "%5.3f" % total)
    return Network(w0, h0, c0, tuple(layers), totals, net), findings


def _poisoned(layers: list[Layer], ctx: Ctx, spec: LayerSpec) -> bool:
    """True when this layer's inputs come from a layer darknet would already have died at."""
    if spec.type not in ("route", "implicit") and layers and layers[-1].broken:
        return True
    return any(0 <= r < len(layers) and layers[r].broken for r in ctx.refs)
