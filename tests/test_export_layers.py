"""Layers no forward golden exercises, against the reference's formulas in numpy (§4, §12): every
activation (in [activation] layers, where darknet's CPU zeros relu6/swish/mish/...: the intended function
is exported), antialiasing blur, maxpool_depth, negative upsample stride, reorg3d reverse, weighted
shortcut, darknet's LRN, [implicit]. Weights are ``weights init`` values (seed 0), read back with numpy."""
from __future__ import annotations

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("onnx", reason="onnx not installed (pip install 'cfggen[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime not installed (pip install 'cfggen[onnx]')")


def softplus(x):
    return np.where(x > 20, x, np.where(x < -20, np.exp(x), np.log1p(np.exp(np.minimum(x, 20)))))


def stair(x):
    n = np.floor(x)
    return np.where(n % 2 == 0, np.floor(x / 2), (x - n) + np.floor(x / 2))


def _nc(x):
    pos = np.maximum(x, 0)
    return pos / (1e-4 + pos.sum(axis=1, keepdims=True))


FORMULAS = {
    "linear": lambda x: x, "logistic": lambda x: 1 / (1 + np.exp(-x)), "loggy": lambda x: 2 / (1 + np.exp(-x)) - 1,
    "relu": lambda x: np.maximum(x, 0), "relu6": lambda x: np.clip(x, 0, 6),
    "leaky": lambda x: np.where(x > 0, x, 0.1 * x), "revleaky": lambda x: np.where(x > 0, x, 0.1 * x),
    "relie": lambda x: np.where(x > 0, x, 0.01 * x), "ramp": lambda x: x * (x > 0) + 0.1 * x,
    "elu": lambda x: np.where(x >= 0, x, np.exp(x) - 1),
    "selu": lambda x: np.where(x >= 0, 1.0507 * x, 1.0507 * 1.6732 * (np.exp(x) - 1)),
    "gelu": lambda x: 0.5 * x * (1 + np.tanh(0.797885 * x + 0.035677 * x ** 3)), "tanh": np.tanh,
    "plse": lambda x: np.where(x < -4, 0.01 * (x + 4), np.where(x > 4, 0.01 * (x - 4) + 1, 0.125 * x + 0.5)),
    "hardtan": lambda x: np.clip(x, -1, 1),
    "lhtan": lambda x: np.where(x < 0, 0.001 * x, np.where(x > 1, 0.001 * (x - 1) + 1, x)),
    "stair": stair, "swish": lambda x: x / (1 + np.exp(-x)), "mish": lambda x: x * np.tanh(softplus(x)),
    "hard_mish": lambda x: np.where(x > 0, x, np.where(x > -2, x * x / 2 + x, 0)),
    "normalize_channels": _nc,
    "normalize_channels_softmax": lambda x: np.exp(x) / (1e-4 + np.exp(x).sum(axis=1, keepdims=True)),
    "normalize_channels_softmax_maxval": lambda x: (lambda e: e / (1e-4 + e.sum(axis=1, keepdims=True)))(
        np.exp(x - x.max(axis=1, keepdims=True))),
    "nonsense": lambda x: np.maximum(x, 0),      # darknet: unknown names are relu
}


def run(cfg_text: str, tmp_path, x):
    from cfggen.export import to_onnx
    cfg = tmp_path / "t.cfg"
    cfg.write_text(cfg_text)
    model = to_onnx(cfg, debug_layers="all")
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return dict(zip([o.name for o in sess.get_outputs()], sess.run(None, {"input": x})))


def test_every_activation_in_activation_layers(tmp_path):
    names = list(FORMULAS)
    sections = "".join(f"[route]\nlayers=0\n\n[activation]\nactivation={n}\n\n" for n in names)
    text = "[net]\nwidth=8\nheight=8\nchannels=4\n\n[upsample]\nstride=1\nscale=30\n\n" + sections
    x = np.random.default_rng(3).random((1, 4, 8, 8), dtype=np.float32) - 0.5     # scaled to [-15, 15]
    out = run(text, tmp_path, x)
    xin = out["layer_0"].astype(np.float64)
    for k, name in enumerate(names):
        got = out[f"layer_{2 + 2 * k}"]
        np.testing.assert_allclose(got, FORMULAS[name](xin), rtol=2e-5, atol=2e-5, err_msg=name)


def test_resampling_and_misc_layers(tmp_path):
    text = """[net]
width=8
height=8
channels=16

[dropout]

[maxpool]
maxpool_depth=1
out_channels=4

[route]
layers=0

[upsample]
stride=-2

[route]
layers=0

[reorg3d]
stride=2
reverse=1

[route]
layers=0

[lrn]
size=5
alpha=0.05
beta=0.75
kappa=5

[implicit]
filters=3
atoms=2
"""
    x = np.random.default_rng(4).standard_normal((1, 16, 8, 8)).astype(np.float32)
    out = run(text, tmp_path, x)
    xd = x[0].astype(np.float64)
    # maxpool_depth: out[g] = max over channels k = g mod 4
    np.testing.assert_allclose(out["layer_1"][0], xd.reshape(4, 4, 8, 8).max(axis=0), rtol=1e-6)
    # negative stride: a sum over 2x2 blocks
    np.testing.assert_allclose(out["layer_3"][0], xd.reshape(16, 4, 2, 4, 2).sum(axis=(2, 4)), rtol=1e-5, atol=1e-5)
    # reorg3d reverse: view as (C/4, 2H, 2W), DepthToSpace(2, DCR)
    v = xd.reshape(4, 16, 16)
    d2s = v.reshape(2, 2, 1, 16, 16).transpose(2, 3, 0, 4, 1).reshape(1, 32, 32)
    np.testing.assert_allclose(out["layer_5"].reshape(-1), d2s.reshape(-1), rtol=1e-6)
    # darknet's LRN: alpha not divided by size, minus alpha*in[size//2]^2 at every channel
    sq = xd ** 2
    lrn = np.empty_like(xd)
    for k in range(16):
        s = sq[max(0, k - 2):min(15, k + 2) + 1].sum(axis=0) - sq[2]
        lrn[k] = xd[k] * (5 + 0.05 * s) ** -0.75
    assert np.isfinite(lrn).all()
    np.testing.assert_allclose(out["layer_7"][0], lrn, rtol=1e-5)
    assert out["layer_8"].shape == (1, 3, 2, 1) and np.isfinite(out["layer_8"]).all()


def test_antialiasing_and_weighted_shortcut(tmp_path):
    text = """[net]
width=8
height=8
channels=2

[convolutional]
filters=2
size=1
stride=2
antialiasing=1
activation=linear

[dropout]

[convolutional]
filters=2
size=1
activation=linear

[shortcut]
from=1
weights_type=per_channel
weights_normalization=softmax
activation=linear
"""
    x = np.random.default_rng(5).standard_normal((1, 2, 8, 8)).astype(np.float32)
    out = run(text, tmp_path, x)
    conv0 = out["layer_0"][0].astype(np.float64)                      # the stride-1 conv, 8x8
    assert conv0.shape == (2, 8, 8)
    k = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16.0
    pad = np.pad(conv0, ((0, 0), (1, 1), (1, 1)))
    blur = np.array([[[(pad[c, 2 * i:2 * i + 3, 2 * j:2 * j + 3] * k).sum() for j in range(4)] for i in range(4)]
                     for c in range(2)])
    # the next layer reads the blurred 4x4 map ([dropout] repeats it)
    np.testing.assert_allclose(out["layer_1"][0], blur, rtol=1e-5, atol=1e-6)
    # weights init gives weighted-shortcut weights 1; softmax over 2 sources: 1/(2 + 1e-4) each
    w = 1 / (2 + 1e-4)
    np.testing.assert_allclose(out["layer_3"][0], w * out["layer_2"][0] + w * blur, rtol=1e-5, atol=1e-6)
