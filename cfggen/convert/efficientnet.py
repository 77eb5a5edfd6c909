"""Pretrained PyTorch EfficientNets (and geffnet's MixNet-S/M/L, MobileNetV2) into darknet: ``cfggen import``.

The cfg is ``cfggen build``'s (``generate.compose``), plus, by default, one input layer in front: a 1x1
depthwise ``[convolutional]`` (weights 1/std, biases -mean/std) that normalizes darknet's RGB [0, 1]
input as the checkpoint expects. It sits *inside* the network, so the stem's zero padding pads the
normalized image as in PyTorch (folding the normalization into the stem is inexact at the border).
A 1x1 conv rather than ``[batchnorm]``: OpenCV's darknet importer and the Hank.ai fork reject
``[batchnorm]``, every darknet reader runs a conv.

Weights are mapped per decoded block, not per key (house style §6): ``plan_convs`` walks the scaled
network that rendered the cfg and lists, for every darknet conv in order, which checkpoint tensors it
reads under a naming convention (``NAMINGS``: timm/geffnet, lukemelas efficientnet_pytorch; another
is a row plus a ``locate`` function, added where a test can make a real checkpoint of that kind, which
rules torchvision out for now: its import fails against the pinned torch). MixNet's mixed and grouped convs
(geffnet ``MixedConv2d``: parts ``conv_dw.0``, ``conv_dw.1``, ... over ``_split_channels``) follow the
generator's ``ConvPlan`` (``_mixed``): a darknet ``groups=`` conv reads the parts concatenated, a
``[route]``-fed piece reads its part and its slice of the BN that follows the concatenation. The expected tensors (names
and shapes) are checked against the checkpoint before anything is written; the first that does not fit is the error. Without ``--variant``, the variant is
the one whose expected tensors the checkpoint fits exactly.

Numerics (docs/efficientnet.md §4): darknet normalizes with ``sqrt(var + 1e-5)``; a checkpoint trained
with another BN epsilon gets ``rolling_variance = var + (eps - 1e-5)``, which is exact. TF "same"
padding (timm ``tf_*`` ports, lukemelas) pads stride-2 convs asymmetrically on even inputs, darknet
symmetrically: that cannot be reproduced, so it is imported with a warning that names the layers and,
with torch installed, the deviation measured on deterministic inputs (``measure_padding``).
"""
from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass, field
from typing import Callable, Sequence

from cfggen.errors import CfggenError, InputError, UsageError
from cfggen.scale import VARIANTS, Block, Network, decode_stages, get_variant, scale
from cfggen.scale.mixconv import split_channels

DARKNET_EPS = 1e-5
IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
INCEPTION = ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))       # timm's tf_efficientnet_lite* ports
EFFICIENTNETS = tuple(v for v, spec in VARIANTS.items() if spec.family in ("efficientnet", "lite"))
B_VARIANTS = tuple(v for v in EFFICIENTNETS if v.startswith("b"))
# geffnet/timm lay MixNet and MobileNetV2 out with the same block modules (conv_pw/conv_dw/conv_pwl);
# MixNet's mixed and grouped convs are MixedConv2d, whose parts are numbered children (conv_dw.0, ...)
TIMM_VARIANTS = EFFICIENTNETS + tuple(v for v, spec in VARIANTS.items()
                                      if spec.family in ("mixnet-s", "mixnet-m", "mobilenetv2"))


class ImportFormatError(CfggenError):
    """A checkpoint whose tensors fit no known EfficientNet layout (or not the requested one)."""


# ------------------------------------------------------------------------------------------------
# naming conventions

# role -> (conv module, BN module or None) inside a block, by block kind (timm _efficientnet_blocks.py:
# the depthwise-separable block has bn1 after conv_dw, the inverted residual after conv_pw)
_TIMM_DS = {"dw": ("conv_dw", "bn1"), "se_reduce": ("se.conv_reduce", None),
            "se_expand": ("se.conv_expand", None), "project": ("conv_pw", "bn2")}
_TIMM_IR = {"expand": ("conv_pw", "bn1"), "dw": ("conv_dw", "bn2"), "se_reduce": ("se.conv_reduce", None),
            "se_expand": ("se.conv_expand", None), "project": ("conv_pwl", "bn3")}
_TIMM_TOP = {"stem": ("conv_stem", "bn1"), "head": ("conv_head", "bn2"), "classifier": ("classifier", None)}
# lukemelas MBConvBlock: one layout for every block, numbered through the network
_LUKE_BLOCK = {"expand": ("_expand_conv", "_bn0"), "dw": ("_depthwise_conv", "_bn1"),
               "se_reduce": ("_se_reduce", None), "se_expand": ("_se_expand", None),
               "project": ("_project_conv", "_bn2")}
_LUKE_TOP = {"stem": ("_conv_stem", "_bn0"), "head": ("_conv_head", "_bn1"), "classifier": ("_fc", None)}
def _timm(role: str, b: Block | None) -> tuple[str, str | None]:
    if b is None:
        return _TIMM_TOP[role]
    conv, bn = (_TIMM_DS if b.expand_ratio == 1 else _TIMM_IR)[role]
    p = f"blocks.{b.stage - 1}.{b.index - 1}"
    return f"{p}.{conv}", f"{p}.{bn}" if bn else None


def _lukemelas(role: str, b: Block | None) -> tuple[str, str | None]:
    if b is None:
        return _LUKE_TOP[role]
    conv, bn = _LUKE_BLOCK[role]
    return f"_blocks.{b.number}.{conv}", f"_blocks.{b.number}.{bn}" if bn else None


@dataclass(frozen=True)
class Naming:
    """A checkpoint naming convention and what it implies about the numerics."""

    name: str
    marker: str                                 # a key only this convention has
    variants: tuple[str, ...]                   # variants it exists for
    locate: Callable[[str, Block | None], tuple[str, str | None]]
    tf_same: Callable[[str, bool], bool]        # (variant, --tf-port) -> TF "same" padding
    eps: Callable[[str, bool], float]           # (variant, --tf-port) -> BN epsilon
    stats: Callable[[str, bool], tuple]         # (variant, --tf-port) -> (mean, std) of the input


NAMINGS: dict[str, Naming] = {
    # timm/geffnet: efficientnet_* symmetric, eps 1e-5; tf_* ports TF-same, eps 1e-3 (BN_EPS_TF_DEFAULT)
    "timm": Naming("timm/geffnet", "conv_stem.weight", TIMM_VARIANTS, _timm,
                   tf_same=lambda v, tf: tf, eps=lambda v, tf: 1e-3 if tf else 1e-5,
                   stats=lambda v, tf: INCEPTION if tf and v.startswith("lite") else IMAGENET),
    # lukemelas efficientnet_pytorch: Conv2dStaticSamePadding and batch_norm_epsilon 1e-3 always
    "lukemelas": Naming("lukemelas efficientnet_pytorch", "_conv_stem.weight", B_VARIANTS, _lukemelas,
                        tf_same=lambda v, tf: True, eps=lambda v, tf: 1e-3, stats=lambda v, tf: IMAGENET),
}


# ------------------------------------------------------------------------------------------------
# the plan: which tensors every darknet conv reads

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Conv:
    """The checkpoint source of one darknet ``[convolutional]``.

    ``parts``: the weight tensors, concatenated on the output channels (more than one for a MixNet
    grouped 1x1 conv that darknet runs as one ``groups=`` conv: darknet's group j is filters
    ``[j*n/g, (j+1)*n/g)``, exactly MixedConv2d's part j). ``bn_span``: the output channels
    ``(start, stop, total)`` of the BN this conv takes, when a mixed conv's parts share one BN after
    their concatenation (darknet gives every piece its own BN: the same per-channel numbers, sliced).
    """

    role: str             # stem, expand, dw, se_reduce, se_expand, project, head, classifier
    parts: tuple[tuple[str, Shape], ...]   # (checkpoint name, PyTorch shape) of the weight tensors
    bn: str | None        # BN module (weight, bias, running_mean, running_var); None: conv bias
    bias: str | None
    bn_span: tuple[int, int, int] | None = None

    @property
    def weight(self) -> str:
        return self.parts[0][0]

    @property
    def shape(self) -> Shape:
        return self.parts[0][1]

    @property
    def channels(self) -> int:
        return sum(shape[0] for _, shape in self.parts)

    def tensors(self) -> list[tuple[str, Shape]]:
        c = (self.bn_span[2] if self.bn_span else self.channels,)
        out = list(self.parts)
        if self.bn:
            out += [(f"{self.bn}.{k}", c) for k in ("weight", "bias", "running_mean", "running_var")]
        if self.bias:
            out.append((self.bias, c))
        return out


def _mixed(role: str, module: str, bn: str | None, plan, in_filters: int, out_filters: int,
           kernels: tuple[int, ...], depthwise: bool) -> list[Conv]:
    """The darknet convs of one (possibly mixed or grouped) conv: ``plan`` is the generator's
    ``ConvPlan``; the checkpoint splits channels as geffnet's ``_split_channels`` (the plan does too)."""
    n = len(kernels)
    ins, outs = split_channels(in_filters, n), split_channels(out_filters, n)
    parts = tuple((f"{module}.{j}.weight" if n > 1 else f"{module}.weight",
                   (o, 1 if depthwise else i, k, k)) for j, (i, o, k) in enumerate(zip(ins, outs, kernels)))
    if plan.single is not None:                  # one darknet conv (plain, or groups= over equal parts)
        return [Conv(role, parts, bn, None)]
    if len(plan.pieces) != n:
        raise RuntimeError(f"{module}: {len(plan.pieces)} darknet pieces for {n} checkpoint parts")
    starts = [sum(outs[:j]) for j in range(n)]
    return [Conv(role, (part,), bn, None, (a, a + o, out_filters)) for part, a, o in zip(parts, starts, outs)]


def plan_convs(naming: Naming, net: Network, classes: int | None) -> tuple[list[Conv], list[Conv]]:
    """(backbone convs, classifier-head convs) in darknet's layer order. ``classes=None``: the
    classifier's output width is not checked (a detector does not use it)."""
    def conv(role: str, b: Block | None, shape: Shape, bias: bool = False) -> Conv:
        module, bn = naming.locate(role, b)
        return Conv(role, ((f"{module}.weight", shape),), None if bias else bn, f"{module}.bias" if bias else None)

    def mixed(role: str, b: Block, plan, in_filters: int, out_filters: int, kernels, depthwise=False):
        module, bn = naming.locate(role, b)
        return _mixed(role, module, bn, plan, in_filters, out_filters, tuple(kernels), depthwise)

    convs = [conv("stem", None, (net.stem, 3, 3, 3))]
    for b in net.blocks:
        e = b.expanded
        expand, depthwise, project = b.plans
        if expand is not None:
            convs += mixed("expand", b, expand, b.in_filters, e, (1,) * b.expand_groups)
        convs += mixed("dw", b, depthwise, e, e, b.kernels, depthwise=True)
        if b.se_filters:
            convs.append(conv("se_reduce", b, (b.se_filters, e, 1, 1), bias=True))
            convs.append(conv("se_expand", b, (e, b.se_filters, 1, 1), bias=True))
        convs += mixed("project", b, project, e, b.out_filters, (1,) * b.project_groups)
    head = [conv("head", None, (net.head, net.blocks[-1].out_filters, 1, 1)),
            conv("classifier", None, (classes if classes is not None else -1, net.head), bias=True)]
    return convs, head


def _full(variant: str) -> str:
    """efficientnet-b0, efficientnet-lite0, mixnet-s, mobilenetv2: the names messages use."""
    return get_variant(variant).full_name


@functools.cache
def scaled(variant: str) -> Network:
    v = get_variant(variant)
    return scale(decode_stages(v.rules.blocks), v.width_mult, v.depth_mult, v.rules)


# ------------------------------------------------------------------------------------------------
# matching a checkpoint

def fmt_shape(shape: Shape | None) -> str:
    return "nothing (missing)" if shape is None else "(" + ", ".join(map(str, shape)) + ")"


@dataclass(frozen=True)
class Misfit:
    """The first checkpoint tensor that does not fit an expected layout."""

    name: str
    expected: Shape | None     # None: the layout has no such tensor
    found: Shape | None        # None: the checkpoint lacks it

    def describe(self, what: str) -> str:
        if self.expected is None:
            return f"unexpected tensor {self.name} {fmt_shape(self.found)}: {what} has no such tensor"
        exp = fmt_shape(self.expected).replace("-1", "classes")
        return f"tensor {self.name}: expected {exp} for {what}, found {fmt_shape(self.found)}"


def _fits(want: Shape, have: Shape | None) -> bool:
    return have is not None and len(want) == len(have) and all(w in (-1, h) for w, h in zip(want, have))


def first_misfit(names: Sequence[str], shape_of: Callable[[str], Shape | None],
                 expected: Sequence[tuple[str, Shape]], ignored: set[str]) -> Misfit | None:
    for name, want in expected:
        have = shape_of(name)
        if not _fits(want, have):
            return Misfit(name, want, have)
    known = {n for n, _ in expected} | ignored
    for name in names:
        if name not in known and not name.endswith(".num_batches_tracked"):
            return Misfit(name, None, shape_of(name))
    return None


def detect_naming(names: Sequence[str], shape_of) -> tuple[str, Naming]:
    for key, naming in NAMINGS.items():
        if naming.marker in names:
            return key, naming
    first = names[0] if names else None
    found = f"its first tensor is {first} {fmt_shape(shape_of(first))}" if first else "it holds no tensors"
    markers = ", ".join(f"{n.marker} ({n.name})" for n in NAMINGS.values())
    raise ImportFormatError(f"no known EfficientNet layout: expected {markers}; {found}")


@dataclass(frozen=True)
class Fit:
    variant: str
    classes: int | None
    inferred: bool


def _classes_of(naming: Naming, shape_of) -> int | None:
    module, _ = naming.locate("classifier", None)
    shape = shape_of(f"{module}.weight")
    return shape[0] if shape and len(shape) == 2 else None


def fit_variant(names: Sequence[str], shape_of, naming: Naming, variant: str | None, detector: bool,
                classes: int | None) -> Fit:
    """The variant the checkpoint's tensors fit (given or inferred) and the classifier's width."""
    def expected(v: str) -> tuple[list[tuple[str, Shape]], set[str]]:
        backbone, head = plan_convs(naming, scaled(v), classes)
        tensors = [t for c in backbone for t in c.tensors()]
        head_tensors = [t for c in head for t in c.tensors()]
        if detector:       # the yolo heads use neither conv_head nor the classifier
            return tensors, {n for n, _ in head_tensors}
        return tensors + head_tensors, set()

    def misfit(v: str) -> Misfit | None:
        return first_misfit(names, shape_of, *expected(v))

    def closeness(v: str) -> int:
        """Tensors that fit, minus those that do not and those the variant lacks."""
        tensors, ignored = expected(v)
        fit = sum(_fits(want, shape_of(n)) for n, want in tensors)
        known = {n for n, _ in tensors} | ignored
        extra = sum(1 for n in names if n not in known and not n.endswith(".num_batches_tracked"))
        return 2 * fit - len(tensors) - extra

    if variant is not None:
        key = get_variant(variant).name
        if key not in naming.variants:
            raise UsageError(f"--variant {variant}: {naming.name} checkpoints exist for "
                             f"{', '.join(naming.variants)}")
        bad = misfit(key)
        if bad:
            raise ImportFormatError(bad.describe(f"{_full(key)} ({naming.name} naming)"))
        return Fit(key, classes if classes is not None else _classes_of(naming, shape_of), False)
    results = {v: misfit(v) for v in naming.variants}
    fitting = [v for v, bad in results.items() if bad is None]
    if fitting:
        return Fit(fitting[0], classes if classes is not None else _classes_of(naming, shape_of), True)
    closest = max(results, key=closeness)
    raise ImportFormatError(f"fits no variant ({naming.name} naming); closest is {closest}: "
                            + results[closest].describe(_full(closest)))


# ------------------------------------------------------------------------------------------------
# TF "same" padding: which layers differ, and by how much

def asymmetric_layers(network) -> list[int]:
    """Stride-2 convs whose input side is even: TF 'same' pads them 0 before / 1 after (k3) or 1 / 2
    (k5), darknet size//2 on both sides (docs/efficientnet.md §4)."""
    out = []
    for layer in network.layers:
        if layer.type == "convolutional" and layer.conf.get("stride", 1) == 2 \
                and (layer.input.w % 2 == 0 or layer.input.h % 2 == 0):
            out.append(layer.index)
    return out


def measure_padding(ckpt, convs: Sequence[Conv], net: Network, head: Sequence[Conv],
                    eps: float, stats, size: tuple[int, int], activation: str, images: int = 8,
                    seed: int = 0) -> tuple[float, int, int] | None:
    """Run the checkpoint both ways in torch (TF 'same' as trained, symmetric as darknet) on
    ``images`` deterministic [0, 1] images; return (max |diff| / max |output|, top-1 agreements,
    images), or None without torch. The output is the logits with a classifier, else the last
    backbone feature map."""
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return None
    import numpy as np

    def t(name: str):
        return torch.from_numpy(ckpt.array(name).copy())

    act = (lambda x: x.clamp(0, 6)) if activation == "relu6" else F.silu

    def conv_bn(x, c: Conv, stride: int, groups: int, same: bool, activate: bool = True):
        w = t(c.weight)
        k = w.shape[-1]
        if same:
            ph = max((math.ceil(x.shape[2] / stride) - 1) * stride + k - x.shape[2], 0)
            pw = max((math.ceil(x.shape[3] / stride) - 1) * stride + k - x.shape[3], 0)
            x = F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))
            y = F.conv2d(x, w, None, stride, 0, 1, groups)
        else:
            y = F.conv2d(x, w, None, stride, k // 2, 1, groups)
        y = F.batch_norm(y, t(f"{c.bn}.running_mean"), t(f"{c.bn}.running_var"), t(f"{c.bn}.weight"),
                         t(f"{c.bn}.bias"), False, 0.0, eps)
        return act(y) if activate else y

    def forward(x, same: bool):
        it = iter(convs)
        x = conv_bn(x, next(it), 2, 1, same)
        for b in net.blocks:
            inp = x
            if b.expand_ratio != 1:
                x = conv_bn(x, next(it), 1, 1, same)
            x = conv_bn(x, next(it), b.stride, b.expanded, same)
            if b.se_filters:
                r, e = next(it), next(it)
                s = x.mean((2, 3), keepdim=True)
                s = act(F.conv2d(s, t(r.weight), t(r.bias)))
                x = x * torch.sigmoid(F.conv2d(s, t(e.weight), t(e.bias)))
            x = conv_bn(x, next(it), 1, 1, same, activate=False)
            if b.skip:
                x = x + inp
        if head:
            x = conv_bn(x, head[0], 1, 1, same).mean((2, 3))
            x = F.linear(x, t(head[1].weight), t(head[1].bias))
        return x.flatten(1)

    rng = np.random.default_rng(seed)
    mean, std = (torch.tensor(v, dtype=torch.float32).view(1, 3, 1, 1) for v in stats)
    x = torch.from_numpy(rng.random((images, 3, size[1], size[0]), dtype=np.float32))
    x = (x - mean) / std
    with torch.no_grad():
        tf, dn = forward(x, True), forward(x, False)
    rel = float((tf - dn).abs().max() / tf.abs().max().clamp_min(1e-30))
    agree = int((tf.argmax(1) == dn.argmax(1)).sum())
    return rel, agree, images


# ------------------------------------------------------------------------------------------------
# import

@dataclass(frozen=True)
class ImportResult:
    cfg_path: str
    weights_path: str
    naming: str
    variant: str
    inferred: bool
    classes: int
    layers: int                     # layers whose weights are in the file (N of .conv.N, or all)
    floats: int
    info: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    deviation: tuple[float, int, int] | None = None


def _parse_triple(text: str | Sequence[float] | None, what: str) -> tuple[float, float, float] | None:
    if text is None:
        return None
    try:
        values = tuple(float(v) for v in (text.split(",") if isinstance(text, str) else text))
    except ValueError:
        raise UsageError(f"--{what} {text!r}: expected three comma-separated numbers (R,G,B)") from None
    if len(values) != 3 or not all(math.isfinite(v) for v in values):
        raise UsageError(f"--{what} {text!r}: expected three finite numbers (R,G,B)")
    if what == "std" and min(values) <= 0:
        raise UsageError(f"--std {text!r}: every std must be positive")
    return values  # type: ignore[return-value]


def check_options(prefix: str, head: str, normalize: bool, mean, std
                  ) -> tuple[bool, tuple[float, float, float] | None, tuple[float, float, float] | None]:
    """What every ``cfggen import`` checks before opening the checkpoint: the head, ``--mean``/``--std``
    and the output prefix. Returns (a detector head?, the parsed --mean, the parsed --std)."""
    from cfggen.generate import HEADS

    if head not in HEADS:
        raise UsageError(f"unknown head {head!r}; expected one of {', '.join(HEADS)}")
    mean_given, std_given = _parse_triple(mean, "mean"), _parse_triple(std, "std")
    if not normalize and (mean_given or std_given):
        raise UsageError("--mean/--std describe the input normalization that --no-normalize leaves out")
    folder = os.path.dirname(os.path.abspath(prefix))
    if not os.path.isdir(folder):
        raise InputError("the output folder does not exist", path=prefix)
    if os.path.isdir(f"{prefix}.cfg"):        # checked up front: the cfg is written after the weights
        raise InputError("is a directory", path=f"{prefix}.cfg")
    return HEADS[head].detector, mean_given, std_given


def _build_network(text: str):
    from cfggen.cfg.parse import parse
    from cfggen.ir.build import infer, plan

    network, _ = infer(plan(parse(text)))
    return network


@dataclass(frozen=True)
class Origin:
    """What a checkpoint is, from its keys and shapes, its file name and the options."""

    key: str                  # NAMINGS key
    naming: Naming
    fit: Fit
    tf: bool                  # a TensorFlow port
    same: bool                # TF "same" padding
    eps: float                # its BN epsilon
    mean: tuple[float, float, float]
    std: tuple[float, float, float]


def resolve(ckpt, path: str, variant: str | None, detector: bool, classes: int | None, tf_port: bool | None,
            mean, std) -> Origin:
    names, shape_of = ckpt.names, ckpt.shape
    try:
        key, naming = detect_naming(names, shape_of)
        fit = fit_variant(names, shape_of, naming, variant, detector, None if detector else classes)
    except ImportFormatError as exc:
        raise ImportFormatError(exc.message, path=path) from None
    if not detector and fit.classes is None:
        raise ImportFormatError(f"no classifier tensor {naming.locate('classifier', None)[0]}.weight: "
                                "a backbone-only checkpoint imports with --head yolo or yolo-tiny", path=path)
    base = os.path.basename(path).lower()
    # the state dict records neither padding nor epsilon: timm names its TF ports tf_*
    tf = tf_port if tf_port is not None else base.startswith("tf_") or "tf_efficientnet" in base
    default_mean, default_std = naming.stats(fit.variant, tf)
    return Origin(key, naming, fit, tf, naming.tf_same(fit.variant, tf), naming.eps(fit.variant, tf),
                  mean or default_mean, std or default_std)


def describe(o: Origin, base: str, kind: str, detector: bool, tf_port: bool | None, normalize: bool
             ) -> tuple[list[str], list[str]]:
    """(messages for the user, header comments for the cfg) about where the weights come from."""
    inferred = " (inferred from the tensor shapes)" if o.fit.inferred else ""
    info = [f"{base}: {o.naming.name} naming ({kind}), {_full(o.fit.variant)} "
            + ("inferred from the tensor shapes" if o.fit.inferred else "as given")
            + ("" if detector else f", {o.fit.classes} classes")]
    if o.key == "timm" and tf_port is None:
        info.append("timm naming does not record padding or BN epsilon: "
                    + ("the file name says TF port (tf_*): TF 'same' padding, BN epsilon 1e-3" if o.tf else
                       "assumed a PyTorch-trained model (symmetric padding, BN epsilon 1e-5); "
                       "a tf_* port needs --tf-port"))
    notes = [f"imported by cfggen import from {base}: {o.naming.name} naming, {_full(o.fit.variant)}{inferred}"]
    if normalize:
        notes.append(normalize_note(o.mean, o.std))
    if o.eps != DARKNET_EPS:
        notes.append(epsilon_note(o.eps))
    return info, notes


def normalize_note(mean, std) -> str:
    """An import's header line for its input-normalization layer."""
    from cfggen.generate import format_values

    return (f"layer 0 normalizes the [0, 1] RGB input as the checkpoint expects: (x - mean) / std, "
            f"mean {format_values(mean)}, std {format_values(std)}; so every later layer index is cfggen build's + 1")


def backbone_note(prefix: str, weights_path: str, upto: int) -> str:
    """A detector import's header line: what its backbone weights file holds and how darknet trains on it."""
    name = os.path.basename(weights_path)
    return (f"backbone weights: {name} holds layers 0-{upto - 1} (darknet detector train DATA "
            f"{os.path.basename(prefix)}.cfg {name})")


def epsilon_note(eps: float) -> str:
    """An import's header line for a checkpoint BN epsilon other than darknet's."""
    return (f"checkpoint BN epsilon {eps:g} folded into rolling_variance (+{eps - DARKNET_EPS:g}): "
            "darknet normalizes with sqrt(var + 1e-5)")


def import_checkpoint(checkpoint: str, prefix: str, variant: str | None = None, head: str = "classifier",
                      classes: int | None = None, size=None, normalize: bool = True,
                      mean=None, std=None, tf_port: bool | None = None, measure: bool = True,
                      ckpt=None) -> ImportResult:
    """Convert ``checkpoint`` into ``prefix.cfg`` and ``prefix.weights`` (classifier) or
    ``prefix.conv.N`` (detector backbone). Checks every tensor before writing anything. ``ckpt``: the
    checkpoint already open (the caller closes it), else it is opened after the option checks."""
    from contextlib import nullcontext

    from cfggen.convert.checkpoint import open_checkpoint
    from cfggen.convert.weights import layout, write_arrays
    from cfggen.generate import compose, input_normalize, write_atomic

    detector, mean_given, std_given = check_options(prefix, head, normalize, mean, std)
    with nullcontext(ckpt) if ckpt is not None else open_checkpoint(checkpoint) as ckpt:
        origin = resolve(ckpt, checkpoint, variant, detector, classes, tf_port, mean_given, std_given)
        fit = origin.fit
        info, notes = describe(origin, os.path.basename(checkpoint), ckpt.kind, detector, tf_port, normalize)
        warnings: list[str] = []
        input_layers = input_normalize(origin.mean, origin.std) if normalize else ""
        options = dict(head=head, classes=classes if detector else fit.classes, size=size,
                       input_layers=input_layers)
        draft = compose(fit.variant, **options, notes=notes)
        network = _build_network(draft.text)
        backbone, head_convs = plan_convs(origin.naming, draft.net, fit.classes)
        sources: list[Conv | None] = ([None] if normalize else []) + backbone
        if detector:
            upto = draft.taps[max(draft.taps)].index + 1
        else:
            sources += head_convs
            upto = len(network.layers)
        spans = [s for s in layout(network, 20, "save", upto) if s.arrays]
        if len(spans) != len(sources) or any(s.layer.type != "convolutional" for s in spans):
            raise RuntimeError(f"cfg/plan mismatch: {len(spans)} layers with weights, {len(sources)} sources")
        producers = _producers(ckpt, spans, sources, origin.eps, origin.mean, origin.std)
        weights_path = f"{prefix}.conv.{upto}" if detector else f"{prefix}.weights"

        warning, deviation = (padding_warning(ckpt, network, draft, backbone, [] if detector else head_convs,
                                              origin.eps, (origin.mean, origin.std), measure)
                              if origin.same else (None, None))
        more = []                            # header comments that need the built network
        if warning:
            warnings.append(warning)
            more.append(f"warning: {warning}")
        if detector:
            more.append(backbone_note(prefix, weights_path, upto))
        text = add_notes(draft.text, more)   # comments move no layer: the draft's network stays valid
        result = write_arrays(weights_path, network, lambda a: producers[a.key](), upto=upto)
        unused = [m for c in head_convs for m in (c.weight.rsplit(".", 1)[0], c.bn)
                  if detector and m and f"{m}.weight" in ckpt]
    cfg_path = f"{prefix}.cfg"
    write_atomic(cfg_path, text)
    info.append(f"wrote {cfg_path} and {weights_path} (layers 0-{upto - 1}, {result.floats:,} floats)")
    if unused:
        info.append(f"not used by the {head} head: {', '.join(unused)}")
    return ImportResult(cfg_path, weights_path, origin.naming.name, fit.variant, fit.inferred,
                        fit.classes if not detector else draft.classes, upto, result.floats,
                        tuple(info), tuple(warnings), deviation)


def padding_warning(ckpt, network, draft, backbone: Sequence[Conv], head_convs: Sequence[Conv], eps: float,
                    stats, measure: bool) -> tuple[str | None, tuple[float, int, int] | None]:
    """The warning for a TF-"same" checkpoint: which darknet layers pad differently at this input size
    and, with torch, by how much the outputs then differ (None: every stride-2 input is odd)."""
    asym = asymmetric_layers(network)
    if not asym:
        return None, None
    w, h = draft.size
    text = (f"TF 'same' padding: the checkpoint pads {len(asym)} stride-2 conv(s) asymmetrically at {w}x{h} "
            f"(darknet layers {', '.join(map(str, asym))}); darknet pads symmetrically, so outputs deviate")
    # measure_padding's forward pass knows plain blocks in one activation, not MixNet's mixed convs
    # and per-block activations (tf_mixnet_*): those are reported unmeasured rather than guessed
    plain = not any(b.mixed or b.activation for b in draft.net.blocks)
    deviation = measure_padding(ckpt, backbone, draft.net, head_convs, eps, stats, draft.size,
                                draft.activation) if measure and plain else None
    if deviation:
        rel, agree, n = deviation
        text += (f": measured on {n} deterministic inputs, max relative "
                 f"{'logits' if head_convs else 'backbone output'} difference {rel:.2e}"
                 + (f", top-1 agrees on {agree}/{n}" if head_convs else ""))
    elif measure and not plain:
        text += " (not measured for mixed-kernel networks)"
    elif measure:
        text += " (install torch to measure by how much)"
    return text, deviation


def add_notes(text: str, lines: Sequence[str]) -> str:
    """Append comment lines to a generated cfg's header (it ends with a blank line before [net])."""
    head, sep, rest = text.partition("\n\n[net]\n")
    return head + "".join(f"\n# {line}" for line in lines) + sep + rest


def _producers(ckpt, spans, sources, eps: float, mean, std) -> dict:
    """array key -> a function returning its floats; every count checked against the plan first."""
    import numpy as np

    out: dict = {}
    fold = np.float32(eps - DARKNET_EPS)
    for span, src in zip(spans, sources):
        counts = {a.name: a.count for a in span.arrays}
        if src is None:                              # the input normalization layer
            m, s = np.asarray(mean, np.float32), np.asarray(std, np.float32)
            table = {"biases": lambda m=m, s=s: -m / s, "weights": lambda s=s: np.float32(1) / s}
            sizes = {"biases": 3, "weights": 3}
        else:
            names = tuple(n for n, _ in src.parts)
            table = {"weights": lambda names=names: np.concatenate([ckpt.array(n).reshape(-1) for n in names])}
            sizes = {"weights": sum(math.prod(ckpt.shape(n)) for n in names)}
            if src.bn:
                bn = src.bn
                cut = slice(*src.bn_span[:2]) if src.bn_span else slice(None)
                table.update({
                    "biases": lambda n=f"{bn}.bias", c=cut: ckpt.array(n)[c],
                    "scales": lambda n=f"{bn}.weight", c=cut: ckpt.array(n)[c],
                    "rolling_mean": lambda n=f"{bn}.running_mean", c=cut: ckpt.array(n)[c],
                    "rolling_variance": lambda n=f"{bn}.running_var", c=cut: ckpt.array(n)[c] + fold,
                })
            else:
                table["biases"] = lambda n=src.bias: ckpt.array(n)
            for name in table:
                if name != "weights":
                    sizes[name] = src.channels if src.role != "classifier" else ckpt.shape(src.bias)[0]
        if set(table) != set(counts) or any(sizes[k] != counts[k] for k in counts):
            raise RuntimeError(f"layer {span.index}: darknet arrays {counts} vs checkpoint {sizes}")
        for a in span.arrays:
            out[a.key] = table[a.name]
    return out
