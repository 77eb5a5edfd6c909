"""What darknet allocates: inference (CPU, what ends up resident) and training (GPU, per mini-batch).

Darknet allocates every buffer at parse time (``make_*_layer``) with calloc. On Linux a large calloc
is an mmap whose pages become resident only when written, so a forward pass's peak resident memory
is the buffers it *writes*: every weight (``load_weights`` reads each into place), every layer's own
output buffer (darknet's CPU path reuses none), the ``activation_input`` copy that swish, mish and
hard_mish layers keep, the part of the one shared workspace the largest im2col fills, the xnor
layers' binarised copies, and a few things a layer writes although it is not training (the yolo
head zeroes its ``delta``). Buffers allocated with ``train=1`` only (deltas, updates, BN's ``x`` and
``x_norm``) do not exist at inference: ``parse_network_cfg_custom`` with a batch passes ``train=0``.

Training follows the same ``make_*_layer`` rules with ``train=1`` and ``batch = batch/subdivisions``,
counted on the GPU (``cuda_make_array`` mirrors of each CPU buffer): outputs and deltas per layer,
BN's ``x``/``x_norm`` and per-channel buffers, weights with their updates, Adam's moments, and the
largest im2col workspace (without cuDNN; cuDNN picks its own, usually no larger). This model is not
yet checked against a GPU (docs/profile.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple

from cfggen.ir.layers import conv_groups
from cfggen.ir.model import Layer, Network

FLOAT = 4
SWISH_LIKE = ("swish", "mish", "hard_mish")


class Buffer(NamedTuple):
    layer: int
    name: str            # darknet's field name: weights, output, delta, x_norm, activation_input, ...
    group: str           # weights | updates | optimizer | outputs | deltas | bn | activation_input | aux
    nbytes: int
    resident: bool = True   # inference: written during parse, load or the forward pass


_new = tuple.__new__   # a NamedTuple's own constructor is a Python function; thousands of buffers per file


def _b(layer: Layer, name: str, group: str, floats: int, resident: bool = True, size: int = FLOAT) -> Buffer:
    return _new(Buffer, (layer.index, name, group, int(floats) * size, resident))


# ------------------------------------------------------------------------------------------------
# workspace: darknet allocates one, sized for the largest layer (get_workspace_size)

def _im2col_floats(layer: Layer) -> int:
    """Floats one image's im2col writes (0 when darknet multiplies the input directly)."""
    k = layer.conf
    if layer.type == "convolutional":
        size = k.get("size", 1)
        sx = k["stride_x"] if k.get("stride_x", -1) >= 1 else k.get("stride", 1)
        dilation = 1 if size == 1 else k.get("dilation", 1)
        if size == 1 and sx == 1 and dilation == 1 and not k.get("antialiasing"):
            return 0
        if k.get("xnor"):
            return 0     # the xnor forward packs bits into its own buffers instead
        return layer.output.w * layer.output.h * size * size * (layer.input.c // conv_groups(k))
    if layer.type == "local":
        return layer.output.w * layer.output.h * k.get("size", 1) ** 2 * layer.input.c
    return 0


def _blur_im2col(layer: Layer) -> int:
    aa = layer.conf.get("antialiasing", 0)
    if not aa:
        return 0
    k = 2 if aa == 2 else 3
    return layer.next.w * layer.next.h * k * k


def workspace_floats(net: Network) -> int:
    return max((max(_im2col_floats(layer), _blur_im2col(layer)) for layer in net.layers), default=0)


# ------------------------------------------------------------------------------------------------
# per-type allocation rules: (layer, batch, train, adam) -> buffers

Rule = Callable[[Layer, int, bool, bool], list]


def _weighted(layer: Layer, weights: int, biases: int, bn: int, train: bool, adam: bool) -> list[Buffer]:
    """Parameter arrays as make_convolutional_layer / make_connected_layer allocate them."""
    out = [_b(layer, "weights", "weights", weights), _b(layer, "biases", "weights", biases)]
    if bn:
        out += [_b(layer, "scales", "weights", bn), _b(layer, "rolling_mean", "weights", bn),
                _b(layer, "rolling_variance", "weights", bn)]
    if train:
        out += [_b(layer, "weight_updates", "updates", weights), _b(layer, "bias_updates", "updates", biases)]
        if bn:
            out += [_b(layer, "scale_updates", "updates", bn)]
            out += [_b(layer, name, "bn", bn) for name in ("mean", "variance", "mean_delta", "variance_delta")]
        if adam:
            out += [_b(layer, "m", "optimizer", weights), _b(layer, "v", "optimizer", weights),
                    _b(layer, "bias_m", "optimizer", biases), _b(layer, "bias_v", "optimizer", biases)]
            if bn:
                out += [_b(layer, "scale_m", "optimizer", bn), _b(layer, "scale_v", "optimizer", bn)]
    return out


def _io(layer: Layer, batch: int, train: bool, outputs: int | None = None) -> list[Buffer]:
    n = batch * (layer.outputs if outputs is None else outputs)
    out = [_b(layer, "output", "outputs", n)]
    if train:
        out.append(_b(layer, "delta", "deltas", n))
    return out


def _activation_input(layer: Layer, batch: int) -> list[Buffer]:
    if layer.conf.get("activation") in SWISH_LIKE:
        return [_b(layer, "activation_input", "activation_input", batch * layer.outputs)]
    return []


def _conv(layer: Layer, batch: int, train: bool, adam: bool) -> list[Buffer]:
    k = layer.conf
    n = layer.output.c
    bn = n if (k.get("batch_normalize") or k.get("cbn")) else 0
    shared = k.get("share_index", -1000000000) != -1000000000
    out = [] if shared else _weighted(layer, layer.params.weights, n, bn, train, adam)
    out += _io(layer, batch, train)
    if bn and train:
        out += [_b(layer, "x", "bn", batch * layer.outputs), _b(layer, "x_norm", "bn", batch * layer.outputs)]
    out += _activation_input(layer, batch)
    if k.get("xnor") or k.get("binary"):
        out.append(_b(layer, "binary_weights", "aux", layer.params.weights))
    if k.get("xnor"):
        c, size = layer.input.c, k.get("size", 1)
        src_align = layer.output.w * layer.output.h
        bit_align = src_align + (32 - src_align % 32)
        kk = size * size * c
        k_aligned = kk + (256 - kk % 256)
        out += [_b(layer, "binary_input", "aux", batch * layer.inputs, resident=False),
                _b(layer, "t_bit_input", "aux", k_aligned * bit_align // 8, size=1),
                _b(layer, "bin_re_packed_input", "aux", (c // 32) * layer.input.w * layer.input.h + 1),
                _b(layer, "align_bit_weights", "aux", n * k_aligned // 8, size=1)]
    if k.get("antialiasing"):
        blur = 2 if k["antialiasing"] == 2 else 3
        out += [_b(layer, "input_layer.weights", "weights", n * blur * blur),
                _b(layer, "input_layer.output", "outputs", batch * layer.next_outputs)]
        if train:
            out.append(_b(layer, "input_layer.delta", "deltas", batch * layer.next_outputs))
    return out


def _connected(layer: Layer, batch: int, train: bool, adam: bool) -> list[Buffer]:
    n = layer.outputs
    bn = n if layer.conf.get("batch_normalize") else 0
    out = _weighted(layer, layer.params.weights, n, bn, train, adam) + _io(layer, batch, train)
    if bn and train:
        out += [_b(layer, "x", "bn", batch * n), _b(layer, "x_norm", "bn", batch * n)]
    return out


def _local(layer: Layer, batch: int, train: bool, adam: bool) -> list[Buffer]:
    return _weighted(layer, layer.params.weights, layer.params.biases, 0, train, adam) + _io(layer, batch, train)


def _maxpool(layer: Layer, batch: int, train: bool, adam: bool) -> list[Buffer]:
    out = _io(layer, batch, train)
    if train:
        out.append(_b(layer, "indexes", "aux", batch * layer.outputs))
    if layer.conf.get("antialiasing"):
        out += [_b(layer, "input_layer.weights", "weights", layer.output.c * 9),
                _b(layer, "input_layer.output", "outputs", batch * layer.next_outputs)]
        if train:
            out.append(_b(layer, "input_layer.delta", "deltas", batch * layer.next_outputs))
    return out


def _plain(layer: Layer, batch: int, train: bool, adam: bool) -> list[Buffer]:
    return _io(layer, batch, train)


def _shortcut(layer: Layer, batch: int, train: bool, adam: bool) -> list[Buffer]:
    out = _io(layer, batch, train) + _activation_input(layer, batch)
    if layer.params.weights:
        out.append(_b(layer, "weights", "weights", layer.params.weights))
        if train:
            out.append(_b(layer, "weight_updates", "updates", layer.params.weights))
    return out


def _head(layer: Layer, batch: int, train: bool, adam: bool) -> list[Buffer]:
    """yolo/Gaussian_yolo: forward zeroes ``delta`` before it checks for training, so it is resident."""
    out = [_b(layer, "output", "outputs", batch * layer.outputs),
           _b(layer, "delta", "deltas", batch * layer.outputs)]
    if layer.type == "yolo":
        cells = batch * layer.output.w * layer.output.h * max(1, layer.output.c // max(1, layer.conf.get("classes", 0) + 5))
        out += [_b(layer, "labels", "aux", cells), _b(layer, "class_ids", "aux", cells)]
    return out


def _untouched_delta(layer: Layer, batch: int, train: bool, adam: bool) -> list[Buffer]:
    """region/detection: output written, delta allocated always but written only when training."""
    return [_b(layer, "output", "outputs", batch * layer.outputs),
            _b(layer, "delta", "deltas", batch * layer.outputs, resident=train)]


def _normalization(layer: Layer, batch: int, train: bool, adam: bool) -> list[Buffer]:
    n = batch * layer.outputs
    return _io(layer, batch, train) + [_b(layer, "squared", "aux", n), _b(layer, "norms", "aux", n)]


def _batchnorm(layer: Layer, batch: int, train: bool, adam: bool) -> list[Buffer]:
    c = layer.output.c
    out = _weighted(layer, 0, c, c, train, adam) + _io(layer, batch, train)
    if train:
        out += [_b(layer, "x", "bn", batch * layer.outputs), _b(layer, "x_norm", "bn", batch * layer.outputs)]
    return out


def _dropout(layer: Layer, batch: int, train: bool, adam: bool) -> list[Buffer]:
    """Shares its input's output/delta; ``rand`` is allocated but written only when training."""
    return [_b(layer, "rand", "aux", batch * layer.inputs, resident=train)] if train else []


def _cost(layer: Layer, batch: int, train: bool, adam: bool) -> list[Buffer]:
    """[cost] returns without truth and [contrastive] outside training: the output stays untouched."""
    return [_b(layer, "output", "outputs", batch * layer.outputs, resident=train),
            _b(layer, "delta", "deltas", batch * layer.outputs, resident=train)]


def _implicit(layer: Layer, batch: int, train: bool, adam: bool) -> list[Buffer]:
    return _weighted(layer, layer.params.weights, 0, 0, train, adam) + _io(layer, batch, train)


def _none(layer: Layer, batch: int, train: bool, adam: bool) -> list[Buffer]:
    return []


RULES: dict[str, Rule] = {
    "convolutional": _conv, "connected": _connected, "local": _local,
    "maxpool": _maxpool, "local_avgpool": _plain, "avgpool": _plain,
    "route": _plain, "shortcut": _shortcut, "scale_channels": _plain, "sam": _plain,
    "upsample": _plain, "reorg": _plain, "reorg3d": _plain, "crop": _plain, "history": _plain,
    "activation": lambda l, b, t, a: _io(l, b, t) + _activation_input(l, b),
    "softmax": _plain, "contrastive": _cost, "batchnorm": _batchnorm, "normalization": _normalization,
    "yolo": _head, "gaussian_yolo": _head, "region": _untouched_delta, "detection": _untouched_delta,
    "cost": _cost, "dropout": _dropout, "empty": _none, "blank": _none, "implicit": _implicit,
    # recurrent layers: their sub-layers' outputs, counted as one buffer per step (batch = 1 step here)
    "rnn": _connected, "gru": _connected, "lstm": _connected, "crnn": _local, "conv_lstm": _local,
}


def buffers(net: Network, batch: int = 1, train: bool = False, adam: bool = False) -> list[Buffer]:
    out: list[Buffer] = []
    for layer in net.layers:
        out += RULES.get(layer.type, _plain)(layer, batch, train, adam)
    return out


@dataclass(frozen=True)
class Memory:
    """A memory estimate, in bytes, by group (weights, outputs, ..., workspace, input)."""

    groups: dict[str, int]
    batch: int
    train: bool

    @property
    def total(self) -> int:
        return sum(self.groups.values())


def inference(net: Network, batch: int = 1) -> Memory:
    """Bytes darknet's CPU forward pass keeps resident, above the process baseline."""
    groups: dict[str, int] = {}
    for buf in buffers(net, batch, train=False):
        if buf.resident:
            groups[buf.group] = groups.get(buf.group, 0) + buf.nbytes
    groups["workspace"] = workspace_floats(net) * FLOAT
    groups["input"] = batch * net.width * net.height * net.channels * FLOAT
    return Memory(groups, batch, False)


def training(net: Network, batch: int, subdivisions: int) -> Memory:
    """GPU bytes for one mini-batch (darknet's ``net.batch = batch / subdivisions``, at least 1)."""
    mini = max(1, batch // max(1, subdivisions))
    adam = bool(net.net.get("adam"))
    groups: dict[str, int] = {}
    for buf in buffers(net, mini, train=True, adam=adam):
        groups[buf.group] = groups.get(buf.group, 0) + buf.nbytes
    ws = workspace_floats(net) * FLOAT
    opt = net.net.get("optimized_memory", 0) or 0
    if opt >= 2:
        # outputs and deltas move to the pinned host block; the cuDNN workspace is capped
        host = groups.pop("outputs", 0) + groups.pop("deltas", 0)
        groups["host_pinned"] = host
        ws = min(ws, int(net.net.get("workspace_size_limit_MB", 1024) * 1024 * 1024))
    groups["workspace"] = ws
    groups["input"] = mini * net.width * net.height * net.channels * FLOAT
    return Memory(groups, mini, True)


def fits(net: Network, batch: int, budget: int) -> tuple[int | None, int]:
    """(smallest subdivisions that fits ``budget`` GPU bytes, largest mini-batch that fits)."""
    def need(mini: int) -> int:
        m = training(net, mini, 1)
        return m.total - m.groups.get("host_pinned", 0)

    best_sub = None
    for sub in range(1, batch + 1):
        if batch % sub == 0 and need(batch // sub) <= budget:
            best_sub = sub
            break
    lo, hi = 0, batch
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if need(mid) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return best_sub, lo
