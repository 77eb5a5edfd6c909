"""dead-layer: a layer whose output nothing uses.

*Why*: every layer after `[net]` is computed (and its weights stored in the `.weights` file), but if
no later layer reads its output (as the previous layer, or through `layers=`/`from=`), and it is
not a detection head, a `[cost]`/`[contrastive]` loss or the last layer, the work is wasted. Usually
a `[route]` or `from=` points one layer off, or a block was left behind after editing. The layers
that feed only the dead one are named in the message.

*Severity*: a warning: darknet builds and trains the network as written; the layer only wastes time
and weights, or hints at a wrong reference. Not reported for a section DN101 already reports (an
unknown section is an empty layer).

**FAIL**
    [convolutional]
    filters=64
    size=1

    [route]
    layers=-2
**PASS**
    [convolutional]
    filters=64
    size=1

    [route]
    layers=-1,-2

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

from operator import attrgetter

from cfggen.lint.rules._base import RuleContext, diag, layer_index

CODE, NAME, SEVERITY, SCOPE = "DN214", "dead-layer", "warning", "network"
SUMMARY = "a layer whose output no later layer uses"

# layers that do not read their previous layer
_NO_PREV = ("route", "implicit")
LAYER_TYPES = _NO_PREV   # without them every layer is read by the next one
_REFS = attrgetter("refs")
# layers whose output is consumed outside the layer graph (losses, detections)
_SINKS = ("yolo", "gaussian_yolo", "region", "detection", "contrastive", "cost")


def inputs_of(layer, n: int) -> list[int]:
    """Absolute indices of the layers this layer reads."""
    srcs = [r for r in layer.refs if 0 <= r < layer.index]
    if layer.index > 0 and layer.type not in _NO_PREV:
        srcs.append(layer.index - 1)
    target = _embedded(layer) if layer.type == "yolo" else None
    if target is not None:
        srcs.append(target)
    return srcs


def _embedded(layer) -> int | None:
    """The earlier layer a [yolo]'s ``embedding_layer`` names (absolute index), or None."""
    emb = layer.conf.get("embedding_layer")
    if emb is None:
        return None
    target = layer.index + emb if emb < 0 else emb
    return target if 0 <= target < layer.index else None


def _unread(ctx: RuleContext) -> bool:
    """Whether some layer that is neither a head nor the last one may be read by no layer at all.

    ``check`` reports exactly such layers (a layer nothing reads cannot become live through a reader),
    and one can only exist just before a [route]/[implicit] (every other layer reads its previous
    one) and only if no reference names it: the common case is decided on those few layers."""
    index = layer_index(ctx)
    layers = index.layers
    n = len(layers)
    gaps = [layer.index - 1 for layer in index.of(*_NO_PREV) if layer.index > 0]
    gaps = [i for i in gaps if layers[i].type not in _SINKS]
    if not gaps:
        return False
    # per referenced index, the last (largest) layer that names it: a gap is read when a later layer
    # names it (a reference to a later layer or to itself is no read, see ``inputs_of``)
    last = {}
    for layer in filter(_REFS, layers):      # the layers that read others (the filter runs in C)
        j = layer.index
        for r in layer.refs:
            last[r] = j
    for layer in index.of("yolo"):
        target = _embedded(layer)
        if target is not None:
            last[target] = n   # read by a head, which comes after it
    return any(last.get(i, -1) <= i for i in gaps)


def check(ctx: RuleContext):
    layers = ctx.net.layers
    n = len(layers)
    if n < 2 or not _unread(ctx):
        return
    feeds: list[list[int]] = [[] for _ in range(n)]     # i -> the layers that read i
    reads = [inputs_of(layer, n) for layer in layers]
    for j, srcs in enumerate(reads):
        for s in srcs:
            feeds[s].append(j)
    live = [False] * n
    stack = [i for i, layer in enumerate(layers) if layer.type in _SINKS or i == n - 1]
    for i in stack:
        live[i] = True
    while stack:
        j = stack.pop()
        for s in reads[j]:
            if not live[s]:
                live[s] = True
                stack.append(s)
    for i, layer in enumerate(layers):
        if live[i] or feeds[i]:
            continue  # dead layers that feed another dead layer are named by the last one of the chain
        chain = _feeders(i, reads, live, feeds)
        also = (f"; layer{'s' if len(chain) > 1 else ''} {_runs(chain)} only feed{'s' * (len(chain) == 1)} it"
                if chain else "")
        yield diag(CODE, f"the output of layer {i} [{layer.section.name}] is never used: no later layer reads it "
                   f"and it is not a head or the last layer{also}", layer.section, layer=i,
                   hint="check the layers=/from= references after it, or delete the block")


def _feeders(i: int, reads, live, feeds) -> list[int]:
    out, stack, seen = [], [i], {i}
    while stack:
        j = stack.pop()
        for s in reads[j]:
            if s not in seen and not live[s] and all(c in seen for c in feeds[s]):
                seen.add(s)
                out.append(s)
                stack.append(s)
    return sorted(out)


def _runs(idx: list[int]) -> str:
    parts, start = [], 0
    for k in range(1, len(idx) + 1):
        if k == len(idx) or idx[k] != idx[k - 1] + 1:
            a, b = idx[start], idx[k - 1]
            parts.append(str(a) if a == b else f"{a}-{b}")
            start = k
    return ", ".join(parts)
