"""OpenCV 4.x's importer, ``cv2.dnn.readNetFromDarknet`` (``modules/dnn/src/darknet/darknet_io.cpp``).

It reads a fixed set of layer types and activations (anything else: "Unknown layer type" /
"Unsupported activation"), asserts on its own preconditions (anchors = 2*num, kernel and filters
given, a ``key=value`` on every line, every ``[yolo]`` mask index inside the anchors), takes the *last*
duplicate, reads only a few keys per layer (no ``stride_x``/``stride_y``, ``dilation`` or
``antialiasing``) with defaults of its own
(``[maxpool]`` size and stride 2, ``[upsample]`` stride 1, ``[reorg]`` stride 2), and defaults a
missing input size to 416x416x3. Some networks load but fail in ``forward()``: [shortcut] of maps of
different sizes (eltwise), a [region] with a ``tree=`` (YOLO9000).
"""
from __future__ import annotations

import re

from cfggen.ir.layers import BY_TYPE, Fault, LayerSpec, Out
from cfggen.ir.model import ZERO
from cfggen.targets.engine import Reuse, build_network, conf_for, located, same_options
from cfggen.targets.lines import opencv_sections
from cfggen.targets.model import RSection, Stop

NAME = "opencv"
TITLE = "OpenCV 4.14 cv2.dnn.readNetFromDarknet"

SECTIONS = {t: t for t in ("convolutional", "connected", "maxpool", "avgpool", "softmax", "route", "dropout", "cost",
                           "reorg", "region", "shortcut", "scale_channels", "sam", "upsample", "yolo", "crop")}
ACTIVATIONS = frozenset("linear leaky relu swish silu mish logistic tanh".split())
READS = {t: frozenset(s.split()) | {"activation"} for t, s in {
    "convolutional": "size pad padding stride filters groups batch_normalize flipped activation",
    "connected": "output batch_normalize activation", "maxpool": "size stride padding", "avgpool": "",
    "softmax": "groups", "route": "layers groups group_id", "dropout": "", "cost": "", "reorg": "stride",
    "region": "classes num coords anchors tree", "shortcut": "from", "scale_channels": "from", "sam": "from",
    "upsample": "stride", "yolo": "classes num mask anchors scale_x_y new_coords",
    "crop": "crop_width crop_height noadjust"}.items()}
DEFAULTS = {"convolutional": {"size": -1, "filters": -1}, "maxpool": {"size": 2, "stride": 2},
            "upsample": {"stride": 1}, "reorg": {"stride": 2}, "yolo": {"classes": -1, "num": -1},
            "region": {"classes": -1, "num": -1}, "crop": {"crop_width": 0, "crop_height": 0}}

CODES = {"type": "CV101", "activation": "CV102", "assert": "CV103", "input": "CV104", "unsupported": "CV105",
         "crash": "CV301", "forward": "CV401", "ignored": "CV402", "different": "CV403"}
NAMES = {"CV101": ("unknown-layer-type", "error"), "CV102": ("unsupported-activation", "error"),
         "CV103": ("assert", "error"), "CV104": ("bad-input-size", "error"), "CV105": ("not-implemented", "error"),
         "CV301": ("crash", "error"), "CV401": ("forward-fails", "warning"), "CV402": ("ignored-key", "warning"),
         "CV403": ("different-network", "warning")}

_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def to_int(value: str) -> int:
    """``std::stringstream >> int``: a leading integer, else 0."""
    m = _INT.match(value)
    return max(-2**31, min(2**31 - 1, int(m.group()))) if m else 0


def to_float(value: str) -> float:
    m = _FLOAT.match(value)
    return float(m.group()) if m else 0.0


def numbers(value: str | None) -> list[str]:
    """``getNumbers``: the value split at commas (``std::getline``: no empty last item)."""
    if not value:
        return []
    parts = value.split(",")
    if parts and parts[-1] == "":
        parts.pop()
    return parts


class _Reader:
    def __init__(self, doc, base=None):
        self.doc, self.base = doc, base
        self.channels: list[int] = []      # out_channels_vec: OpenCV's own channel count after each layer
        self.notes: list[tuple[str, str, int, int, int | None]] = []
        self.forward: list[tuple[str, int, int, int]] = []

    def run(self):
        net, sections = opencv_sections(self.doc.text, CODES, self.doc)
        if not sections:
            raise Stop("error", CODES["type"], "Unknown layer type:  (the cfg has no layer section)", 1,
                       hint="OpenCV needs at least one layer after [net]")
        dims = {}
        for key, default in (("width", 416), ("height", 416), ("channels", 3)):
            opt = net.get(key)
            dims[key] = to_int(opt.value) if opt else default
        if min(dims.values()) <= 0:
            bad = next(k for k in ("width", "height", "channels") if dims[k] <= 0)
            opt = net.get(bad)
            raise Stop("error", CODES["input"], "net->width > 0 && net->height > 0 && net->channels > 0",
                       opt.line if opt else 1, opt.col if opt else 1)
        self.net = net
        w, h, c = dims["width"], dims["height"], dims["channels"]
        self.net_channels = c
        return build_network(w, h, c, w * h * c, sections, spec_of=self.spec_of, conf_of=self.conf_of,
                             fault=self.fault, before=self.before, after=self.after,
                             base=Reuse(self.base, _same) if self.base is not None else None)

    def spec_of(self, index: int, sec: RSection) -> LayerSpec | None:
        typ = SECTIONS.get(sec.name)
        if typ is None:
            raise Stop("error", CODES["type"], f"Unknown layer type: {sec.name}", sec.line, sec.col, layer=index)
        return BY_TYPE[typ]

    def conf_of(self, spec: LayerSpec, sec: RSection) -> dict:
        return conf_for(spec, sec, reads=READS[spec.type], defaults=DEFAULTS.get(spec.type), pick=RSection.last,
                        to_int=to_int, to_float=to_float)

    def _assert(self, cond: bool, text: str, sec: RSection, key: str | None, index: int, hint: str | None = None):
        if not cond:
            line, col = located(sec, key, RSection.last)
            raise Stop("error", CODES["assert"], f"assertion failed: {text}", line, col, layer=index, hint=hint)

    def before(self, index, sec, spec, conf, cur, layers):
        t, get = spec.type, sec.last
        if t == "crop":
            self._assert(conf["crop_width"] > 0, "crop_width > 0", sec, "crop_width", index)
            self._assert(conf["crop_height"] > 0, "crop_height > 0", sec, "crop_height", index)
        if t == "crop" and not conf["noadjust"]:
            self._adjust_crop = (sec.line, sec.col, index)
        elif t in ("convolutional", "connected") and getattr(self, "_adjust_crop", None):
            line, col, at = self._adjust_crop
            self.forward.append(("a [crop] without noadjust=1 gets an extra 'adjust_crop' layer, and the weights "
                                 f"of the {t} after it are not found (!blobs.empty() || inputs.size() > 1)", line,
                                 col, at))
            self._adjust_crop = None
        v = lambda k: get(k).value if get(k) else None  # noqa: E731
        ch = self.channels[-1] if self.channels else self.net_channels
        if t == "convolutional":
            self._assert(conf["stride"] > 0, "stride > 0", sec, "stride", index)
            if conf["flipped"] == 1:
                raise Stop("error", CODES["unsupported"], "Transpose the convolutional weights is not implemented",
                           *located(sec, "flipped", RSection.last), layer=index)
            self._assert(conf["size"] > 0 and conf["filters"] > 0, "kernel_size > 0 && filters > 0", sec,
                         "size" if conf["size"] <= 0 else "filters", index)
            self._assert(ch > 0, "tensor_shape[0] > 0", sec, None, index)
            if conf["groups"] == 0:
                raise Stop("crash", CODES["crash"], "groups=0: OpenCV takes the channels modulo 0 (SIGFPE)",
                           *located(sec, "groups", RSection.last), layer=index)
            self._assert(ch % conf["groups"] == 0, "tensor_shape[0] % groups == 0", sec, "groups", index)
            if conf["filters"] % conf["groups"]:
                self.forward.append((f"filters={conf['filters']} not divisible by groups={conf['groups']} "
                                     "(numOutput % ngroups == 0)", *located(sec, "groups", RSection.last), index))
        elif t == "connected":
            self._assert(conf["output"] > 0, "output > 0", sec, "output", index)
        elif t == "softmax" and conf["groups"] != 1:
            raise Stop("error", CODES["unsupported"], "Softmax from Darknet with groups != 1",
                       *located(sec, "groups", RSection.last), layer=index)
        elif t == "route":
            self._assert(bool(v("layers")), "!bottom_layers.empty()", sec, "layers", index)
        elif t in ("shortcut", "scale_channels", "sam"):
            if t == "shortcut" and get("beta") and to_float(v("beta")) != 0:
                raise Stop("error", CODES["unsupported"], "Non-zero beta", *located(sec, "beta", RSection.last),
                           layer=index)
            self._assert(bool(v("from")), "!bottom_layer.empty()", sec, "from", index)
        elif t in ("yolo", "region"):
            self._assert(bool(v("anchors")), "!anchors_values.empty()", sec, "anchors", index)
            if t == "yolo":
                self._assert(bool(v("mask")), "!mask_values.empty()", sec, "mask", index)
            n = len(numbers(v("anchors")))
            self._assert(conf["classes"] > 0 and conf["num"] > 0 and conf["num"] * 2 == n,
                         "classes > 0 && num_of_anchors > 0 && (num_of_anchors * 2) == anchors_vec.size()", sec,
                         "anchors", index, hint=f"num={conf['num']} needs {2 * conf['num']} anchor values, "
                         f"anchors= has {n}")
            if t == "yolo":
                # setYolo: every mask index picks an anchor pair, m >= 0 && m*2+1 < anchors.size()
                for m in numbers(v("mask")):
                    k = to_int(m)
                    self._assert(k >= 0 and 2 * k + 1 < n, "m >= 0 && static_cast<size_t>(m) * 2 + 1 < "
                                 "anchors.size() (setYolo)", sec, "mask", index,
                                 hint=f"mask index {k} is negative" if k < 0 else f"mask index {k} needs anchor "
                                 f"values {2 * k} and {2 * k + 1}; anchors= has {n} (anchors 0..{n // 2 - 1})")
            if t == "region" and v("tree"):
                self.forward.append(("Yolo9000 is not implemented (a [region] with tree=)", *located(sec, "tree"),
                                     index))

    def after(self, index, sec, spec, conf, layer, layers):
        self.channels.append(self._channels(spec.type, conf, layer, index))
        opt = sec.last("activation")
        act = opt.value if opt is not None else "linear"
        if act not in ACTIVATIONS:
            raise Stop("error", CODES["activation"], f"Unsupported activation: {act}", opt.line, opt.col, layer=index,
                       hint="OpenCV supports " + ", ".join(sorted(ACTIVATIONS)))

    def _channels(self, t: str, conf: dict, layer, index: int) -> int:
        """``tensor_shape[0]`` after this layer: OpenCV counts channels on its own (a [route] of maps of
        different sizes still sums them, where darknet zeroes the route)."""
        ch = self.channels[-1] if self.channels else self.net_channels
        if t == "convolutional":
            return conf["filters"]
        if t == "connected":
            return conf["output"]
        if t == "route":
            total = 0
            for v in numbers(conf["layers"]):
                k = to_int(v)
                k = k if k >= 0 else k + index
                total += self.channels[k] if 0 <= k < len(self.channels) else 0
            return total // conf["groups"] if conf["groups"] else total
        if t == "reorg":
            return ch * conf["stride"] * conf["stride"]
        return ch

    def fault(self, index: int, sec: RSection, f: Fault) -> Out:
        line, col = located(sec, f.key, RSection.last)
        if f.code == "DN211" or (f.code == "DN212" and "zero" in f.message):
            raise Stop("crash", CODES["crash"], f.message.replace("darknet", "OpenCV"), line, col, layer=index)
        if f.code == "DN203":
            self.forward.append(("[route] of maps of different sizes: forward() fails in the Concat layer "
                                 "(Inconsistent shape for ConcatLayer)", line, col, index))
        if f.code == "DN201":
            self.forward.append(("[shortcut] of maps of different sizes: forward() fails in the Eltwise layer "
                                 "(inputs[vecIdx][j] == inputs[i][j])", line, col, index))
        if f.code in ("DN206", "DN207"):
            raise Stop("error", CODES["assert"], f.message.replace("darknet", "OpenCV"), line, col, layer=index)
        return f.output if f.output is not None else Out(ZERO, 0)


def outputs(layers) -> tuple[tuple[int, int], ...]:
    """The network outputs (``getUnconnectedOutLayersNames``): layers no later layer reads."""
    used: set[int] = set()
    for L in layers:
        used.update(L.refs)
        if L.type != "route" and L.index > 0:
            used.add(L.index - 1)
    return tuple((L.index, L.outputs) for L in layers if L.index not in used)


def _same(spec: LayerSpec, sec: RSection, layer) -> bool:
    t = spec.type
    if any(k not in sec.lasts for k in DEFAULTS.get(t, ())):
        return False          # a default of OpenCV's own would apply
    return same_options(sec, layer, READS[t], spec)


def run(doc, base=None):
    r = _Reader(doc, base)
    return r, r.run()

