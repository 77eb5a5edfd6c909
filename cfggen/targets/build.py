"""Hooks for ``cfggen build`` / ``cfggen adapt``: which readers load the output, and ``build --target``.

``build --target opencv`` picks an activation OpenCV has where the variant's own has none there (Lite's
relu6 -> relu, with a note); ``build --target pjreddie`` refuses squeeze-and-excitation, since pjreddie
has no [scale_channels]. Every other decision comes from asking the readers about the generated text.
"""
from __future__ import annotations

from cfggen.errors import UsageError

# for each reader without the variant's activation: what build uses instead (the closest it has)
SUBSTITUTES = {"opencv": {"relu6": "relu"}}


def reader_activations(name: str) -> frozenset[str] | None:
    if name == "opencv":
        from cfggen.targets.opencv import ACTIVATIONS
        return ACTIVATIONS
    return None


def choose_activation(variant: str | None, activation: str | None, targets) -> tuple[str | None, list[str]]:
    """The activation to build with for these readers, and the notes that explain a substitution."""
    from cfggen.targets import expand
    from cfggen.standalone import lookup
    notes = []
    family = lookup(variant)
    if family is not None and "activation" not in family.options:   # MobileNetV3/GhostNet: refuse() explains
        return activation, notes
    for name in expand(targets):
        allowed = reader_activations(name)
        if allowed is None:
            continue
        # the variant's own: a layer-by-layer family's (ShuffleNetV2, PeleeNet: relu), else the generator's
        wanted = activation or (family.activation if family is not None else _variant(variant).rules.activation)
        if wanted in allowed:
            continue
        if activation is not None:
            raise UsageError(f"{name} does not support activation {activation!r}; use one of "
                             f"{', '.join(sorted(a for a in allowed if a != 'linear'))}")
        sub = SUBSTITUTES.get(name, {}).get(wanted)
        if sub is None:
            raise UsageError(f"{name} does not support this variant's activation {wanted!r}; choose one with --activation")
        activation = sub
        notes.append(f"note: {name} has no {wanted}; building with activation={sub} instead (--target {name}). "
                     f"{sub} is not bounded at 6 like {wanted}: weights trained with {wanted} differ slightly")
    return activation, notes


def _variant(name: str | None):
    """The variant whose rules the build follows (an EfficientDet dN builds on its EfficientNet backbone)."""
    from cfggen.generate import get_variant
    from cfggen.scale.bifpn import get_compound
    from cfggen.scale.variants import CUSTOM
    if name is None:
        return CUSTOM
    row = get_compound(name)
    return get_variant(row.backbone if row is not None else name)


def refuse(text: str, targets, variant: str | None = None) -> None:
    """Refuse a generated cfg a requested reader cannot load, with the reason."""
    from cfggen.standalone import lookup
    from cfggen.targets import expand
    family = lookup(variant)
    if family is not None:          # the layer-by-layer families: what their constructions need
        family = family.name
        wanted = expand(targets)
        if "pjreddie" in wanted and ("[scale_channels]" in text or "[sam]" in text):
            raise UsageError(f"pjreddie/darknet has no [scale_channels] or [sam] layer: {family}'s squeeze-and-"
                             "excitation and exact hard-swish cannot be built for it")
        if "opencv" in wanted and "activation=hardtan" in text:
            raise UsageError(f"OpenCV's darknet importer has no hardtan activation, which {family}'s exact "
                             "hard-swish/hard-sigmoid use: cfggen import --hswish relu builds them exactly from relu "
                             "and fixed layers (with pretrained weights); --hswish approx builds swish/logistic "
                             "instead (another network, not the published one)")
        return
    if "pjreddie" in expand(targets) and "[scale_channels]" in text:
        raise UsageError("pjreddie/darknet has no [scale_channels] layer, so it cannot build squeeze-and-excitation "
                         "(SE) blocks: use --no-se, or a Lite variant (Lite has no SE)")
