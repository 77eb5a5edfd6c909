"""The cfg writer of the layer-by-layer families (``cfggen.standalone``: MobileNetV3, GhostNet, ShuffleNetV2,
PeleeNet): darknet sections as text, remembering for every ``[convolutional]`` which checkpoint tensors it
holds (``ConvSource``: module, BN, full PyTorch shape), which of their output rows and input columns, in
darknet's channel order (a channel permutation ``cfggen import`` folds in), and at what scale.

Shared constructions for activations darknet lacks (reference §4, §12), exact with darknet's own layers:

- **hard-sigmoid gate** (squeeze-and-excitation): ``hsig(g) = relu6(g + 3)/6 = (hardtan(g/3) + 1)/2``,
  so ``x·hsig(g) = (x·hardtan(g/3) + x)/2``: the gate conv computes ``g/3`` (its weights and bias /3)
  with ``activation=hardtan``, ``[scale_channels]`` multiplies ``x``, ``[shortcut]`` adds ``x``. The
  result is ``2·x·hsig(g)``; the 1/2 is folded into the next conv's weights (``in_scale``).
- **hard-swish** of a conv output ``y``: ``hswish(y) = y·relu6(y + 3)/6 = (y·hardtan(y/3) + y)/2``.
  The conv computes ``w = y/6`` (its BN gamma and beta /6, or weights and bias /6), ``[shortcut]
  from=-1 activation=hardtan`` gives ``hardtan(2w) = hardtan(y/3)``, ``[sam]`` multiplies it by ``w``,
  ``[shortcut]`` adds ``w``: ``w·hardtan(y/3) + w = hswish(y)/3``; the 3 is folded into the next conv.
  No constant layers: every factor is folded into trained parameters, so darknet training learns
  the same function family (only the initial scale of those parameters differs).

Every layer output records its *scale* against the reference tensor it stands for (``None``: no
reference tensor, e.g. inside a gate). A conv reading a tensor at scale ``s`` gets its weights divided
by ``s``; ``out_scale`` multiplies its pre-activation output (exact through linear, relu and the
positive homogeneity of relu). Residual ``[shortcut]``s and ``[route]``s require equal scales.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from cfggen.errors import GenerateError

# exact: hardtan (every darknet); relu: exact from relu and fixed 1x1 depthwise convs (OpenCV has no
# hardtan; the fixed layers need their weights from cfggen import); approx: swish / logistic
HSWISH_MODES = ("exact", "relu", "approx")


@dataclass(frozen=True)
class ConvSource:
    """Where one darknet ``[convolutional]``'s numbers come from, in canonical (reference) names."""

    index: int                       # darknet layer index
    module: str                      # checkpoint module of the weight ("blocks.1.0.conv_pw")
    bn: str | None                   # BN module (gamma, beta, mean, var) or None: ``module.bias``
    shape: tuple[int, ...]           # PyTorch weight shape (out, in/groups, kh, kw), the whole tensor
    in_scale: float = 1.0            # the input is the reference tensor times this: weights / in_scale
    out_scale: float = 1.0           # the pre-activation output times this (BN gamma/beta or weights/bias)
    linear_2d: bool = False          # the checkpoint may hold it as a Linear (2-D weight)
    rows: tuple[int, ...] | None = None   # the PyTorch output channels this conv computes, in darknet order
    cols: tuple[int, ...] | None = None   # the PyTorch input channel behind darknet input channel i


@dataclass
class Writer:
    """Appends cfg sections; ``scales[i]`` is layer i's output scale (see the module docstring).
    ``Writer.after(n)``: the cfg already has ``n`` layers (an input normalization) producing the input."""

    parts: list[str] = field(default_factory=list)
    scales: list[float | None] = field(default_factory=list)
    channels: list[int] = field(default_factory=list)
    convs: list[ConvSource] = field(default_factory=list)
    constants: list[int] = field(default_factory=list)     # layers with fixed (non-trained) weights
    fixed: dict[int, tuple[float, float]] = field(default_factory=dict)   # constant -> (weight, bias), per channel
    marks: dict[str, int] = field(default_factory=dict)    # reference tensor name -> layer index
    activated: int = -1      # the conv of the last conv_act hard-swish (its pre-activation output)

    @classmethod
    def after(cls, layers: int) -> "Writer":
        return cls(scales=[1.0] * layers, channels=[3] * layers)

    @property
    def count(self) -> int:
        return len(self.scales)

    @property
    def last(self) -> int:
        return self.count - 1

    def comment(self, text: str) -> None:
        self.parts.append(f"# {text}\n")

    def block(self, stage: int, index: int, text: str) -> None:
        """The heading of a block (unit, dense layer, bottleneck) in the form ``cfggen draw`` folds on, as
        generated EfficientNets write it: ``# stage 2 block 1: stage2.0 ShuffleV2 unit, ...``. The block
        runs to the next heading or ``# ====`` comment."""
        self.comment(f"stage {stage} block {index}: {text}")

    def _section(self, kind: str, keys: dict, scale: float | None, channels: int) -> int:
        lines = [f"[{kind}]"] + [f"{k}={v}" for k, v in keys.items()]
        self.parts.append("\n".join(lines) + "\n\n")
        self.scales.append(scale)
        self.channels.append(channels)
        return self.last

    def mark(self, name: str, index: int | None = None) -> None:
        """Layer ``index`` (default: the last) outputs reference tensor ``name`` (at its scale)."""
        self.marks[name] = self.last if index is None else index

    def conv(self, filters: int, size: int = 1, stride: int = 1, groups: int = 1, bn: bool = True,
             activation: str = "linear", module: str | None = None, bn_module: str | None = None,
             out_scale: float = 1.0, scale: float | None | str = "auto", linear_2d: bool = False,
             in_channels: int | None = None, rows: Sequence[int] | None = None, cols: Sequence[int] | None = None,
             of: int | None = None) -> int:
        """A conv reading the previous layer. ``scale``: its output's scale ("auto": ``out_scale``
        through linear and relu, or unscaled; None otherwise). ``rows``/``cols``: see ``ConvSource``; ``of``: the
        reference conv's output channels when this conv computes only ``rows`` of them (a piece)."""
        inp = self.channels[-1] if self.channels else (in_channels or 3)
        in_scale = self.scales[-1] if self.scales else 1.0
        if in_scale is None:
            raise GenerateError(f"layer {self.count}: a conv reads layer {self.last}, which stands for no "
                                "reference tensor")
        keys = {"batch_normalize": 1} if bn else {}
        if groups != 1:
            keys["groups"] = groups
        keys.update(filters=filters, size=size, stride=stride, pad=1 if size > 1 else 0, activation=activation)
        if scale == "auto":     # an unscaled output is the reference tensor whatever its activation
            scale = out_scale if activation in ("linear", "relu") or out_scale == 1.0 else None
        index = self._section("convolutional", keys, scale, filters)
        if module is not None:
            shape = (of or filters, inp // groups, size, size)
            self.convs.append(ConvSource(index, module, bn_module, shape, in_scale, out_scale, linear_2d,
                                         None if rows is None else tuple(rows), None if cols is None else tuple(cols)))
        else:
            self.constants.append(index)
        return index

    def fixed_conv(self, weight: float, bias: float, activation: str) -> int:
        """A 1x1 depthwise conv with the same fixed weight and bias in every channel, frozen in training
        (``learning_rate=0``: darknet multiplies this layer's rate by 0)."""
        c = self.channels[-1]
        keys = {"groups": c, "filters": c, "size": 1, "stride": 1, "pad": 0, "activation": activation,
                "learning_rate": 0}
        index = self._section("convolutional", keys, None, c)
        self.constants.append(index)
        self.fixed[index] = (weight, bias)
        return index

    def hsig_relu(self, scale: float) -> int:
        """hsig(g) = min(relu(g/6 + 1/2), 1) = 1 - relu(1 - relu(g/6 + 1/2)) of the previous layer
        (which holds g at ``scale``), from relu and three fixed 1x1 depthwise convs."""
        self.fixed_conv(1 / (6 * scale), 0.5, "relu")
        self.fixed_conv(-1.0, 1.0, "relu")
        return self.fixed_conv(-1.0, 1.0, "linear")

    def route(self, *layers: int) -> int:
        scales = {self.scales[i] for i in layers}
        if len(scales) != 1:
            raise GenerateError(f"[route] {layers}: inputs at different scales {scales}")
        return self._section("route", {"layers": ",".join(str(self._rel(i)) for i in layers)},
                             scales.pop(), sum(self.channels[i] for i in layers))

    def _rel(self, index: int) -> int:
        return index - self.count

    def add(self, frm: int, activation: str = "linear", scale: float | None | str = "auto") -> int:
        """``[shortcut]``: previous layer + ``frm``. ``scale="auto"``: a residual add, both at one scale."""
        if scale == "auto":
            if self.scales[-1] != self.scales[frm] or self.scales[frm] is None:
                raise GenerateError(f"[shortcut] at layer {self.count}: adds scales {self.scales[-1]} and "
                                    f"{self.scales[frm]}")
            scale = self.scales[frm] if activation in ("linear", "relu") else None
        return self._section("shortcut", {"from": self._rel(frm), "activation": activation}, scale,
                             self.channels[-1])

    def scale_channels(self, frm: int, scale: float | None) -> int:
        return self._section("scale_channels", {"from": self._rel(frm)}, scale, self.channels[frm])

    def sam(self, frm: int, scale: float | None) -> int:
        return self._section("sam", {"from": self._rel(frm)}, scale, self.channels[frm])

    def avgpool(self) -> int:
        return self._section("avgpool", {}, self.scales[-1], self.channels[-1])

    def pool(self, kind: str, size: int, stride: int, padding: int | None = None) -> int:
        """``[maxpool]`` / ``[local_avgpool]`` of the previous layer (``padding``: None leaves darknet's
        default, size - 1)."""
        keys = {"size": size, "stride": stride} | ({"padding": padding} if padding is not None else {})
        return self._section(kind, keys, self.scales[-1], self.channels[-1])

    def dropout(self, probability: float) -> int:
        return self._section("dropout", {"probability": probability}, self.scales[-1], self.channels[-1])

    def softmax(self) -> int:
        return self._section("softmax", {"groups": 1}, None, self.channels[-1])

    def fc(self, classes: int, module: str, note: str = "") -> int:
        """The classifier's Linear as a 1x1 conv on the pooled 1x1 map (marked ``logits``), and softmax."""
        self.comment("fully connected layer as a 1x1 conv on the pooled 1x1 map: weights plus bias" + note)
        self.conv(classes, bn=False, module=module, linear_2d=True)
        self.mark("logits")
        return self.softmax()

    def classifier(self, channels: int, classes: int, dropout: float, module: str) -> int:
        """Global average pool (marked ``globalpool``), dropout, the Linear ``module``: the plain head."""
        self.comment(f"==== classifier: global average pool over {channels} channels"
                     + (f", dropout {dropout}" if dropout else "") + f", fully connected -> {classes}")
        self.avgpool()
        self.mark("globalpool")
        if dropout:
            self.dropout(dropout)
        return self.fc(classes, module, ", no batch norm")

    def text(self) -> str:
        return "".join(self.parts)

    # --- the constructions ----------------------------------------------------------------------

    def conv_act(self, filters: int, activation: str, hswish: str, size: int = 1, stride: int = 1,
                 groups: int = 1, bn: bool = True, module: str | None = None, bn_module: str | None = None,
                 out_scale: float = 1.0, linear_2d: bool = False, in_channels: int | None = None) -> int:
        """A conv followed by its activation: ``relu`` (as a conv key) or ``hard_swish`` (exact:
        3 more layers, output at scale ``out_scale/3``; approx: ``swish``)."""
        def conv(act: str, pre_scale: float, **kw) -> int:     # the conv itself, in every case
            return self.conv(filters, size, stride, groups, bn, act, module, bn_module, pre_scale,
                             linear_2d=linear_2d, in_channels=in_channels, **kw)

        if activation == "relu":
            return conv("relu", out_scale)
        if activation != "hard_swish":
            raise ValueError(activation)
        if hswish == "approx":
            return conv("swish", out_scale, scale=out_scale)
        self.activated = self.count      # the conv computing the pre-activation (at out_scale, or /6)
        if hswish == "relu":
            y = conv("linear", out_scale)
            self.comment("hard-swish of the conv above: hsig from fixed 1x1 convs and relu, times the conv")
            self.hsig_relu(out_scale)
            return self.sam(y, scale=out_scale)
        w = conv("linear", out_scale / 6)
        self.comment("hard-swish of the conv above (y/6): hardtan(y/3), times y/6, plus y/6 = hswish(y)/3")
        self.add(self.last, "hardtan", scale=None)          # hardtan(2w) = hardtan(y/3)
        self.sam(w, scale=None)                              # w * hardtan(y/3)
        return self.add(w, "linear", scale=out_scale / 3)   # w*hardtan(y/3) + w = hswish(y)/3

    def se(self, x: int, reduced: int, module: str, hswish: str, reduce: str = "conv_reduce",
           expand: str = "conv_expand") -> int:
        """Squeeze-and-excitation on layer ``x`` (the previous layer): mean -> 1x1 (bias) -> relu ->
        1x1 (bias) -> hard-sigmoid gate -> multiply. Exact: output scale 2x ``x``'s; approx: logistic."""
        if x != self.last:
            raise ValueError("se() reads the previous layer")
        channels = self.channels[x]
        how = {"approx": " (logistic: --hswish approx)",
               "relu": ": min(relu(g/6 + 1/2), 1) from fixed 1x1 convs, times the map",
               "exact": ": hardtan(g/3), times the map, plus the map = 2*x*hsig(g)"}[hswish]
        self.comment(f"SE: mean -> 1x1 {reduced} relu -> 1x1 {channels} -> hard-sigmoid gate{how}")
        self.avgpool()
        self.conv(reduced, bn=False, activation="relu", module=f"{module}.{reduce}")
        if hswish == "approx":
            self.conv(channels, bn=False, activation="logistic", module=f"{module}.{expand}", scale=None)
            return self.scale_channels(x, self.scales[x])
        if hswish == "relu":
            self.conv(channels, bn=False, activation="linear", module=f"{module}.{expand}")
            self.hsig_relu(1.0)
            return self.scale_channels(x, self.scales[x])
        self.conv(channels, bn=False, activation="hardtan", module=f"{module}.{expand}", out_scale=1 / 3)
        self.scale_channels(x, scale=None)                   # x * hardtan(g/3)
        return self.add(x, "linear", scale=2 * self.scales[x])   # + x = 2 * x * hsig(g)


def hswish_note(hswish: str, elementwise: bool = True) -> list[str]:
    """Header lines that say how hard-swish (``elementwise``) and the hard-sigmoid gates are built."""
    if hswish == "approx":
        what = "hard-swish is built as swish and the hard-sigmoid gates as logistic" if elementwise else \
            "the hard-sigmoid SE gates are built as logistic"
        return [f"--hswish approx: {what}: NOT the published network",
                "(its pretrained weights import with a measured deviation; see README)"]
    if hswish == "relu":
        lines = ["--hswish relu: hard-sigmoid and hard-swish exact from relu and FIXED layers (for readers without",
                 "  hardtan, e.g. OpenCV): hsig(g) = 1 - relu(1 - relu(g/6 + 1/2)), three 1x1 depthwise convs with",
                 "  fixed weights (1/6, 1/2; -1, 1; -1, 1 per channel); SE: [scale_channels] by it; hard-swish: [sam]"]
        return lines + [
            "the fixed layers carry learning_rate=0 (darknet training leaves them as loaded) and get their",
            "weights from cfggen import only: darknet's random initialisation would not make them constants"]
    lines = [
        "hard-sigmoid is exact, from darknet's hardtan (runs on CPU and GPU): hsig(g) = relu6(g+3)/6 =",
        "  (hardtan(g/3)+1)/2; SE gate: conv (g/3, activation=hardtan) -> [scale_channels] -> [shortcut] to",
        "  the gated map = 2*x*hsig(g) (the 1/2 lives in the next conv's weights)"]
    if elementwise:
        lines += [
            "hard-swish is exact too: hswish(y) = (y*hardtan(y/3)+y)/2: conv (BN scaled to y/6, linear) ->",
            "  [shortcut] from=-1 activation=hardtan -> [sam] -> [shortcut] = hswish(y)/3 (the 3 lives in the",
            "  next conv's weights)"]
    return lines + [
        "the constant factors live in trained BN/conv parameters (cfggen import folds them in); there are no",
        "constant layers, so darknet training updates every conv as usual"]


@dataclass(frozen=True)
class Recipe:
    """A family's own classifier training recipe in darknet keys, with where it comes from
    (``templates/net.cfg.j2``)."""

    source: str
    keys: tuple[tuple[str, str], ...]
    kind: str = "recipe"


def stage_taps(ends: dict) -> dict:
    """{total stride: (layer, block)} -> the detector taps (``generate.Tap``) at those stage ends."""
    from cfggen.generate import Tap
    return {stride: Tap(index, f"layer {index}, the end of {b.name}, stride {stride}, {b.out} channels")
            for stride, (index, b) in ends.items()}


def exact_notes(b, taps: dict, reference: str, elementwise: bool) -> tuple[str, ...]:
    """Header lines of a network built exactly with the hard-sigmoid/hard-swish constructions: where the
    architecture comes from, how the constructions are built, and (detectors) where the yolo head reads."""
    lines = [f"architecture: {reference}, built exactly from darknet's own layers", *hswish_note(b.hswish, elementwise)]
    if b.spec.detector:
        lines.append("yolo head on the stage ends at strides " + ", ".join(
            f"{s} (layer {t.index})" for s, t in sorted(taps.items()) if s in b.spec.taps) + "; head activation leaky")
    return tuple(lines)
