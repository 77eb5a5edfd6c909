"""``cfggen import`` for the standalone families (ShuffleNetV2, PeleeNet): the shared part.

The generator (``cfggen/scale/standalone.py``) returns, with the cfg, one ``Source`` per darknet conv: the
reference module it takes, and the permutations to fold in (``rows``: which output channels, in darknet
order — a piece of a split conv, or a depthwise conv reading a permuted input; ``cols``: the PyTorch
input channel behind each darknet input channel). This module checks every tensor of the checkpoint
against those sources (names and full shapes, and nothing left over) before writing anything, then
streams the permuted arrays into the darknet layout. Each family module (``convert/shufflenet.py``,
``convert/peleenet.py``) is a ``Naming``: the keys that identify it, its variants, BN epsilon and
input statistics.
"""
from __future__ import annotations

import importlib
import math
import os
from dataclasses import dataclass
from typing import Sequence

from cfggen.errors import InputError, UsageError

DARKNET_EPS = 1e-5
# family import modules, tried in order by ``detect``
FAMILIES = ("cfggen.convert.shufflenet", "cfggen.convert.peleenet")
Shape = tuple[int, ...]


@dataclass(frozen=True)
class Naming:
    name: str                          # "torchvision ShuffleNetV2"
    markers: tuple[str, ...]           # keys that all must be present
    variants: tuple[str, ...]          # generator variant names it exists for
    classifier: str                    # module of the final Linear
    eps: float = 1e-5                  # its BatchNorm epsilon
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)


def namings() -> list[Naming]:
    return [importlib.import_module(m).NAMING for m in FAMILIES]


def detect(names: Sequence[str], variant: str | None = None) -> Naming | None:
    """The standalone naming these keys (or ``--variant``) belong to; None: another family's."""
    from cfggen.scale.standalone import family
    fam = family(variant) if variant else None
    for naming in namings():
        if fam is not None and fam.name in naming.variants:
            return naming
        if fam is None and all(m in names for m in naming.markers):
            return naming
    return None


def find_naming(checkpoint: str, variant: str | None = None) -> Naming | None:
    """``cfggen import``'s dispatch: the standalone naming of ``--variant`` or of the checkpoint's keys
    (None: leave it to the EfficientNet importer, which also words the errors for unknown files)."""
    from cfggen.scale.standalone import family
    if variant is not None:
        return detect((), variant) if family(variant) is not None else None
    from cfggen.convert.checkpoint import open_checkpoint
    from cfggen.errors import CfggenError
    try:
        with open_checkpoint(checkpoint) as ckpt:
            return detect(ckpt.names)
    except CfggenError:
        return None


def expected(sources: Sequence, classes: int | None) -> list[tuple[str, Shape]]:
    """Every checkpoint tensor the sources read, once each, with its full PyTorch shape."""
    out: dict[str, Shape] = {}
    for s in sources:
        shape = tuple(classes if d == -1 and classes is not None else d for d in s.shape)
        out.setdefault(f"{s.conv}.weight", shape)
        if s.bn:
            for k in ("weight", "bias", "running_mean", "running_var"):
                out.setdefault(f"{s.bn}.{k}", (shape[0],))
        else:
            out.setdefault(f"{s.conv}.bias", (shape[0],))
    return list(out.items())


def sources_of(composed, classifier: str, classes: int) -> list:
    """The backbone's sources plus, for a classifier, the Linear (a 1x1 conv with bias in darknet)."""
    from cfggen.scale.standalone import Source
    out = list(composed.backbone.sources)
    if composed.head == "classifier":
        out.append(Source(classifier, None, shape=(classes, composed.backbone.channels)))
    return out


def fit(ckpt, naming: Naming, variant: str | None, detector: bool):
    """(variant, classes, inferred) whose expected tensors the checkpoint holds exactly."""
    from cfggen.convert.efficientnet import ImportFormatError, first_misfit
    from cfggen.scale.standalone import compose, family

    shape = ckpt.shape(f"{naming.classifier}.weight")
    classes = shape[0] if shape and len(shape) == 2 else None
    if not detector and classes is None:
        raise ImportFormatError(f"no classifier tensor {naming.classifier}.weight: a backbone-only checkpoint "
                                "imports with --head yolo or yolo-tiny", path=ckpt.path)
    if variant is not None:
        fam = family(variant)
        if fam is None or fam.name not in naming.variants:
            raise UsageError(f"--variant {variant}: {naming.name} checkpoints exist for {', '.join(naming.variants)}")
        candidates, inferred = [fam.name], False
    else:
        candidates, inferred = list(naming.variants), True
    first = None
    for name in candidates:
        draft = compose(name, classes=classes or 1)
        tensors = expected(sources_of(draft, naming.classifier, classes or 1), None)
        ignored = set()
        if detector:       # the backbone file uses neither the classifier nor what only it reads
            used = {k for k, _ in expected(compose(name, head="yolo").backbone.sources, None)}
            ignored = {k for k, _ in tensors if k not in used}
            tensors = [t for t in tensors if t[0] in used]
        misfit = first_misfit(ckpt.names, ckpt.shape, tensors, ignored)
        if misfit is None:
            return name, classes, inferred
        first = first or misfit.describe(name)
    raise ImportFormatError(f"{first}" + ("" if len(candidates) == 1 else
                                          f" (fits none of {', '.join(candidates)})"), path=ckpt.path)


def producers(ckpt, spans, sources, eps: float, mean, std) -> dict:
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
            rows = list(src.rows) if src.rows is not None else slice(None)
            n = len(src.rows) if src.rows is not None else src.shape[0]

            def weights(src=src, rows=rows):
                w = ckpt.array(f"{src.conv}.weight")[rows]
                if src.cols is not None and not src.depthwise:
                    w = w[:, list(src.cols)]
                return np.ascontiguousarray(w).reshape(-1)

            per_row = math.prod(src.shape[1:])
            table, sizes = {"weights": weights}, {"weights": n * per_row}
            if src.bn:
                table.update({
                    "biases": lambda k=f"{src.bn}.bias", r=rows: ckpt.array(k)[r],
                    "scales": lambda k=f"{src.bn}.weight", r=rows: ckpt.array(k)[r],
                    "rolling_mean": lambda k=f"{src.bn}.running_mean", r=rows: ckpt.array(k)[r],
                    "rolling_variance": lambda k=f"{src.bn}.running_var", r=rows: ckpt.array(k)[r] + fold,
                })
            else:
                table["biases"] = lambda k=f"{src.conv}.bias", r=rows: ckpt.array(k)[r]
            sizes.update((k, n) for k in table if k != "weights")
        if set(table) != set(counts) or any(sizes[k] != counts[k] for k in counts):
            raise RuntimeError(f"layer {span.index}: darknet arrays {counts} vs checkpoint {sizes}")
        for a in span.arrays:
            out[a.key] = table[a.name]
    return out


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


def import_checkpoint(checkpoint: str, prefix: str, naming: Naming | None = None, variant: str | None = None,
                      head: str = "classifier", classes: int | None = None, size=None, normalize: bool = True,
                      mean=None, std=None) -> ImportResult:
    """Convert a ShuffleNetV2 / PeleeNet checkpoint into ``prefix.cfg`` + ``prefix.weights`` (classifier)
    or ``prefix.conv.N`` (detector backbone). Checks every tensor before writing anything."""
    from cfggen.convert.checkpoint import open_checkpoint
    from cfggen.convert.efficientnet import ImportFormatError, _build_network, _fmt, _parse_triple, add_notes
    from cfggen.convert.weights import layout, write_arrays
    from cfggen.generate import HEADS, write_atomic
    from cfggen.render import render
    from cfggen.scale.standalone import compose

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

    with open_checkpoint(checkpoint) as ckpt:
        naming = naming or detect(ckpt.names, variant)
        if naming is None:
            raise ImportFormatError("no known ShuffleNetV2 or PeleeNet layout", path=checkpoint)
        name, found, inferred = fit(ckpt, naming, variant, detector)
        if not detector and classes is not None and classes != found:
            raise UsageError(f"--classes {classes}: the checkpoint's classifier has {found} classes")
        m, s = mean_given or naming.mean, std_given or naming.std
        base = os.path.basename(checkpoint)
        how = "inferred from the tensor shapes" if inferred else "as given"
        info = [f"{base}: {naming.name} naming ({ckpt.kind}), {name} {how}"
                + ("" if detector else f", {found} classes")]
        notes = [f"imported by cfggen import from {base}: {naming.name} naming, {name}"
                 + (" (inferred from the tensor shapes)" if inferred else "")]
        if normalize:
            notes.append(f"layer 0 normalizes the [0, 1] RGB input as the checkpoint expects: (x - mean) / std, "
                         f"mean {_fmt(m)}, std {_fmt(s)}; so every later layer index is cfggen build's + 1")
        input_layers = render("input-normalize.cfg.j2", mean=_fmt(m), std=_fmt(s)) if normalize else ""
        draft = compose(name, head=head, classes=classes if detector else found, size=size,
                        input_layers=input_layers, notes=notes)
        network = _build_network(draft.text)
        sources: list = ([None] if normalize else []) + sources_of(draft, naming.classifier, found or 1)
        upto = draft.taps[max(draft.taps)].index + 1 if detector else len(network.layers)
        spans = [sp for sp in layout(network, 20, "save", upto) if sp.arrays]
        if len(spans) != len(sources) or any(sp.layer.type != "convolutional" for sp in spans):
            raise RuntimeError(f"cfg/plan mismatch: {len(spans)} layers with weights, {len(sources)} sources")
        table = producers(ckpt, spans, sources, naming.eps, m, s)
        weights_path = f"{prefix}.conv.{upto}" if detector else f"{prefix}.weights"
        more = []
        if detector:
            wname = os.path.basename(weights_path)
            more.append(f"backbone weights: {wname} holds layers 0-{upto - 1} (darknet detector train DATA "
                        f"{os.path.basename(prefix)}.cfg {wname})")
        text = add_notes(draft.text, more)
        result = write_arrays(weights_path, network, lambda a: table[a.key](), upto=upto)
        used = {s.conv for s in sources if s is not None}
        unused = [] if not detector else sorted(
            {n.rsplit(".", 1)[0] for n in ckpt.names if n.endswith(".weight") and n.count(".") >= 1}
            - used - {s.bn for s in sources if s is not None and s.bn})
    cfg_path = f"{prefix}.cfg"
    write_atomic(cfg_path, text)
    info.append(f"wrote {cfg_path} and {weights_path} (layers 0-{upto - 1}, {result.floats:,} floats)")
    if unused:
        info.append(f"not used by the {head} head: {', '.join(unused)}")
    return ImportResult(cfg_path, weights_path, naming.name, name, inferred,
                        draft.classes, upto, result.floats, tuple(info))
