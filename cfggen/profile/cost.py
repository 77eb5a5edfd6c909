"""What each layer costs, independent of any device: FLOPs, parameters, bytes moved, and its kind.

One table (``COSTS``) keyed by darknet's layer type says how a layer's work and traffic follow from
the validator's layer table (``cfggen.ir``): the shapes there are darknet's own, so the counts here
only add the arithmetic. FLOPs are 2·MACs for layers that multiply-accumulate (convolutional,
connected, local, recurrent), with ``groups`` counted: a depthwise 3x3 conv does 9 MACs per output,
not 9·C as OpenCV's ``getFLOPS`` assumes. Other layers count one operation per element they compute
(a max, an add, a multiply), so pooling and routing are visible but small.

Bytes are the roofline's view, not a cache simulation: a layer reads each distinct buffer it takes
(its input activations, every other layer it references, its parameters) once and writes its output
once; a ``[shortcut] from=-1`` adds the previous layer's buffer to itself and reads it once. Darknet's
in-place layers (``[dropout]``, ``[empty]``) share their input's buffer and move nothing. Layers whose
op is an element-wise loop (``[shortcut]``, ``[scale_channels]``, ``[sam]``) apply a non-linear
activation as a second loop over their own output, in place (``activate_array``; ``linear`` skips
it): that pass re-reads and re-writes the output (``Work.repass``) without adding to the working set.
A conv's bias, batch norm and activation run inside the conv as onnxruntime runs it (fused), and in
the GPU presets' per-layer fixed cost (darknet's extra kernels), so they add no bytes here.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

from cfggen.ir.layers import conv_groups
from cfggen.ir.model import Layer, Network

# Kinds, in the order reports list them. "se" is squeeze-and-excitation: the global pool, the 1x1
# convs on a 1x1 map and the [scale_channels] that applies them.
KINDS = ("regular", "pointwise", "depthwise", "se", "pooling", "routing", "connected", "head", "other")
KIND_LABELS = {"regular": "regular conv", "pointwise": "pointwise conv", "depthwise": "depthwise conv",
               "se": "squeeze-excitation", "pooling": "pooling", "routing": "routing",
               "connected": "connected", "head": "detection head", "other": "other"}


class Work(NamedTuple):
    """A layer's device-independent cost."""

    flops: float            # floating-point operations (2·MACs where the layer multiply-accumulates)
    read_act: int           # activation elements read
    written: int            # activation elements written
    param_floats: int       # parameters read at inference (weights + biases; BN is fused into them)
    transcendental: float = 0.0   # exp/log/tanh evaluations (swish, mish, logistic, softmax, ...)
    activation: str = ""          # the activation its output goes through (activated layer types)
    activated: float = 0.0        # elements that activation is applied to
    repass: int = 0               # elements an in-place activation pass re-reads and re-writes


def _conv_geometry(layer: Layer) -> tuple[int, int, int]:
    """(kernel size, groups, dilation) as darknet uses them (groups: ``conv_groups``)."""
    k = layer.conf
    return k.get("size", 1), conv_groups(k), k.get("dilation", 1)


def _conv(layer: Layer, net: Network) -> Work:
    size, groups, _ = _conv_geometry(layer)
    nweights = layer.params.weights
    if not nweights and layer.conf.get("share_index", -1000000000) != -1000000000:
        nweights = (layer.input.c // groups) * layer.output.c * size * size   # shared kernel: still computed
    out = layer.output
    flops = 2.0 * nweights * out.w * out.h
    written = layer.outputs
    if layer.conf.get("xnor"):
        flops /= 32          # bit-packed: 32 MACs per xnor+popcount, darknet's own BFLOPs rule
    if layer.conf.get("antialiasing"):
        blur = 2 if layer.conf["antialiasing"] == 2 else 3
        flops += 2.0 * blur * blur * layer.next_outputs       # the fixed depthwise blur
        written += layer.next_outputs
    return Work(flops, layer.inputs, written, nweights + layer.output.c)


def _connected(layer: Layer, net: Network) -> Work:
    return Work(2.0 * layer.params.weights, layer.inputs, layer.outputs, layer.params.weights + layer.params.biases)


def _local(layer: Layer, net: Network) -> Work:
    return Work(2.0 * layer.params.weights, layer.inputs, layer.outputs, layer.params.weights + layer.params.biases)


def _recurrent(layer: Layer, net: Network) -> Work:
    """rnn/gru/lstm: connected sub-layers (2 FLOPs per weight); crnn/conv_lstm: darknet's conv BFLOPs."""
    flops = layer.bflops * 1e9 if layer.bflops > 0 else 2.0 * layer.params.weights
    return Work(flops, layer.inputs, layer.outputs, layer.params.weights + layer.params.biases)


def _pool(layer: Layer, net: Network) -> Work:
    size = layer.conf.get("size") or layer.conf.get("stride", 1)
    flops = float(size * size * layer.outputs)
    written = layer.outputs
    if layer.conf.get("antialiasing"):
        flops += 9.0 * 2 * layer.next_outputs
        written += layer.next_outputs
    return Work(flops, layer.inputs, written, 0)


def _global_pool(layer: Layer, net: Network) -> Work:
    return Work(float(layer.inputs), layer.inputs, layer.outputs, 0)


def _route(layer: Layer, net: Network) -> Work:
    # each source contributes its group slice; darknet copies it into the route's own buffer
    return Work(0.0, layer.outputs, layer.outputs, 0)


def _other_sources(layer: Layer, net: Network) -> list[Layer]:
    """The layers a shortcut/scale_channels/sam references besides its input (layer - 1): a reference to
    the previous layer reads the buffer the input already is, so it is not read twice."""
    return [net.layers[r] for r in dict.fromkeys(layer.refs) if 0 <= r < len(net.layers) and r != layer.index - 1]


def _shortcut(layer: Layer, net: Network) -> Work:
    srcs = [net.layers[r] for r in layer.refs if 0 <= r < len(net.layers)]
    read = layer.inputs + sum(min(s.outputs, layer.outputs) for s in _other_sources(layer, net))
    weighted = layer.conf.get("weights_type", "none") != "none"
    flops = float(layer.outputs * len(srcs) * (2 if weighted else 1))
    return Work(flops, read, layer.outputs, layer.params.weights)


def _elementwise_from(layer: Layer, net: Network) -> Work:
    """[scale_channels]/[sam]: the `from` map times the previous layer's (vector or map)."""
    other = layer.outputs if _other_sources(layer, net) else 0
    return Work(float(layer.outputs), other + layer.inputs, layer.outputs, 0)


def _copy(layer: Layer, net: Network) -> Work:
    """A layer that reads its input and writes an output of its own (upsample, reorg, heads, ...)."""
    return Work(0.0, layer.inputs, layer.outputs, 0)


def _elementwise(layer: Layer, net: Network) -> Work:
    return Work(float(layer.outputs), layer.inputs, layer.outputs, layer.params.weights + layer.params.biases
                + layer.params.bn_scales + layer.params.bn_rolling)


def _in_place(layer: Layer, net: Network) -> Work:
    return Work(0.0, 0, 0, 0)


def _implicit(layer: Layer, net: Network) -> Work:
    return Work(0.0, 0, layer.outputs, layer.params.weights)


COSTS: dict[str, Callable[[Layer, Network], Work]] = {
    "convolutional": _conv, "connected": _connected, "local": _local,
    "rnn": _recurrent, "gru": _recurrent, "lstm": _recurrent, "crnn": _recurrent, "conv_lstm": _recurrent,
    "maxpool": _pool, "local_avgpool": _pool, "avgpool": _global_pool,
    "route": _route, "shortcut": _shortcut, "scale_channels": _elementwise_from, "sam": _elementwise_from,
    "upsample": _copy, "reorg": _copy, "reorg3d": _copy, "crop": _copy, "history": _copy,
    "yolo": _elementwise, "gaussian_yolo": _elementwise, "region": _elementwise, "detection": _copy,
    "softmax": _elementwise, "batchnorm": _elementwise, "activation": _elementwise,
    "normalization": _elementwise, "cost": _copy, "contrastive": _copy,
    "dropout": _in_place, "empty": _in_place, "blank": _in_place, "implicit": _implicit,
}

_KIND_OF_TYPE = {
    "maxpool": "pooling", "local_avgpool": "pooling", "avgpool": "pooling",
    "route": "routing", "shortcut": "routing", "upsample": "routing", "reorg": "routing", "reorg3d": "routing",
    "sam": "routing", "crop": "routing", "history": "routing", "dropout": "routing", "empty": "routing",
    "connected": "connected", "local": "regular", "rnn": "connected", "gru": "connected", "lstm": "connected",
    "crnn": "regular", "conv_lstm": "regular",
    "yolo": "head", "gaussian_yolo": "head", "region": "head", "detection": "head", "softmax": "head",
    "cost": "head", "contrastive": "head",
}


def conv_kind(layer: Layer) -> str:
    """depthwise: one input channel per group (c/groups == 1, groups > 1); pointwise: 1x1, ungrouped."""
    size, groups, _ = _conv_geometry(layer)
    if groups > 1 and layer.input.c // groups == 1:
        return "depthwise"
    if size == 1 and groups == 1:
        return "pointwise"
    return "regular"


def se_layers(net: Network) -> set[int]:
    """Layers of squeeze-and-excitation blocks.

    From each channel-wise ``[scale_channels]`` (scale_wh=0), walk back through the chain of previous
    layers while they produce a 1x1 map, down to and including the global ``[avgpool]`` that starts it.
    A classifier's final avgpool + 1x1 conv is not SE: no scale_channels consumes it.
    """
    marked: set[int] = set()
    for layer in net.layers:
        if layer.type != "scale_channels" or layer.conf.get("scale_wh"):
            continue
        marked.add(layer.index)
        i = layer.index - 1
        while i >= 0:
            prev = net.layers[i]
            if prev.output.w != 1 or prev.output.h != 1:
                break
            marked.add(i)
            if prev.type == "avgpool":
                break
            i -= 1
    return marked


def kinds(net: Network) -> list[str]:
    se = se_layers(net)
    out = []
    for layer in net.layers:
        if layer.index in se:
            out.append("se")
        elif layer.type == "convolutional":
            out.append(conv_kind(layer))
        elif layer.type == "scale_channels":
            out.append("routing")
        else:
            out.append(_KIND_OF_TYPE.get(layer.type, "other"))
    return out


# exp/log/tanh evaluations per element of each activation (darknet's activations.c formulas): these
# run on a CPU's scalar/vector math library, far below its FMA rate, so they get their own ceiling
TRANSCENDENTAL = {"logistic": 1, "tanh": 1, "swish": 1, "elu": 1, "selu": 1, "gelu": 1, "loggy": 1,
                  "mish": 3, "normalize_channels_softmax": 1, "normalize_channels_softmax_maxval": 1}
# layer types whose output goes through their `activation=` key (darknet applies it after the op)
_ACTIVATED = ("convolutional", "connected", "shortcut", "activation", "local", "crnn", "conv_lstm", "rnn",
              "scale_channels", "sam")
# layer types whose op is one element-wise loop writing the output, then activate_array over it in place
_ACTIVATION_PASS = ("shortcut", "scale_channels", "sam")
# heads that apply logistic/exp themselves: yolo (logistic on x, y, objectness, classes), region, softmax
_HEAD_EXP = {"yolo": 1, "gaussian_yolo": 1, "region": 1, "softmax": 1}


def work(layer: Layer, net: Network) -> Work:
    w = COSTS.get(layer.type, _copy)(layer, net)
    act = layer.conf.get("activation", "") if layer.type in _ACTIVATED else ""
    per = TRANSCENDENTAL.get(act, 0) if act else _HEAD_EXP.get(layer.type, 0)
    elems = layer.next_outputs if layer.type == "convolutional" else layer.outputs
    if per:
        w = w._replace(transcendental=float(per * elems))
    if act:
        w = w._replace(activation=act, activated=float(elems))
        if act != "linear" and layer.type in _ACTIVATION_PASS:
            w = w._replace(repass=layer.outputs)
    return w
