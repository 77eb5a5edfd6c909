"""xnor networks: the export against a numpy re-implementation of darknet's CPU forward (issue 20).

``tests/xnor_reference.py`` computes darknet's forward pass as its C code rounds (gemm order, the
vectorised ``binarize_weights`` mean, ``.1*x`` leaky); the first test holds it to a forward golden bit
for bit. The export is then compared with it, layer by layer, on the published xnor yolov3-spp
pattern (``xnor=1 bin_output=1`` on 69 convolutions, 6 classes):
* at 96x96 (slim widths) and at 608x608 (the first 13 layers) every layer agrees within the goldens'
  tolerance, with no input bit flipped (the xnor sum is exact, then * m, then + b', as darknet rounds);
* where another rounding does flip a bit (onnxruntime's default optimisations on the first float conv
  at 608x608), the layers agree up to the first one that differs, and that difference is wholly sign
  flips: every input bit that differs comes from an input value within float rounding of zero, and
  the reference fed the export's own input reproduces the export there. An xnor layer binarises its
  input (``in > 0``), so a value that darknet rounds to -1e-8 and another runtime to +1e-8 flips a
  bit; the flip moves the outputs by 2*m, which flips more bits downstream (``bench/xnor_signflips.py``
  measures the whole network).
Plus bin_output's rules: only xnor layers, cleared by route/shortcut/scale_channels/sam readers.
"""
from __future__ import annotations

import json

import pytest

from conftest import CORPUS, SHARED, needs_shared

np = pytest.importorskip("numpy")
pytest.importorskip("onnx", reason="onnx not installed (pip install 'cfggen[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime not installed (pip install 'cfggen[onnx]')")

import xnor_reference as xr  # noqa: E402

TOOLS = SHARED / "tools"
FORWARD = SHARED / "golden" / "darknet-forward"
needs_tools = pytest.mark.skipif(not (TOOLS / "fwd_weights.py").is_file(), reason=f"fwd_weights.py not here ({TOOLS})")


def pattern(tmp_path, size: int, **kw):
    """(cfg, weights, network, native, input) for the xnor yolov3-spp pattern at size x size."""
    return xr.xnor_spp(tmp_path, CORPUS / "yolov3-spp.cfg", size, TOOLS, **kw)


run_export = xr.run_export


@needs_shared
@needs_tools
def test_reference_is_darknet_bit_for_bit(tmp_path):
    """yolov3-tiny_xnor's forward golden (darknet CLI semantics, gpu_index -1): every sample of every
    layer but the two [yolo] heads is reproduced exactly; the heads (vectorised expf) within 1e-6."""
    import sys
    sys.path.insert(0, str(TOOLS))
    try:
        import fwd_weights as fw
    finally:
        sys.path.remove(str(TOOLS))
    golden = json.loads((FORWARD / "yolov3-tiny_xnor.cfg.json").read_text())
    shape = json.loads((SHARED / "golden" / golden["shape_golden"]).read_text())
    weights = tmp_path / "w.weights"
    weights.write_bytes(fw.weights_bytes(shape))
    w, h = golden["size"]
    x = fw.input_array(shape, (w, h)).reshape(shape["net"]["c"], h, w)
    network, outs = xr.forward(CORPUS / golden["cfg"], weights, (w, h), x)
    assert sum(1 for lay in network.layers if lay.conf.get("xnor")) == 9
    for L, out in zip(golden["layers"], outs):
        flat = out.reshape(-1)
        idx = np.linspace(0, L["outputs"] - 1, len(L["samples"])).round().astype(int)
        want = np.array(L["samples"], dtype=np.float64).astype(np.float32)
        if L["type"] == "yolo":
            M = max(abs(L["min"]), abs(L["max"]))
            assert np.abs(flat[idx] - want).max() <= 1e-6 * M, L["index"]
        else:
            assert (flat[idx] == want).all(), f"layer {L['index']} {L['type']}: not bit-exact"
            assert abs(flat.astype(np.float64).sum() - L["sum"]) <= 1e-12 * L["sum_abs"], L["index"]


@needs_shared
@needs_tools
def test_xnor_spp_agrees_at_96(tmp_path):
    cfg, weights, network, _, x = pattern(tmp_path, 96, slim=True)
    assert sum(1 for lay in network.layers if lay.conf.get("xnor")) == 69
    _, ref = xr.forward(cfg, weights, None, x)
    rows = xr.layer_diffs(network, ref, run_export(cfg, weights, x), x)
    assert len(rows) == 114 and sum(r.type == "yolo" for r in rows) == 3
    bad = [r for r in rows if r.beyond or r.flips]
    assert not bad, bad[:3]
    assert max(r.max_rel for r in rows) < 1e-5


@needs_shared
@needs_tools
def test_xnor_spp_608_agrees_layer_by_layer(tmp_path):
    """The first 13 layers at 608x608, where the full network first departed from darknet when the
    export's xnor conv summed +-m weights (1 input bit at layer 12 flipped, 0.93 of the first [yolo]'s
    range): with +-1 weights, then * m, then + b', every layer agrees and no input bit differs."""
    cfg, weights, network, _, x = pattern(tmp_path, 608, layers=13)
    _, ref = xr.forward(cfg, weights, None, x)
    rows = xr.layer_diffs(network, ref, run_export(cfg, weights, x), x)
    assert len(rows) == 13 and sum(r.xnor for r in rows) == 9
    assert all(r.max_rel < 1e-5 and not r.beyond and not r.flips for r in rows), [r for r in rows if r.flips]


@needs_shared
@needs_tools
def test_first_difference_is_a_sign_flip_at_zero(tmp_path):
    """onnxruntime's default optimisations compute the first (float) conv in another order: at 608x608
    one of its outputs within rounding of 0 takes the other sign. The layers agree up to the first one
    that differs, that one is an xnor layer, every differing input bit comes from a value within float
    rounding of zero, and darknet's rule applied to the export's own input gives the export's output."""
    cfg, weights, network, native, x = pattern(tmp_path, 608, layers=3)
    _, ref = xr.forward(cfg, weights, None, x)
    out = run_export(cfg, weights, x, optimise=True)
    rows = xr.layer_diffs(network, ref, out, x)
    first = next((r for r in rows if r.beyond), None)
    if first is None:       # a runtime that rounds this conv as darknet does: no flip, full agreement
        assert not any(r.flips for r in rows)
        return
    assert all(r.max_rel < 1e-5 and not r.flips for r in rows[:first.index]), rows[:first.index]
    assert first.xnor and first.flips and first.near_zero_flips == first.flips, first
    assert first.flip_max_rel < 1e-6, first
    lay = network.layers[first.index]
    redo = xr.step(network, lay, out[first.index - 1], out, xr.read_conv_weights(weights, native))
    assert np.abs(redo.astype(np.float64) - out[first.index]).max() <= 1e-5 * first.scale


def _tiny(tmp_path, body: str):
    from cfggen.export.build import load

    cfg = tmp_path / "t.cfg"
    cfg.write_text("[net]\nwidth=16\nheight=16\nchannels=3\n\n[convolutional]\nfilters=32\nsize=3\npad=1\n"
                   "activation=leaky\n\n" + body)
    native, network = load(str(cfg), None)
    weights = tmp_path / "t.weights"
    xr.recipe_weights(native, weights, TOOLS)
    return cfg, weights, network, xr.recipe_input(network)


CONV = "[convolutional]\n{extra}filters=32\nsize=3\npad=1\nactivation=leaky\n\n"


@needs_tools
@pytest.mark.parametrize("extra,reader,linear", [
    ("bin_output=1\n", "", False),                       # without xnor darknet ignores bin_output
    ("xnor=1\nbin_output=1\n", "", True),
    ("xnor=1\nbin_output=1\n", "[route]\nlayers=-1\n\n", False),
    ("xnor=1\nbin_output=1\n", "[shortcut]\nfrom=-2\nactivation=linear\n\n", False),
    ("xnor=1\nbin_output=1\n", "[avgpool]\n\n[scale_channels]\nfrom=-2\n\n", False),  # read as its from
    ("xnor=1\nbin_output=1\n", "[sam]\nfrom=-2\n\n", False),
])
def test_bin_output_rules(tmp_path, extra, reader, linear):
    """Layer 1's activation: linear only for an xnor layer with bin_output that no route, shortcut,
    scale_channels or sam reads (calculate_binary_weights and the parser's use_bin_output = 0)."""
    cfg, weights, network, x = _tiny(tmp_path, CONV.format(extra=extra) + reader)
    from cfggen.export.build import consumers
    outs = run_export(cfg, weights, x)
    out = outs[1]
    wts = xr.read_conv_weights(weights, network)[1]
    want = xr.conv_layer(network.layers[1], outs[0], wts, linear)
    other = xr.conv_layer(network.layers[1], outs[0], wts, not linear)
    assert (out < 0).any() and not np.allclose(want, other)
    assert np.abs(out - want).max() <= 1e-5 * np.abs(want).max()
    assert (1 in consumers(network)) == bool(reader)


@pytest.mark.parametrize("extra,count", [("xnor=1\n", "1"), ("", None)])
def test_cli_notes_xnor_sign_flips(tmp_path, extra, count):
    import onnx

    from conftest import run_cli
    cfg = tmp_path / "t.cfg"
    cfg.write_text("[net]\nwidth=16\nheight=16\nchannels=3\n\n[convolutional]\nfilters=32\nsize=3\npad=1\n"
                   "activation=leaky\n\n" + CONV.format(extra=extra))
    out = tmp_path / "t.onnx"
    code, stdout, stderr = run_cli("export", cfg, "-o", out)
    assert code == 0, stderr
    meta = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert meta.get("xnor_layers") == count
    note = [line for line in stderr.splitlines() if "xnor" in line]
    if count:
        assert len(note) == 1 and note[0].startswith("note: 1 xnor layer(s) binarise their input")
        assert "float rounding of 0" in note[0]
    else:
        assert not note
