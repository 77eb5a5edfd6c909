"""Findings for a file a reader loads but builds differently from AlexeyAB.

Three kinds, all data-driven: the reader's own notes (pjreddie's "going with ReLU", its blank
layers), keys AlexeyAB uses at inference that this reader never reads (``INFERENCE_KEYS``), and the
first layer whose output shape differs from AlexeyAB's (compared with cfggen's AlexeyAB network).
"""
from __future__ import annotations

import functools

from cfggen.lint.model import Diagnostic
from cfggen.targets.engine import compare_layers, finding

# keys that change what a layer computes at inference, per AlexeyAB layer type
INFERENCE_KEYS: dict[str, tuple[str, ...]] = {
    "convolutional": ("stride_x", "stride_y", "dilation", "antialiasing", "share_index", "groups", "xnor",
                      "binary", "coordconv", "assisted_excitation"),
    "route": ("groups", "group_id"),
    "maxpool": ("stride_x", "stride_y", "maxpool_depth", "out_channels", "antialiasing"),
    "shortcut": ("weights_type", "weights_normalization", "activation"),
    "yolo": ("scale_x_y", "new_coords"),
    "reorg": ("reverse",),
    "upsample": ("scale",),
    "crnn": ("output", "hidden", "size", "stride", "pad", "padding", "dilation", "groups"),
}


@functools.lru_cache(maxsize=None)
def _reads(name: str, typ: str):
    if name == "pjreddie":
        from cfggen.targets.pjreddie import ALIASES, READS
        reads = set(READS.get(typ, ()))
        return frozenset(reads - set(ALIASES.get(typ, {})))
    if name == "opencv":
        from cfggen.targets.opencv import READS
        return frozenset(READS.get(typ, ()))
    return None   # reads what AlexeyAB reads


def ignored_keys(name: str, base, mine) -> list[tuple[str, object, int, int]]:
    """Keys of AlexeyAB's layer ``mine.index`` that change its output, that ``name`` does not read, and
    whose value AlexeyAB uses differs from what the reader uses instead."""
    if base.network is None or mine.index >= len(base.network.layers):
        return []
    L = base.network.layers[mine.index]
    if L.type != mine.type or L.conf is mine.conf:
        return []             # the reader took AlexeyAB's layer as it is (it reads the section the same way)
    reads = _reads(name, L.type)
    keys = INFERENCE_KEYS.get(L.type)
    if reads is None or not keys:
        return []
    spec_defaults = None
    from cfggen.ir.layers import BY_TYPE
    spec = BY_TYPE.get(L.type)
    if spec is not None:
        spec_defaults = spec.defaults
    out = []
    for key in INFERENCE_KEYS.get(L.type, ()):
        if key in reads:
            continue
        opt = L.section.get(key)
        if opt is None or spec_defaults is None or L.conf.get(key) == mine.conf.get(key, spec_defaults.get(key)):
            continue
        out.append((key, opt.value, opt.line, opt.col))
    return out


def compare(name, names, codes, doc, base, layers, notes, forward) -> list[Diagnostic]:
    out: list[Diagnostic] = []

    def sev(code):
        return names.get(code, ("", "warning"))

    for code, msg, line, col, layer in notes:
        slug, level = sev(code)
        out.append(finding(code, msg, line, col, severity=level, name=slug, layer=layer))
    for msg, line, col, layer in forward:
        code = codes["forward"]
        slug, level = sev(code)
        out.append(finding(code, f"OpenCV loads the file but forward() fails: {msg}", line, col, severity=level,
                           name=slug, layer=layer))
    if base.network is None or codes is None:
        return out
    first = compare_layers(list(layers), base.network.layers)
    ignored_code = codes.get("ignored")
    for mine in layers:
        L = base.network.layers[mine.index] if mine.index < len(base.network.layers) else None
        if L is None:
            break
        for key, value, line, col in ignored_keys(name, base, mine):
            slug, level = sev(ignored_code)
            out.append(finding(ignored_code, f"{name} does not read {key}= in {L.section.header} (AlexeyAB uses "
                               f"{key}={value}); this layer computes something else there", line, col,
                               severity=level, name=slug, layer=L.index))
    if first is not None:
        mine, theirs = layers[first], base.network.layers[first]
        code = codes["different"]
        slug, level = sev(code)
        out.append(finding(code, f"{name} builds layer {first} {theirs.section.header} with output "
                           f"{mine.output} ({mine.outputs} values); AlexeyAB builds {theirs.output} "
                           f"({theirs.outputs} values)", theirs.section.line, theirs.section.col, severity=level,
                           name=slug, layer=first))
    return out
