"""The layer table: one ``LayerSpec`` per darknet section type (reference §3, §5).

Each entry declares the section headers that select it, the keys darknet's ``parse_*`` function
reads (with type and default, which also drives the unknown-key and bad-value rules), whether
``resize_network`` can resize it, and an ``infer`` function that computes the output shape,
parameters, weights-file records and BFLOPs exactly as darknet does (C truncating division,
32-bit int products, float32 BFLOPs). Adding a layer type means adding one decorated function here.
"""
from __future__ import annotations

import functools
from collections import namedtuple
from typing import Any, Callable

from cfggen.ir.cnum import atof, atoi, cdiv, f32, int_list, wrap32
from cfggen.ir.model import NO_PARAMS, Params, Record, Shape, ZERO


class Out(namedtuple("Out", "output outputs params records bflops next next_outputs",
                     defaults=(NO_PARAMS, (), 0.0, None, None))):
    """What a layer's infer function returns (a namedtuple subclass: see cfggen.ir.model)."""

    __slots__ = ()
    output: Shape
    outputs: int
    params: Params                   # default NO_PARAMS
    records: tuple[Record, ...]      # default ()
    bflops: float                    # default 0.0
    next: Shape | None               # only when the next layer sees something else (antialiasing)
    next_outputs: int | None


class Fault(Exception):
    """Darknet stops at this layer (error exit, assert, crash): infer raises it with a finding."""

    def __init__(self, code: str, message: str, key: str | None = None, hint: str | None = None,
                 output: Out | None = None, fatal: bool = True):
        super().__init__(message)
        self.code, self.message, self.key, self.hint, self.output = code, message, key, hint, output
        # fatal: nothing after this layer can be trusted (darknet exits and we have no shape to go on);
        # not fatal: darknet stops too, but the shape it would continue with (e.g. in an NDEBUG build) is
        # known, so later layers are still checked.
        self.fatal = fatal if output is not None else True


class LayerSpec:
    """One darknet section type (read-only). A slotted class rather than a dataclass: cheaper to import."""

    __slots__ = ("type", "headers", "types", "defaults", "infer", "resizable", "needs_image", "spatial")
    type: str                                 # darknet's layer enum, lower-case
    headers: tuple[str, ...]                  # exact section headers, brackets included
    types: dict[str, str]                     # key -> "i" int, "f" float, "s" string, "l" list
    defaults: dict[str, Any]                  # key -> default (None: absent / depends on others)
    infer: Callable[["Ctx", dict], Out]
    resizable: bool
    needs_image: bool                         # "Layer before ... must output image"
    spatial: bool                             # False: output has no w/h/c, only `outputs`

    def __init__(self, type: str, headers: tuple[str, ...], types: dict[str, str], defaults: dict[str, Any],
                 infer: Callable[["Ctx", dict], Out], resizable: bool = True, needs_image: bool = False,
                 spatial: bool = True):
        for name, value in zip(self.__slots__, (type, headers, types, defaults, infer, resizable, needs_image,
                                                 spatial)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}: a LayerSpec is read-only")

    def __reduce__(self):   # pickling would otherwise restore the slots through __setattr__
        return LayerSpec, tuple(getattr(self, name) for name in self.__slots__)

    def __repr__(self) -> str:
        return f"LayerSpec(type={self.type!r}, headers={self.headers!r})"


# Keys read for every layer section, recognised or not (reference §3.0).
COMMON_KEYS = {"learning_rate": "f", "stopbackward": "i", "onlyforward": "i", "dont_update": "i",
               "burnin_update": "i", "train_only_bn": "i", "dontload": "i", "dontloadscales": "i",
               "clip": "f"}

LAYERS: dict[str, LayerSpec] = {}        # section header -> spec
SECTION_NAMES: set[str] = {"net", "network"}   # every darknet section name, lower-case, no brackets
BY_TYPE: dict[str, LayerSpec] = {}       # layer type -> spec


def _parse_keys(decl: str) -> tuple[dict[str, str], dict[str, Any]]:
    """``"filters:i=1 activation:s=logistic mask:l"`` -> ({key: type}, {key: default})."""
    types: dict[str, str] = {}
    defaults: dict[str, Any] = {}
    for item in decl.split():
        name, _, rest = item.partition(":")
        typ, _, default = rest.partition("=")
        types[name] = typ
        if not default:
            defaults[name] = None
        elif typ == "i":
            defaults[name] = int(default)
        elif typ == "f":
            defaults[name] = float(default)
        else:
            defaults[name] = default
    return types, defaults


def layer(type_: str, headers: tuple[str, ...], keys: str = "", *, resizable: bool = True,
          needs_image: bool = False, spatial: bool = True):
    types, defaults = _parse_keys(keys)

    def register(fn: Callable[["Ctx", dict], Out]) -> Callable[["Ctx", dict], Out]:
        spec = LayerSpec(type_, headers, types, defaults, fn, resizable, needs_image, spatial)
        for h in headers:
            LAYERS[h] = spec
            SECTION_NAMES.add(h[1:-1].lower())
        BY_TYPE[type_] = spec
        return fn
    return register


def convert(typ: str, value: str | None) -> Any:
    if value is None:
        return None
    if typ == "i":
        return atoi(value)
    if typ == "f":
        return atof(value)
    return value


class Ctx:
    """What a layer's infer function may look at: its input and the layers built before it."""

    __slots__ = ("index", "inp", "inputs", "layers", "net", "refs", "notes")

    def __init__(self, index: int, inp: Shape, inputs: int, layers: list, net: dict):
        self.index = index
        self.inp = inp
        self.inputs = inputs
        self.layers = layers
        self.net = net
        self.refs: list[int] = []
        self.notes: list[Fault] = []

    def note(self, code: str, message: str, key: str | None = None, hint: str | None = None) -> None:
        """A finding about this layer that does not stop darknet."""
        self.notes.append(Fault(code, message, key, hint))

    def ref(self, value: int, key: str):
        """Resolve a layer reference (negative = relative) and return that layer.

        Out of range or not-yet-built targets are faults: darknet reads garbage or zeros there.
        """
        target = self.index + value if value < 0 else value
        self.refs.append(target)
        if target >= self.index:
            what = "itself" if target == self.index else f"layer {target}, which comes later"
            raise Fault("DN207", f"{key}={value} refers to {what}; darknet reads an all-zero layer there",
                        key=key, hint="references must point to earlier layers (negative = relative)")
        if target < 0:
            raise Fault("DN206", f"{key}={value} resolves to layer {target}, before the first layer; "
                        "darknet reads outside its layer array", key=key)
        return self.layers[target]


# ------------------------------------------------------------------------------------------------
# shared formulas

_new = tuple.__new__

def _image_required(ctx: Ctx, name: str) -> None:
    w, h, c = ctx.inp
    if not (w and h and c):
        raise Fault("DN209", f"the input of this [{name}] is {w}x{h}x{c}: darknet exits "
                    f"'Layer before {name} layer must output image'",
                    hint="a spatial layer cannot follow a layer without a spatial output")


def _blur(shape: Shape, mode: int, sx: int, sy: int) -> Shape:
    """Antialiasing blur (a fixed depthwise conv) after a stride-1 conv/maxpool (reference §3.1)."""
    k, p = (2, 0) if mode == 2 else (3, 1)
    return Shape(cdiv(shape.w + 2 * p - k, sx) + 1, cdiv(shape.h + 2 * p - k, sy) + 1, shape.c)


def conv_groups(conf) -> int:
    """The groups a darknet conv computes with (``make_convolutional_layer``): forced to 1 by ``xnor``,
    values below 1 become 1. ``conf``: the layer's keys (missing ones at their defaults)."""
    groups = conf.get("groups", 1)
    return 1 if conf.get("xnor") or groups < 1 else groups


@functools.lru_cache(maxsize=4096)  # the same few kernels recur across layers, files and training sizes
def _conv_records(c_in: int, n: int, size: int, groups: int, bn: bool, sub: str = "") -> tuple[Params, tuple[Record, ...]]:
    nweights = cdiv(c_in, groups) * n * size * size
    recs = [Record("biases", n, sub)]
    if bn:
        recs += [Record("scales", n, sub), Record("rolling_mean", n, sub), Record("rolling_variance", n, sub)]
    recs.append(Record("weights", nweights, sub))
    return Params(nweights, n, n if bn else 0, 2 * n if bn else 0), tuple(recs)


def _conv_out(w: int, h: int, size: int, sx: int, sy: int, padding: int) -> tuple[int, int]:
    if sx == 0 or sy == 0:
        raise Fault("DN211", "stride 0: darknet divides by zero (SIGFPE) while computing the output size",
                    key="stride")
    return cdiv(w + 2 * padding - size, sx) + 1, cdiv(h + 2 * padding - size, sy) + 1


def _conv_flops(nweights: int, ow: int, oh: int) -> float:
    return f32(2.0 * nweights * oh * ow / 1e9)


def _connected_records(inputs: int, outputs: int, bn: bool, sub: str = "") -> tuple[Params, tuple[Record, ...]]:
    recs = [Record("biases", outputs, sub), Record("weights", inputs * outputs, sub)]
    if bn:
        recs += [Record("scales", outputs, sub), Record("rolling_mean", outputs, sub),
                 Record("rolling_variance", outputs, sub)]
    return Params(inputs * outputs, outputs, outputs if bn else 0, 2 * outputs if bn else 0), tuple(recs)


def _sub_convs(ctx: Ctx, k: dict, plan: list[tuple[str, int, int]]) -> tuple[Params, tuple[Record, ...], float, int, int]:
    """Recurrent conv layers: ``plan`` = [(name, in_channels, filters)], all on the input W x H."""
    size, stride = k["size"], k["stride"]
    padding = size // 2 if k["pad"] else k["padding"]
    groups = conv_groups(k)       # each sub-layer is a make_convolutional_layer given the layer's xnor
    bn = bool(k["batch_normalize"])
    ow, oh = _conv_out(ctx.inp.w, ctx.inp.h, size, stride, stride, padding)
    total, recs, flops = NO_PARAMS, [], 0.0
    for name, c_in, n in plan:
        p, r = _conv_records(c_in, n, size, groups, bn, name)
        sub = _conv_flops(p.weights, ow, oh)
        total, flops = total.plus(p), f32(flops + (f32(sub / 32) if k["xnor"] else sub))
        recs.extend(r)
    return total, tuple(recs), flops, ow, oh


def _same(ctx: Ctx) -> Out:
    return Out(ctx.inp, ctx.inputs)


# ------------------------------------------------------------------------------------------------
# the table

@layer("convolutional", ("[convolutional]", "[conv]"),
       "filters:i=1 groups:i=1 size:i=1 stride:i=1 stride_x:i=-1 stride_y:i=-1 dilation:i=1 "
       "antialiasing:i=0 pad:i=0 padding:i=0 activation:s=logistic assisted_excitation:f=0 "
       "share_index:i=-1000000000 batch_normalize:i=0 cbn:i=0 binary:i=0 xnor:i=0 bin_output:i=0 "
       "sway:i=0 rotate:i=0 stretch:i=0 stretch_sway:i=0 flipped:i=0 dot:f=0 angle:f=15 "
       "grad_centr:i=0 reverse:f=0 coordconv:i=0 stream:i=-1 wait_stream:i=-1",
       needs_image=True)
def _convolutional(ctx: Ctx, k: dict) -> Out:
    _image_required(ctx, "convolutional")
    w, h, c = ctx.inp
    n, size = k["filters"], k["size"]
    sx = k["stride_x"] if k["stride_x"] >= 1 else k["stride"]
    sy = k["stride_y"] if k["stride_y"] >= 1 else k["stride"]
    padding = size // 2 if k["pad"] else k["padding"]
    groups = conv_groups(k)
    if k["sway"] or k["rotate"] or k["stretch"] or k["stretch_sway"]:
        if sum(1 for key in ("sway", "rotate", "stretch", "stretch_sway") if k[key]) > 1:
            raise Fault("DN211", "more than one of sway/rotate/stretch/stretch_sway is set; darknet exits")
        if size == 1:
            raise Fault("DN211", "sway/rotate/stretch need size >= 3; darknet exits with size=1", key="size")
    aa = k["antialiasing"]
    ow, oh = _conv_out(w, h, size, 1 if aa else sx, 1 if aa else sy, padding)
    params, records = _conv_records(c, n, size, groups, bool(k["batch_normalize"] or k["cbn"]))
    flops = _conv_flops(params.weights, ow, oh)
    if k["xnor"]:
        flops = f32(flops / 32)
    mismatch = None
    if k["share_index"] != -1000000000:
        mismatch = _share_mismatch(ctx.ref(k["share_index"], "share_index"), size, c, n, params.weights)
        params, records = NO_PARAMS, ()
    out = _new(Shape, (ow, oh, n))   # NamedTuple constructors are Python functions: this is the hot layer
    if aa:
        nxt = _blur(out, aa, sx, sy)
        res = Out(out, ow * oh * n, params, records, flops, nxt, nxt.w * nxt.h * nxt.c)
    else:
        res = _new(Out, (out, ow * oh * n, params, records, flops, None, None))
    if mismatch is not None:
        raise Fault("DN220", mismatch, key="share_index", output=res, fatal=False,
                    hint="share_index must name a [convolutional] with the same size, filters and input channels")
    return res


_SHARE_MESSAGE = '"Layer size, nweights, channels or filters don\'t match for the share_layer"'


def _share_mismatch(owner, size: int, c: int, n: int, nweights: int) -> str | None:
    """What AlexeyAB does when this conv's kernel differs from its ``share_index`` layer's (None: they match).

    ``make_convolutional_layer`` compares size, nweights, input channels and filters, prints a message,
    waits on ``getchar()`` and goes on: it takes the owner's weight and bias arrays and writes this layer's
    ``nweights`` initial weights into them. Past the owner's array that is a heap overflow (a stop, DN211);
    within it, a network whose shared layer computes with weights laid out for another kernel (DN220)."""
    said = f"darknet prints {_SHARE_MESSAGE}, waits for Enter"
    if owner.type != "convolutional":
        raise Fault("DN211", f"share_index points to layer {owner.index} ({owner.type}), not a convolutional "
                    f"layer: {said}, then writes this layer's initial weights through that layer's weight "
                    "pointer (a crash: segmentation fault, or memory corruption where it has weights)",
                    key="share_index")
    conf = owner.conf
    osize, oc, on = conf["size"], owner.input.c, owner.output.c
    ogroups = conv_groups(conf)
    onweights = _conv_records(oc, on, osize, ogroups, False)[0].weights
    if (osize, onweights, oc, on) == (size, nweights, c, n):
        return None
    kernels = (f"layer {owner.index}'s kernel is {osize}x{osize}, {oc} -> {on} channels ({onweights} weights), "
               f"this layer's {size}x{size}, {c} -> {n} ({nweights} weights)")
    if nweights > onweights:
        raise Fault("DN211", f"share_index: {kernels}; {said}, then writes this layer's {nweights} initial "
                    f"weights into layer {owner.index}'s {onweights} (a heap overflow: a crash or corrupt memory)",
                    key="share_index")
    past = (f", and its biases (and batch-norm values) past the {on} of layer {owner.index} are read from "
            "beyond that layer's arrays") if n > on else ""
    return (f"share_index: {kernels}; {said} and goes on: this layer computes with the first {nweights} of "
            f"layer {owner.index}'s weights, laid out for the other kernel{past}")


@layer("connected", ("[connected]", "[conn]"), "output:i=1 activation:s=logistic batch_normalize:i=0",
       resizable=False)
def _connected(ctx: Ctx, k: dict) -> Out:
    params, records = _connected_records(ctx.inputs, k["output"], bool(k["batch_normalize"]))
    return Out(Shape(1, 1, k["output"]), k["output"], params, records)


def _pool(ctx: Ctx, k: dict, name: str, depth: bool) -> Out:
    _image_required(ctx, name)
    w, h, c = ctx.inp
    stride = k["stride"]
    sx = k["stride_x"] if k["stride_x"] is not None else stride
    sy = k["stride_y"] if k["stride_y"] is not None else stride
    size = k["size"] if k["size"] is not None else stride
    padding = k["padding"] if k["padding"] is not None else size - 1
    aa = k.get("antialiasing", 0)
    if depth and k["maxpool_depth"]:
        out = Shape(w, h, k["out_channels"])
    else:
        px, py = (1, 1) if aa else (sx, sy)
        if px == 0 or py == 0:
            raise Fault("DN211", "stride 0: darknet divides by zero (SIGFPE) while computing the output size",
                        key="stride")
        out = Shape(cdiv(w + padding - size, px) + 1, cdiv(h + padding - size, py) + 1, c)
    flops = f32(wrap32(size * size * c * out.h * out.w) / 1e9)
    if aa:
        nxt = _blur(out, aa, sx, sy)
        return Out(out, out.w * out.h * out.c, NO_PARAMS, (), flops, nxt, nxt.w * nxt.h * nxt.c)
    return Out(out, out.w * out.h * out.c, NO_PARAMS, (), flops)


@layer("maxpool", ("[maxpool]", "[max]"),
       "stride:i=1 stride_x:i stride_y:i size:i padding:i maxpool_depth:i=0 out_channels:i=1 antialiasing:i=0 "
       "maxpool_zero_nonmax:i=0", needs_image=True)
def _maxpool(ctx: Ctx, k: dict) -> Out:
    return _pool(ctx, k, "maxpool", depth=True)


@layer("local_avgpool", ("[local_avgpool]", "[local_avg]"), "stride:i=1 stride_x:i stride_y:i size:i padding:i",
       needs_image=True)
def _local_avgpool(ctx: Ctx, k: dict) -> Out:
    return _pool(ctx, k, "local_avgpool", depth=False)


@layer("avgpool", ("[avgpool]", "[avg]"), needs_image=True)
def _avgpool(ctx: Ctx, k: dict) -> Out:
    _image_required(ctx, "avgpool")
    return Out(Shape(1, 1, ctx.inp.c), ctx.inp.c)


@layer("route", ("[route]",), "layers:l groups:i=1 group_id:i=0 stream:i=-1 wait_stream:i=-1")
def _route(ctx: Ctx, k: dict) -> Out:
    if k["layers"] is None:
        raise Fault("DN208", "[route] without layers=: darknet exits 'Route Layer must specify input layers'",
                    hint="add layers=-1 (relative) or an absolute layer index")
    srcs = [ctx.ref(v, "layers") for v in int_list(k["layers"])]
    first = srcs[0]
    w, h, c = first.output
    outputs = 0
    mismatch = []
    for src in srcs:
        outputs += src.outputs
    for src in srcs[1:]:
        if src.output.w == first.output.w and src.output.h == first.output.h:
            c += src.output.c
        else:
            w = h = c = 0
            mismatch.append(src)
    groups = k["groups"]
    if groups == 0:
        raise Fault("DN211", "groups=0: darknet divides by zero (SIGFPE)", key="groups")
    out = Out(Shape(w, h, cdiv(c, groups)), cdiv(outputs, groups))
    if mismatch:
        parts = ", ".join(f"layer {s.index} is {s.output.w}x{s.output.h}" for s in mismatch)
        raise Fault("DN203", f"[route] concatenates maps of different sizes: layer {first.index} is "
                    f"{first.output.w}x{first.output.h}, {parts}; darknet zeroes the route "
                    "(and exits when training resizes)", key="layers", output=out,
                    hint="check layers= (one may point one block off); if the maps differ only at some input "
                    "sizes, use sizes that are a multiple of the network's total stride")
    return out


@layer("shortcut", ("[shortcut]",), "from:l activation:s=linear weights_type:s=none weights_normalization:s")
def _shortcut(ctx: Ctx, k: dict) -> Out:
    if k["from"] is None:
        raise Fault("DN208", "[shortcut] without from=: darknet crashes (segmentation fault)",
                    hint="add from=-3 (relative) or an absolute layer index")
    srcs = [ctx.ref(v, "from") for v in int_list(k["from"])]
    w, h, c = ctx.inp
    n = len(srcs)
    wt = k["weights_type"]
    if wt not in ("none", "per_feature", "per_layer", "per_channel"):
        raise Fault("DN116", f"weights_type={wt} is not one of none, per_feature, per_channel; darknet exits",
                    key="weights_type")
    wn = k["weights_normalization"]
    if wt != "none" and wn in ("none", None):
        # parse_shortcut's last branch tests weights_type, not the normalisation (reference §12.4)
        given = "no weights_normalization" if wn is None else "weights_normalization=none"
        raise Fault("DN116", f"weights_type={wt} with {given}: darknet exits 'Incorrect weights_normalization'",
                    key="weights_type" if wn is None else "weights_normalization",
                    hint="a weighted shortcut needs weights_normalization=relu (or avg_relu, softmax)")
    nweights = 0 if wt == "none" else (n + 1 if wt in ("per_feature", "per_layer") else (n + 1) * c)
    params = Params(weights=nweights)
    records = (Record("weights", nweights),) if nweights else ()
    flops = wrap32(w * h * c * n) / 1e9
    flops = f32(flops * 2 if wt != "none" else flops)
    out = Out(Shape(w, h, c), w * h * c, params, records, flops)
    for src in srcs:
        sw, sh, sc = src.output
        if (sw, sh) != (w, h):
            raise Fault("DN201", f"[shortcut] adds layer {src.index}'s {sw}x{sh}x{sc} to the previous layer's "
                        f"{w}x{h}x{c}; the maps differ in size and darknet aborts (assert)", key="from",
                        output=out, fatal=False)
        if sc != c:
            part = (f"only the first {c} of the {sc} channels of layer {src.index} ({sw}x{sh}x{sc}) to the previous "
                    f"layer's {w}x{h}x{c}" if sc > c else f"the {sc} channels of layer {src.index} ({sw}x{sh}x{sc}) "
                    f"to only the first {sc} of the previous layer's {w}x{h}x{c}")
            ctx.note("DN202", f"[shortcut] adds {part}: a partial residual; intended?", key="from",
                     hint="if intended, put '# cfggen: disable-next-line DN202' above the [shortcut] line; "
                     "otherwise make the channel counts equal")
    return out


def _from_layer(ctx: Ctx, k: dict, name: str):
    """[scale_channels]/[sam]: one `from` layer (atoi: only the first of a list counts), whose shape they output."""
    if k["from"] is None:
        raise Fault("DN208", f"[{name}] without from=: darknet crashes (segmentation fault)")
    src = ctx.ref(atoi(k["from"]), "from")
    w2, h2, c2 = src.output
    return src, Out(Shape(w2, h2, c2), w2 * h2 * c2)


def channels_agree(type_: str, scale_wh: int, c: int, c2: int) -> bool:
    """The part of a [scale_channels]/[sam] check that no input size changes: whether its input's
    channel count ``c`` fits the ``from`` layer's ``c2`` (``cfggen.ir.spatial`` relies on it too)."""
    if type_ == "scale_channels" and scale_wh:
        return c == 1
    return c == c2


@layer("scale_channels", ("[scale_channels]",), "from:l scale_wh:i=0 activation:s=linear")
def _scale_channels(ctx: Ctx, k: dict) -> Out:
    src, out = _from_layer(ctx, k, "scale_channels")
    w, h, c = ctx.inp
    w2, h2, c2 = src.output
    wh = k["scale_wh"]
    ok = channels_agree("scale_channels", wh, c, c2) and ((w, h) == (w2, h2) if wh else (w, h) == (1, 1))
    want = f"{w2}x{h2}x1" if wh else f"1x1x{c2}"
    if not ok:
        raise Fault("DN204", f"[scale_channels] scales layer {src.index}'s {w2}x{h2}x{c2} by a {w}x{h}x{c} "
                    f"input; it must be {want} (darknet asserts)", key="from", output=out, fatal=False)
    return out


@layer("sam", ("[sam]",), "from:l activation:s=linear")
def _sam(ctx: Ctx, k: dict) -> Out:
    src, out = _from_layer(ctx, k, "sam")
    w2, h2, c2 = src.output
    w, h, c = ctx.inp
    if (w, h) != (w2, h2) or not channels_agree("sam", 0, c, c2):
        raise Fault("DN205", f"[sam] multiplies layer {src.index}'s {w2}x{h2}x{c2} by the previous layer's "
                    f"{ctx.inp}; the shapes must be equal (darknet asserts)", key="from", output=out, fatal=False)
    return out


@layer("upsample", ("[upsample]",), "stride:i=2 scale:f=1")
def _upsample(ctx: Ctx, k: dict) -> Out:
    w, h, c = ctx.inp
    s = k["stride"]
    out = Shape(cdiv(w, -s), cdiv(h, -s), c) if s < 0 else Shape(w * s, h * s, c)
    return Out(out, out.w * out.h * out.c)


def _reorg(ctx: Ctx, k: dict, name: str) -> Out:
    _image_required(ctx, name)
    w, h, c = ctx.inp
    s = k["stride"]
    if s == 0:
        raise Fault("DN211", "stride=0: darknet divides by zero (SIGFPE)", key="stride")
    out = Shape(w * s, h * s, cdiv(c, s * s)) if k["reverse"] else Shape(cdiv(w, s), cdiv(h, s), c * s * s)
    return Out(out, out.w * out.h * out.c)


@layer("reorg3d", ("[reorg3d]",), "stride:i=1 reverse:i=0", needs_image=True)
def _reorg3d(ctx: Ctx, k: dict) -> Out:
    return _reorg(ctx, k, "reorg3d")


@layer("reorg", ("[reorg]",), "stride:i=1 reverse:i=0", needs_image=True)
def _reorg_old(ctx: Ctx, k: dict) -> Out:
    return _reorg(ctx, k, "reorg")


@layer("dropout", ("[dropout]",), "probability:f=0.2 dropblock:i=0 dropblock_size_rel:f=0 dropblock_size_abs:f=0")
def _dropout(ctx: Ctx, k: dict) -> Out:
    if k["dropblock"] and min(ctx.inp) <= 0:
        raise Fault("DN209", f"dropblock needs a spatial input, got {ctx.inp}; darknet exits", key="dropblock")
    return _same(ctx)


@layer("softmax", ("[softmax]", "[soft]"), "groups:i=1 temperature:f=1 tree:s spatial:f=0 noloss:i=0",
       resizable=False, spatial=False)
def _softmax(ctx: Ctx, k: dict) -> Out:
    g = k["groups"]
    if g == 0 or ctx.inputs % g:
        raise Fault("DN212", f"[softmax] groups={g} does not divide its {ctx.inputs} inputs; darknet "
                    + ("divides by zero" if g == 0 else "asserts"), key="groups", output=Out(ZERO, ctx.inputs), fatal=False)
    return Out(ZERO, ctx.inputs)


@layer("cost", ("[cost]",), "type:s=sse scale:f=1 ratio:f=0", spatial=False)
def _cost(ctx: Ctx, k: dict) -> Out:
    return Out(ZERO, ctx.inputs)


@layer("crop", ("[crop]",), "crop_height:i=1 crop_width:i=1 flip:i=0 angle:f=0 saturation:f=1 exposure:f=1 "
       "shift:f=0 noadjust:i=0", needs_image=True)
def _crop(ctx: Ctx, k: dict) -> Out:
    _image_required(ctx, "crop")
    out = Shape(k["crop_width"], k["crop_height"], ctx.inp.c)
    return Out(out, out.w * out.h * out.c)


@layer("batchnorm", ("[batchnorm]",))
def _batchnorm(ctx: Ctx, k: dict) -> Out:
    c = ctx.inp.c
    recs = (Record("biases", c), Record("scales", c), Record("rolling_mean", c), Record("rolling_variance", c))
    return Out(ctx.inp, ctx.inputs, Params(0, c, c, 2 * c), recs)


@layer("activation", ("[activation]",), "activation:s=linear", resizable=False)
def _activation(ctx: Ctx, k: dict) -> Out:
    return _same(ctx)


@layer("normalization", ("[normalization]", "[lrn]"), "alpha:f=0.0001 beta:f=0.75 kappa:f=1 size:i=5")
def _normalization(ctx: Ctx, k: dict) -> Out:
    return _same(ctx)


@layer("local", ("[local]",), "filters:i=1 size:i=1 stride:i=1 pad:i=0 activation:s=logistic",
       resizable=False, needs_image=True)
def _local(ctx: Ctx, k: dict) -> Out:
    _image_required(ctx, "local")
    w, h, c = ctx.inp
    n, size, stride = k["filters"], k["size"], k["stride"]
    if stride == 0:
        raise Fault("DN211", "stride=0: darknet divides by zero (SIGFPE)", key="stride")
    ow = cdiv(w - 1, stride) + 1 if k["pad"] else cdiv(w - size, stride) + 1
    oh = cdiv(h - 1, stride) + 1 if k["pad"] else cdiv(h - size, stride) + 1
    loc = ow * oh
    nw = c * n * size * size * loc
    params = Params(nw, loc * n)
    return Out(Shape(ow, oh, n), loc * n, params, (Record("biases", loc * n), Record("weights", nw)))


@layer("implicit", ("[implicit]",), "filters:i=128 atoms:i=1 mean:f=0 std:f=0.2", resizable=False)
def _implicit(ctx: Ctx, k: dict) -> Out:
    n, atoms = k["filters"], k["atoms"]
    return Out(Shape(1, atoms, n), n * atoms, Params(weights=n * atoms), (Record("weights", n * atoms),))


@layer("empty", ("[empty]", "[silence]"), resizable=False)
def _empty(ctx: Ctx, k: dict) -> Out:
    return _same(ctx)


@layer("rnn", ("[rnn]",), "output:i=1 hidden:i=1 activation:s=logistic batch_normalize:i=0 logistic:i=0 "
       "shortcut:i=0", resizable=False)
def _rnn(ctx: Ctx, k: dict) -> Out:
    bn = bool(k["batch_normalize"])
    out, hid = k["output"], k["hidden"]
    total, recs = NO_PARAMS, []
    for sub, i, o in (("input", ctx.inputs, hid), ("self", hid, hid), ("output", hid, out)):
        p, r = _connected_records(i, o, bn, sub)
        total = total.plus(p)
        recs.extend(r)
    return Out(Shape(1, 1, out), out, total, tuple(recs))


@layer("gru", ("[gru]",), "output:i=1 batch_normalize:i=0", resizable=False, spatial=False)
def _gru(ctx: Ctx, k: dict) -> Out:
    bn, out = bool(k["batch_normalize"]), k["output"]
    total, recs = NO_PARAMS, []
    plan = [(f"input_{g}", ctx.inputs) for g in "zrh"] + [(f"state_{g}", out) for g in "zrh"]
    for sub, i in plan:
        p, r = _connected_records(i, out, bn, sub)
        total = total.plus(p)
        recs.extend(r)
    return Out(ZERO, out, total, tuple(recs))


@layer("lstm", ("[lstm]",), "output:i=1 batch_normalize:i=0", resizable=False)
def _lstm(ctx: Ctx, k: dict) -> Out:
    bn, out = bool(k["batch_normalize"]), k["output"]
    total, recs = NO_PARAMS, []
    plan = [(f"w{g}", out) for g in "figo"] + [(f"u{g}", ctx.inputs) for g in "figo"]
    for sub, i in plan:
        p, r = _connected_records(i, out, bn, sub)
        total = total.plus(p)
        recs.extend(r)
    return Out(Shape(1, 1, out), out, total, tuple(recs))


@layer("crnn", ("[crnn]",), "size:i=3 stride:i=1 dilation:i=1 pad:i=0 padding:i=0 output:i=1 hidden:i=1 "
       "groups:i=1 activation:s=logistic batch_normalize:i=0 xnor:i=0 shortcut:i=0", needs_image=True)
def _crnn(ctx: Ctx, k: dict) -> Out:
    _image_required(ctx, "crnn")
    c, hid, out = ctx.inp.c, k["hidden"], k["output"]
    params, recs, flops, ow, oh = _sub_convs(ctx, k, [("input", c, hid), ("self", hid, hid), ("output", hid, out)])
    return Out(Shape(ow, oh, out), ow * oh * out, params, recs, flops)


@layer("conv_lstm", ("[conv_lstm]",), "size:i=3 stride:i=1 dilation:i=1 pad:i=0 padding:i=0 output:i=1 "
       "groups:i=1 activation:s=linear batch_normalize:i=0 xnor:i=0 peephole:i=0 bottleneck:i=0 "
       "state_constrain:i shortcut:i=0 lstm_activation:s=tanh time_normalizer:f=1", needs_image=True)
def _conv_lstm(ctx: Ctx, k: dict) -> Out:
    _image_required(ctx, "conv_lstm")
    c, out = ctx.inp.c, k["output"]
    plan = [(v, out, out) for v in ("vf", "vi", "vo")] if k["peephole"] else []
    plan.append(("wf", 2 * out if k["bottleneck"] else out, out))
    if not k["bottleneck"]:
        plan += [(v, out, out) for v in ("wi", "wg", "wo")]
    plan += [(u, c, out) for u in ("uf", "ui", "ug", "uo")]
    params, recs, flops, ow, oh = _sub_convs(ctx, k, plan)
    outputs = ow * oh * out
    # the gate term uses batch / time_steps, which is 1 in an inference parse (batch forced to 1)
    flops = f32(flops + (12 if k["peephole"] else 9) * outputs / 1e9)
    return Out(Shape(ow, oh, out), outputs, params, recs, flops)


@layer("history", ("[history]",), "history_size:i=4", resizable=False)
def _history(ctx: Ctx, k: dict) -> Out:
    w, h, c = ctx.inp
    out = Shape(w, h, c * k["history_size"])
    return Out(out, out.w * out.h * out.c)


_YOLO_KEYS = ("classes:i=20 num:i=1 mask:l max:i=200 counters_per_class:l label_smooth_eps:f=0 "
              "scale_x_y:f=1 objectness_smooth:i=0 iou_normalizer:f=0.75 obj_normalizer:f=1 "
              "cls_normalizer:f=1 delta_normalizer:f=1 iou_loss:s=mse iou_thresh_kind:s=iou beta_nms:f=0.6 "
              "nms_kind:s=default jitter:f=0.2 resize:f=1 ignore_thresh:f=0.5 truth_thresh:f=1 "
              "iou_thresh:f=1 random:f=0 map:s anchors:l max_delta:f ")


def yolo_anchor_count(k: dict) -> int:
    """Anchors this head predicts: entries of mask (commas before '#' + 1), or num without mask."""
    return len(int_list(k["mask"], stop_at_hash=True)) if k["mask"] is not None else k["num"]


def _yolo_like(ctx: Ctx, k: dict, name: str, per_anchor: int, formula: str) -> Out:
    w, h, _ = ctx.inp
    n = yolo_anchor_count(k)
    want_c = n * (k["classes"] + per_anchor)
    out = Out(Shape(w, h, want_c), w * h * want_c)
    if out.outputs != ctx.inputs:
        raise Fault("DN301", f"[{name}] expects {want_c} input channels ({formula}) but the previous layer "
                    f"gives {ctx.inp.c}; darknet exits 'filters= in the [convolutional]-layer doesn't "
                    f"correspond to classes= or mask='", key="classes",
                    hint=f"set filters={want_c} in the [convolutional] layer before it", output=out, fatal=False)
    return out


@layer("yolo", ("[yolo]",), _YOLO_KEYS + "new_coords:i=0 focal_loss:i=0 show_details:i=1 embedding_layer:i "
       "track_history_size:i=5 sim_thresh:f=0.8 dets_for_track:i=1 dets_for_show:i=1 track_ciou_norm:f=0.01")
def _yolo(ctx: Ctx, k: dict) -> Out:
    n = yolo_anchor_count(k)
    return _yolo_like(ctx, k, "yolo", 5, f"{n} anchors x (classes {k['classes']} + 5)")


@layer("gaussian_yolo", ("[Gaussian_yolo]",), _YOLO_KEYS + "uc_normalizer:f=1 yolo_point:s=center")
def _gaussian_yolo(ctx: Ctx, k: dict) -> Out:
    n = yolo_anchor_count(k)
    return _yolo_like(ctx, k, "Gaussian_yolo", 9, f"{n} anchors x (classes {k['classes']} + 9)")


@layer("region", ("[region]",),
       "classes:i=20 coords:i=4 num:i=1 anchors:l softmax:i=0 jitter:f=0.2 thresh:f=0.5 coord_scale:f=1 "
       "object_scale:f=1 noobject_scale:f=1 mask_scale:f=1 class_scale:f=1 max:i=200 log:i=0 sqrt:i=0 "
       "focal_loss:i=0 rescore:i=0 classfix:i=0 absolute:i=0 bias_match:i=0 resize:f=1 random:f=0 tree:s map:s")
def _region(ctx: Ctx, k: dict) -> Out:
    w, h, _ = ctx.inp
    num, classes, coords = k["num"], k["classes"], k["coords"]
    want_c = num * (classes + coords + 1)
    out = Out(Shape(w, h, want_c), w * h * want_c)
    if out.outputs != ctx.inputs:
        raise Fault("DN301", f"[region] expects {want_c} input channels (num {num} x (classes {classes} + "
                    f"coords {coords} + 1)) but the previous layer gives {ctx.inp.c}; darknet exits",
                    key="classes", hint=f"set filters={want_c} in the [convolutional] layer before it", output=out,
                    fatal=False)
    return out


@layer("detection", ("[detection]",),
       "classes:i=1 coords:i=1 rescore:i=0 num:i=1 side:i=7 softmax:i=0 sqrt:i=0 forced:i=0 coord_scale:f=1 "
       "object_scale:f=1 noobject_scale:f=1 class_scale:f=1 jitter:f=0.2 max:i=200 resize:f=1 random:f=0 "
       "reorg:i=0", resizable=False, spatial=False)
def _detection(ctx: Ctx, k: dict) -> Out:
    side, coords, num, classes = k["side"], k["coords"], k["num"], k["classes"]
    want = side * side * ((1 + coords) * num + classes)
    out = Out(ZERO, ctx.inputs)
    if want != ctx.inputs:
        raise Fault("DN301", f"[detection] expects side^2*((1+coords)*num+classes) = {want} inputs but gets "
                    f"{ctx.inputs}; darknet asserts", key="side",
                    hint=f"set output={want} in the [connected] layer before it", output=out, fatal=False)
    return out


@layer("contrastive", ("[contrastive]",), "classes:i=1000 yolo_layer:i=0 temperature:f=1 cls_normalizer:f=1 "
       "max_delta:f contrastive_neg_max:i=3", resizable=False, spatial=False)
def _contrastive(ctx: Ctx, k: dict) -> Out:
    if not k["yolo_layer"]:
        raise Fault("DN208", "[contrastive] without yolo_layer=: darknet crashes (segmentation fault)",
                    output=Out(ZERO, ctx.inputs))
    head = ctx.ref(k["yolo_layer"], "yolo_layer")
    if head.type != "yolo":
        raise Fault("DN208", f"yolo_layer points to layer {head.index}, a [{head.type}], not a [yolo]; "
                    "darknet exits", key="yolo_layer", output=Out(ZERO, ctx.inputs))
    return Out(ZERO, ctx.inputs)


# [net] / [network]: not a layer, but its keys are declared the same way (reference §2.1).
NET_TYPES, NET_DEFAULTS = _parse_keys(
    "width:i=0 height:i=0 channels:i=0 inputs:i batch:i=1 subdivisions:i=1 time_steps:i=1 max_batches:i=0 "
    "sequential_subdivisions:i track:i=0 augment_speed:i=2 dynamic_minibatch:i=0 optimized_memory:i=0 "
    "workspace_size_limit_MB:f=1024 use_cuda_graph:i=0 show_receptive_field:f=0 learning_rate:f=0.001 "
    "momentum:f=0.9 decay:f=0.0001 policy:s=constant burn_in:i=0 power:f=4 step:i=1 scale:f=1 steps:l "
    "scales:l seq_scales:l gamma:f=1 learning_rate_min:f=0.00001 sgdr_cycle:i sgdr_mult:i=2 adam:i=0 B1:f=0.9 "
    "B2:f=0.999 eps:f=0.000001 loss_scale:f=1 try_fix_nan:i=0 ema_alpha:f=0 weights_reject_freq:i=0 "
    "adversarial_lr:f=0 attention:i=0 equidistant_point:i=0 badlabels_rejection_percentage:f=0 "
    "num_sigmas_reject_badlabels:f=0 label_smooth_eps:f=0 max_chart_loss:f=20 angle:f=0 aspect:f=1 "
    "saturation:f=1 exposure:f=1 hue:f=0 flip:i=1 blur:i=0 gaussian_noise:i=0 mixup:i=0 cutmix:i=0 mosaic:i=0 "
    "mosaic_bound:i=0 letter_box:i=0 min_crop:i max_crop:i contrastive:i=0 contrastive_jit_flip:i=0 "
    "contrastive_color:i=0 unsupervised:i=0 resize_step:f=32")

# Types whose output feeds training's multi-scale choice (reference §6.1).
DETECTION_TYPES = ("yolo", "gaussian_yolo", "region")
ACTIVATIONS = ("logistic", "loggy", "relu", "relu6", "elu", "selu", "gelu", "relie", "ramp", "linear", "tanh",
               "plse", "leaky", "revleaky", "stair", "hardtan", "lhtan", "swish", "mish", "hard_mish",
               "normalize_channels", "normalize_channels_softmax", "normalize_channels_softmax_maxval")
