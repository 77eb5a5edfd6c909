"""``cfggen import`` for the layer-by-layer families (``cfggen.standalone``: MobileNetV3, GhostNet).

A family module (``convert/mobilenetv3.py``, ``convert/ghostnet.py``) says which namings it reads
(``Naming``: detection from the keys, a rename from the generator's canonical module names, the BN
epsilon). This module does the rest, the same way for every family: build the cfg
(``standalone.compose``), list every tensor each darknet conv needs (``Writer.convs``), check all of
them — names, shapes, nothing left over — before writing, then write the weights with the scale
factors of the exact constructions folded in (``scale/sequential.py``) and the BN epsilon folded into
``rolling_variance`` (darknet normalizes with ``sqrt(var + 1e-5)``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Sequence

from cfggen.errors import InputError, UsageError

DARKNET_EPS = 1e-5
IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
WIDTHS = (1.0, 0.75, 0.5, 0.35, 1.25, 1.5, 2.0)     # width multipliers tried when inferring one
BN_KEYS = ("weight", "bias", "running_mean", "running_var")


@dataclass(frozen=True)
class Naming:
    name: str                                   # "geffnet", "torchvision", ...
    detect: Callable[[Sequence[str]], bool]     # does a checkpoint with these keys use this naming?
    rename: Callable[[str, object], str]        # (canonical module, built) -> checkpoint module
    eps: float
    variants: tuple[str, ...]                   # standalone family names it exists for
    head_modules: tuple[str, ...] = ()          # canonical modules only the classifier uses


@dataclass(frozen=True)
class Need:
    """One tensor a darknet conv reads."""

    name: str
    shapes: tuple[tuple[int, ...], ...]         # accepted shapes (a Linear's 2-D weight or a 1x1 conv)


def needs(built, naming: Naming) -> list[tuple[object, dict[str, Need]]]:
    """For every conv of ``built`` with a checkpoint source: {role: Need} (role weight/bias/bn.*)."""
    out = []
    for src in built.writer.convs:
        module = naming.rename(src.module, built)
        shape = src.shape
        shapes = (shape,) + (((shape[0], shape[1]),) if src.linear_2d and shape[2:] == (1, 1) else ())
        roles = {"weight": Need(f"{module}.weight", shapes)}
        if src.bn:
            bn = naming.rename(src.bn, built)
            roles.update({f"bn.{k}": Need(f"{bn}.{k}", ((shape[0],),)) for k in BN_KEYS})
        else:
            roles["bias"] = Need(f"{module}.bias", ((shape[0],),))
        out.append((src, roles))
    return out


def misfit(names: Sequence[str], shape_of, built, naming: Naming, ignored: set[str] = frozenset()) -> str | None:
    """The first tensor that does not fit ``built`` (missing, wrong shape, or left over), or None."""
    from cfggen.convert.efficientnet import fmt_shape

    known = set(ignored)
    for _, roles in needs(built, naming):
        for need in roles.values():
            have = shape_of(need.name)
            if have is None or tuple(have) not in need.shapes:
                return (f"tensor {need.name}: expected {' or '.join(map(fmt_shape, need.shapes))}, "
                        f"found {fmt_shape(have)}")
            known.add(need.name)
    for name in names:
        if name not in known and not name.endswith(".num_batches_tracked") \
                and not any(name.startswith(m + ".") for m in ignored):
            return f"unexpected tensor {name} {fmt_shape(shape_of(name))}: the network has no such tensor"
    return None


@dataclass(frozen=True)
class ImportResult:
    cfg_path: str
    weights_path: str
    naming: str
    variant: str
    inferred: bool
    classes: int
    layers: int
    floats: int
    info: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    deviation: None = None


def import_family(checkpoint: str, prefix: str, namings: Sequence[Naming], variant: str | None = None,
                  head: str = "classifier", classes: int | None = None, size=None, normalize: bool = True,
                  mean=None, std=None, hswish: str | None = None, classes_of: Callable | None = None
                  ) -> ImportResult:
    """Convert ``checkpoint`` (one of ``namings``) into ``prefix.cfg`` + ``prefix.weights`` (classifier)
    or ``prefix.conv.N`` (detector backbone). Nothing is written unless every tensor fits."""
    from cfggen.convert.checkpoint import open_checkpoint
    from cfggen.convert.efficientnet import _parse_triple, _build_network
    from cfggen.convert.weights import layout, write_arrays
    from cfggen.generate import HEADS, write_atomic
    from cfggen.standalone import compose, lookup

    if head not in HEADS:
        raise UsageError(f"unknown head {head!r}; expected one of {', '.join(HEADS)}")
    detector = HEADS[head].detector
    mean_given, std_given = _parse_triple(mean, "mean"), _parse_triple(std, "std")
    if not normalize and (mean_given or std_given):
        raise UsageError("--mean/--std describe the input normalization that --no-normalize leaves out")
    folder = os.path.dirname(os.path.abspath(prefix))
    if not os.path.isdir(folder):
        raise InputError("the output folder does not exist", path=prefix)
    if os.path.isdir(f"{prefix}.cfg"):
        raise InputError("is a directory", path=f"{prefix}.cfg")
    stats = (mean_given or IMAGENET[0], std_given or IMAGENET[1])

    with open_checkpoint(checkpoint) as ckpt:
        names, shape_of = ckpt.names, ckpt.shape
        naming = next(n for n in namings if n.detect(names))
        if os.path.basename(checkpoint).lower().startswith("tf_"):
            # timm's tf_mobilenetv3_* ports: TF 'same' padding and BN eps 1e-3, not recorded in the keys
            raise UsageError(f"{os.path.basename(checkpoint)}: a TF port (tf_*: TF 'same' padding, BN epsilon "
                             f"1e-3) is not supported for {naming.name} checkpoints; only PyTorch-trained ones")
        candidates = naming.variants
        if variant is not None:
            key = lookup(variant)
            if key not in naming.variants:
                raise UsageError(f"--variant {variant}: {naming.name} checkpoints of this kind exist for "
                                 f"{', '.join(naming.variants)}")
            candidates = (key,)
        found_classes = classes_of(names, shape_of) if classes_of else None
        if not detector:
            if found_classes is None:
                raise InputError("no classifier tensor: a backbone-only checkpoint imports with --head yolo or "
                                 "yolo-tiny", path=checkpoint)
            if classes is not None and classes != found_classes:
                raise UsageError(f"--classes {classes}: the checkpoint's classifier has {found_classes}")
        out_classes = classes if detector else found_classes

        def build(name: str, width: float, notes=()):
            return compose(name, head=head, classes=out_classes, size=size, hswish=hswish, width_mult=width,
                           normalize=stats if normalize else None, notes=notes, fixed_ok=True)

        problems = {}
        ignored = set(naming.head_modules) if detector else set()
        fitting = None
        for name in candidates:
            for width in WIDTHS:       # the width is inferred like the variant: the one every tensor fits
                built = build(name, width)
                bad = misfit(names, shape_of, built, naming, ignored)
                if bad is None:
                    fitting = name, width
                    break
                if width == 1.0:
                    problems[name] = bad
            if fitting:
                break
        else:
            detail = "; ".join(f"{k}: {v}" for k, v in problems.items())
            raise InputError(f"{naming.name} naming, but fits no {' or '.join(candidates)} (at any of the widths "
                             f"{', '.join(map(str, WIDTHS))}); at width 1.0: {detail}", path=checkpoint)
        name, width = fitting
        inferred = variant is None
        base = os.path.basename(checkpoint)
        notes = [f"imported by cfggen import from {base}: {naming.name} naming, {name} width {width}"
                 + (" (inferred from the tensor shapes)" if inferred else "")]
        if normalize:
            notes.append(f"layer 0 normalizes the [0, 1] RGB input as the checkpoint expects: (x - mean) / std, "
                         f"mean {_fmt(stats[0])}, std {_fmt(stats[1])}; so every later layer index is cfggen "
                         "build's + 1")
        if naming.eps != DARKNET_EPS:
            notes.append(f"checkpoint BN epsilon {naming.eps:g} folded into rolling_variance "
                         f"(+{naming.eps - DARKNET_EPS:g}): darknet normalizes with sqrt(var + 1e-5)")
        if built.hswish == "relu":
            notes.append("--hswish relu: the fixed 1x1 convs of the hard-sigmoid are written by this import; keep "
                         "them (learning_rate=0) when training")
        if built.hswish == "approx":
            notes.append("--hswish approx: these weights were trained with hard-swish/hard-sigmoid; this cfg "
                         "computes swish/logistic instead, so its outputs deviate from the checkpoint's")
        built = build(name, width, notes)
        network = _build_network(built.text)
        upto = built.backbone_end if detector else len(network.layers)
        spans = [s for s in layout(network, 20, "save", upto) if s.arrays]
        sources = {src.index: (src, roles) for src, roles in needs(built, naming)}
        constants = set(built.writer.constants)
        producers = {}
        for span in spans:
            index = span.index
            if index in sources:
                table = _producers(ckpt, *sources[index], naming.eps)
            elif index in constants and normalize and index == 0:
                table = _normalization(stats)
            elif index in built.writer.fixed:
                table = _fixed(*built.writer.fixed[index], span)
            else:
                raise RuntimeError(f"layer {index}: no source for its weights")
            for a in span.arrays:
                if a.name not in table:
                    raise RuntimeError(f"layer {index}: no source for {a.name}")
                producers[a.key] = table[a.name]
        weights_path = f"{prefix}.conv.{upto}" if detector else f"{prefix}.weights"
        text = built.text
        if detector:
            wname = os.path.basename(weights_path)
            from cfggen.convert.efficientnet import add_notes
            text = add_notes(text, [f"backbone weights: {wname} holds layers 0-{upto - 1} (darknet detector "
                                    f"train DATA {os.path.basename(prefix)}.cfg {wname})"])
        result = write_arrays(weights_path, network, lambda a: producers[a.key](), upto=upto)
    write_atomic(f"{prefix}.cfg", text)
    info = [f"{base}: {naming.name} naming ({ckpt.kind}), {name} width {width} "
            + ("inferred from the tensor shapes" if inferred else "as given")
            + ("" if detector else f", {out_classes} classes"),
            f"wrote {prefix}.cfg and {weights_path} (layers 0-{upto - 1}, {result.floats:,} floats)"]
    warnings = []
    if built.hswish == "approx":
        warnings.append("--hswish approx: swish/logistic instead of the checkpoint's hard-swish/hard-sigmoid; "
                        "outputs deviate (see README for the measured deviation)")
    return ImportResult(f"{prefix}.cfg", weights_path, naming.name, name, inferred, out_classes, upto,
                        result.floats, tuple(info), tuple(warnings))


def _fmt(values) -> str:
    return ",".join(f"{v:g}" for v in values)


def _normalization(stats) -> dict:
    import numpy as np
    m, s = (np.asarray(v, np.float32) for v in stats)
    return {"biases": lambda: -m / s, "weights": lambda: np.float32(1) / s}


def _fixed(weight: float, bias: float, span) -> dict:
    """A fixed 1x1 depthwise conv of the ``--hswish relu`` construction: one weight and bias per channel."""
    import numpy as np
    n = {a.name: a.count for a in span.arrays}
    return {"weights": lambda: np.full(n["weights"], weight, np.float32),
            "biases": lambda: np.full(n["biases"], bias, np.float32)}


def _producers(ckpt, src, roles: dict, eps: float) -> dict:
    """darknet array name -> its floats, scale factors and epsilon folded in (float64, then float32)."""
    import numpy as np

    def get(role: str):
        return ckpt.array(roles[role].name).astype(np.float64)

    def weights():
        w = get("weight").reshape(-1) / src.in_scale
        return (w if src.bn else w * src.out_scale).astype(np.float32)

    if src.bn:
        return {"weights": weights,
                "biases": lambda: (get("bn.bias") * src.out_scale).astype(np.float32),
                "scales": lambda: (get("bn.weight") * src.out_scale).astype(np.float32),
                "rolling_mean": lambda: get("bn.running_mean").astype(np.float32),
                "rolling_variance": lambda: (get("bn.running_var") + (eps - DARKNET_EPS)).astype(np.float32)}
    return {"weights": weights, "biases": lambda: (get("bias") * src.out_scale).astype(np.float32)}


def measure(cfg: str, weights: str, image, layers: Sequence[int]) -> dict[int, "object"]:
    """Run the exported ONNX model in onnxruntime on ``image`` (1,3,H,W float32): {layer: output}."""
    import onnxruntime as ort

    from cfggen.export import to_onnx

    model = to_onnx(cfg, weights, debug_layers=list(layers))
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (feed,) = session.get_inputs()
    names = [o.name for o in session.get_outputs()]
    outs = session.run(None, {feed.name: image})
    got = dict(zip(names, outs))
    return {i: got[f"layer_{i}"] for i in layers}


__all__ = ["Naming", "import_family", "measure", "misfit", "needs"]
