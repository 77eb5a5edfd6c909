"""``cfggen import`` for the layer-by-layer families (``cfggen.standalone``: MobileNetV3, GhostNet,
ShuffleNetV2, PeleeNet).

A family's importer module (``convert/<family>.py``) says which namings it reads (``NAMINGS``: detection
from the keys, a rename from the generator's canonical module names, the classifier's key, the BN
epsilon). This module does the rest, the same way for every family: build the cfg
(``standalone.compose``), list every tensor each darknet conv needs (``Writer.convs``), check all of
them — names, full shapes, nothing left over — before writing, then write the weights with the channel
permutations (``rows``/``cols``), the scale factors of the exact constructions (``scale/sequential.py``)
and the BN epsilon (darknet normalizes with ``sqrt(var + 1e-5)``: the difference goes into
``rolling_variance``) folded in; ``.weights`` for a classifier, ``.conv.N`` (the backbone) for a detector.
"""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Callable, Sequence

from cfggen.convert.efficientnet import (DARKNET_EPS, IMAGENET, ImportResult, epsilon_note, fmt_shape,
                                         normalize_note)
from cfggen.errors import InputError, UsageError

WIDTHS = (1.0, 0.75, 0.5, 0.35, 1.25, 1.5, 2.0)     # width multipliers tried when inferring one
BN_KEYS = ("weight", "bias", "running_mean", "running_var")


def _same(module: str, built) -> str:
    return module


@dataclass(frozen=True)
class Naming:
    name: str                                   # "geffnet/timm", "torchvision ShuffleNetV2", ...
    detect: Callable[[Sequence[str]], bool]     # does a checkpoint with these keys use this naming?
    variants: tuple[str, ...]                   # the family names it exists for
    classifier: tuple[str, ...]                 # the final Linear's module (its weight's rows: the classes)
    rename: Callable[[str, object], str] = _same     # (canonical module, built) -> checkpoint module
    eps: float = DARKNET_EPS


def markers(*keys: str) -> Callable[[Sequence[str]], bool]:
    """A ``Naming.detect`` that wants every one of ``keys``."""
    wanted = frozenset(keys)
    return lambda names: wanted <= set(names)


def namings() -> list[Naming]:
    """Every family's namings, in registry order (the order ``cfggen import`` tries them)."""
    from cfggen.standalone import importers
    return [n for module in importers() for n in importlib.import_module(module).NAMINGS]


def naming_for(names: Sequence[str], variant: str | None = None) -> Naming | None:
    """``cfggen import``'s dispatch: the naming a checkpoint's tensor ``names`` follow or, when none does,
    the one of ``--variant``'s family (None: leave it to the EfficientNet importer)."""
    from cfggen.standalone import lookup
    found = next((n for n in namings() if n.detect(names)), None)
    fam = lookup(variant)
    if found is None and fam is not None:
        found = next(n for n in namings() if fam.name in n.variants)
    return found


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


def _names(built, naming: Naming) -> set[str]:
    return {need.name for _, roles in needs(built, naming) for need in roles.values()}


def misfit(names: Sequence[str], shape_of, built, naming: Naming,
           ignored: set[str] | Callable[[], set[str]] = frozenset()) -> str | None:
    """The first tensor that does not fit ``built`` (missing, wrong shape, or left over; ``ignored``
    tensors may be there: the set, or a function giving it, called only once a tensor is left over), or
    None."""
    known = set()
    for _, roles in needs(built, naming):
        for need in roles.values():
            have = shape_of(need.name)
            if have is None or tuple(have) not in need.shapes:
                return (f"tensor {need.name}: expected {' or '.join(map(fmt_shape, need.shapes))}, "
                        f"found {fmt_shape(have)}")
            known.add(need.name)
    allowed = None
    for name in names:
        if name not in known and not name.endswith(".num_batches_tracked"):
            if allowed is None:
                allowed = ignored() if callable(ignored) else ignored
            if name not in allowed:
                return f"unexpected tensor {name} {fmt_shape(shape_of(name))}: the network has no such tensor"
    return None


def import_checkpoint(checkpoint: str, prefix: str, naming: Naming | None = None, variant: str | None = None,
                      head: str = "classifier", classes: int | None = None, size=None, normalize: bool = True,
                      mean=None, std=None, hswish: str | None = None, ckpt=None) -> ImportResult:
    """Convert ``checkpoint`` (``naming``, or the one its keys follow) into ``prefix.cfg`` +
    ``prefix.weights`` (classifier) or ``prefix.conv.N`` (detector backbone). Nothing is written unless
    every tensor fits. ``ckpt``: the checkpoint already open (the caller closes it), else it is opened
    after the option checks."""
    from contextlib import nullcontext

    from cfggen.convert.checkpoint import open_checkpoint
    from cfggen.convert.efficientnet import _build_network, add_notes, backbone_note, check_options
    from cfggen.convert.weights import layout, write_arrays
    from cfggen.generate import write_atomic
    from cfggen.standalone import compose, lookup

    detector, mean_given, std_given = check_options(prefix, head, normalize, mean, std)
    stats = (mean_given or IMAGENET[0], std_given or IMAGENET[1])

    with nullcontext(ckpt) if ckpt is not None else open_checkpoint(checkpoint) as ckpt:
        names, shape_of = ckpt.names, ckpt.shape
        naming = naming or next((n for n in namings() if n.detect(names)), None)
        if naming is None:
            raise InputError("no known MobileNetV3, GhostNet, ShuffleNetV2 or PeleeNet layout", path=checkpoint)
        base = os.path.basename(checkpoint)
        if base.lower().startswith("tf_"):
            # timm's tf_* ports: TF 'same' padding and BN eps 1e-3, not recorded in the keys
            raise UsageError(f"a TF port (tf_*: TF 'same' padding, BN epsilon 1e-3) is not supported for "
                             f"{naming.name} checkpoints; only PyTorch-trained ones", path=checkpoint)
        candidates = naming.variants
        if variant is not None:
            fam = lookup(variant)
            if fam is None or fam.name not in naming.variants:
                raise UsageError(f"a {naming.name} checkpoint, not one for --variant {variant}: checkpoints of this "
                                 f"kind exist for {', '.join(naming.variants)}", path=checkpoint)
            candidates = (fam.name,)
        shapes = [shape_of(f"{m}.weight") for m in naming.classifier]
        found = next((shape[0] for shape in shapes if shape), None)
        if not detector:
            if found is None:
                raise InputError(f"no classifier tensor {naming.classifier[0]}.weight: a backbone-only checkpoint "
                                 "imports with --head yolo or yolo-tiny", path=checkpoint)
            if classes is not None and classes != found:
                raise UsageError(f"--classes {classes}: the checkpoint's classifier has {found} classes")
        out_classes = classes if detector else found

        def build(name: str, width: float, head=head, classes=out_classes):
            scaled = "width_mult" in lookup(name).options
            return compose(name, head=head, classes=classes, size=size, hswish=hswish,
                           width_mult=width if scaled else None, normalize=stats if normalize else None,
                           fixed_ok=True)

        problems = {}
        fitting = None
        for name in candidates:
            widths = WIDTHS if "width_mult" in lookup(name).options else (1.0,)
            for width in widths:       # the width is inferred like the variant: the one every tensor fits
                built = build(name, width)

                def classifier_only(name=name, width=width, built=built) -> set[str]:
                    return _names(build(name, width, head="classifier", classes=found or 1), naming) - \
                        _names(built, naming)

                # a detector's backbone file uses neither the classifier nor what only it reads (built only
                # when the checkpoint has tensors the detector does not read)
                bad = misfit(names, shape_of, built, naming, classifier_only if detector else frozenset())
                if bad is None:
                    fitting = name, width, len(widths) > 1
                    break
                if width == 1.0:
                    problems[name] = bad
            if fitting:
                break
        else:
            detail = "; ".join(f"{k}: {v}" for k, v in problems.items())
            scaled = any("width_mult" in lookup(k).options for k in candidates)
            raise InputError(f"{naming.name} naming, but fits no {' or '.join(candidates)}"
                             + (f" (at any of the widths {', '.join(map(str, WIDTHS))}); at width 1.0: " if scaled
                                else ": ") + detail, path=checkpoint)
        name, width, scaled = fitting
        what = f"{name} width {width}" if scaled else name
        inferred = variant is None
        notes = [f"imported by cfggen import from {base}: {naming.name} naming, {what}"
                 + (" (inferred from the tensor shapes)" if inferred else "")]
        if normalize:
            notes.append(normalize_note(*stats))
        if naming.eps != DARKNET_EPS:
            notes.append(epsilon_note(naming.eps))
        if built.hswish == "relu":
            notes.append("--hswish relu: the fixed 1x1 convs of the hard-sigmoid are written by this import; keep "
                         "them (learning_rate=0) when training")
        if built.hswish == "approx":
            notes.append("--hswish approx: these weights were trained with hard-swish/hard-sigmoid; this cfg "
                         "computes swish/logistic instead, so its outputs deviate from the checkpoint's")
        text = add_notes(built.text, notes)         # comments move no layer: ``built`` stays valid
        network = _build_network(text)
        upto = built.backbone_end if detector else len(network.layers)
        spans = [s for s in layout(network, 20, "save", upto) if s.arrays]
        sources = {src.index: (src, roles) for src, roles in needs(built, naming)}
        producers = {}
        for span in spans:
            index = span.index
            if index in sources:
                table = _producers(ckpt, *sources[index], naming.eps)
            elif normalize and index == 0:
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
        used = {roles[r].name.rsplit(".", 1)[0] for _, roles in sources.values() for r in roles}
        unused = sorted({n.rsplit(".", 1)[0] for n in names if n.endswith(".weight") and "." in n} - used)
        if detector:
            text = add_notes(text, [backbone_note(prefix, weights_path, upto)])
        result = write_arrays(weights_path, network, lambda a: producers[a.key](), upto=upto)
    write_atomic(f"{prefix}.cfg", text)
    info = [f"{base}: {naming.name} naming ({ckpt.kind}), {what} "
            + ("inferred from the tensor shapes" if inferred else "as given")
            + ("" if detector else f", {out_classes} classes"),
            f"wrote {prefix}.cfg and {weights_path} (layers 0-{upto - 1}, {result.floats:,} floats)"]
    if detector and unused:
        info.append(f"not used by the {head} head: {', '.join(unused)}")
    warnings = []
    if built.hswish == "approx":
        warnings.append("--hswish approx: swish/logistic instead of the checkpoint's hard-swish/hard-sigmoid; "
                        "outputs deviate (see README for the measured deviation)")
    return ImportResult(f"{prefix}.cfg", weights_path, naming.name, name, inferred, out_classes, upto,
                        result.floats, tuple(info), tuple(warnings))


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
    """darknet array name -> its floats: the conv's rows (output channels, in darknet order) and cols (input
    channels), scale factors and epsilon folded in (float64, then float32)."""
    import numpy as np

    rows = list(src.rows) if src.rows is not None else slice(None)

    def get(role: str):
        return ckpt.array(roles[role].name).astype(np.float64)[rows]

    def weights():
        w = get("weight")
        if src.cols is not None:
            w = w[:, list(src.cols)]
        w = w.reshape(-1) / src.in_scale
        return (w if src.bn else w * src.out_scale).astype(np.float32)

    if src.bn:
        return {"weights": weights,
                "biases": lambda: (get("bn.bias") * src.out_scale).astype(np.float32),
                "scales": lambda: (get("bn.weight") * src.out_scale).astype(np.float32),
                "rolling_mean": lambda: get("bn.running_mean").astype(np.float32),
                "rolling_variance": lambda: (get("bn.running_var") + (eps - DARKNET_EPS)).astype(np.float32)}
    return {"weights": weights, "biases": lambda: (get("bias") * src.out_scale).astype(np.float32)}


__all__ = ["Naming", "import_checkpoint", "misfit", "naming_for", "needs"]
