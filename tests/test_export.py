"""cfggen export: the CLI (options, metadata, bad input), --outputs boxes/boxes-noobj against darknet's box
formulas (reference §5/§12.7) applied in numpy to the raw head outputs, and --nms against a numpy NMS."""
from __future__ import annotations

import json
import os
import sys

import pytest

from conftest import CORPUS, needs_shared, run_cli

np = pytest.importorskip("numpy")
onnx = pytest.importorskip("onnx", reason="onnx not installed (pip install 'cfggen[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime not installed (pip install 'cfggen[onnx]')")

from test_export_forward import golden_case, needs_forward  # noqa: E402


_CLEANUP: list = []


def request_cleanup(path):
    """Weights files go at the end of the module (pytest keeps the last runs' tmp dirs)."""
    _CLEANUP.append(path)


@pytest.fixture(scope="module", autouse=True)
def _cleanup():
    yield
    for p in _CLEANUP:
        p.unlink(missing_ok=True)


def session(model_or_path):
    data = model_or_path.SerializeToString() if hasattr(model_or_path, "SerializeToString") else str(model_or_path)
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"])


def run(model, x):
    sess = session(model)
    return dict(zip([o.name for o in sess.get_outputs()], sess.run(None, {"input": x})))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """yolov3-tiny with the forward golden's weights and input."""
    return golden_case("yolov3-tiny", tmp_path_factory.mktemp("tiny"))


# ------------------------------------------------------------------------------------------------
# CLI

@needs_forward
def test_cli_writes_checked_model_with_metadata(tiny, tmp_path):
    golden, cfg, weights, x, size = tiny
    names = tmp_path / "coco.names"
    names.write_text("".join(f"class{i}\n" for i in range(80)))
    out = tmp_path / "m.onnx"
    code, stdout, stderr = run_cli("export", cfg, weights, "-o", out, "--names", names)
    assert code == 0, stderr
    assert "wrote" in stdout and "yolo_16, yolo_23" in stdout
    model = onnx.load(str(out))
    onnx.checker.check_model(model, full_check=True)
    assert [i.name for i in model.graph.input] == ["input"]
    assert [o.name for o in model.graph.output] == ["yolo_16", "yolo_23"]
    assert model.opset_import[0].version == 17
    meta = {p.key: p.value for p in model.metadata_props}
    assert json.loads(meta["names"])[:2] == ["class0", "class1"]
    assert json.loads(meta["strides"]) == [32, 16]
    assert json.loads(meta["anchors"])[0]["mask"] == [3, 4, 5]
    assert meta["input_size"] == "416x416x3"
    import hashlib
    assert meta["source_cfg_sha256"] == hashlib.sha256(cfg.read_bytes()).hexdigest()
    heads = run(model, x)
    want = np.array(golden["heads"][0]["samples"], dtype=np.float32)
    got = heads["yolo_16"].reshape(-1)[np.linspace(0, heads["yolo_16"].size - 1, 4096).round().astype(int)]
    assert np.abs(got - want).max() <= 1e-3 * np.abs(want).max() + 1e-5


@needs_forward
def test_dynamic_batch_fp16_and_opsets_agree(tiny):
    from cfggen.export import to_onnx
    golden, cfg, weights, x, size = tiny
    base = run(to_onnx(cfg, weights), x)
    x2 = np.concatenate([x, x[:, :, ::-1, :]])
    dyn = run(to_onnx(cfg, weights, batch="dynamic"), x2)
    for k in base:
        np.testing.assert_allclose(dyn[k][:1], base[k], rtol=1e-5, atol=1e-5)
        assert not np.allclose(dyn[k][1], base[k][0])
    for opset in (13, 19):
        other = run(to_onnx(cfg, weights, opset=opset), x)
        for k in base:
            np.testing.assert_allclose(other[k], base[k], rtol=1e-5, atol=1e-5)
    half = run(to_onnx(cfg, weights, fp16=True), x)
    for k in base:
        assert half[k].dtype == np.float32
        assert np.abs(half[k] - base[k]).max() <= 2e-2 * np.abs(base[k]).max()


@needs_shared
def test_size_and_refused_size(tmp_path):
    cfg = CORPUS / "yolov3-tiny.cfg"
    code, stdout, stderr = run_cli("export", cfg, "-o", tmp_path / "a.onnx", "--size", "320x256")
    assert code == 0, stderr
    assert "1x3x256x320" in stdout and "weights init" in stderr
    code, _, stderr = run_cli("export", cfg, "-o", tmp_path / "b.onnx", "--size", "100x100")
    assert code == 2 and "DN203" in stderr and "layer 20" in stderr and len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "b.onnx").exists()


@needs_forward
@pytest.mark.parametrize("case", ["truncated", "other-net", "long"])
def test_mismatched_weights_refused_no_file(tiny, tmp_path, case):
    golden, cfg, weights, x, size = tiny
    data = weights.read_bytes()
    bad = tmp_path / "bad.weights"
    bad.write_bytes({"truncated": data[:100000], "other-net": data[:-4000], "long": data + b"\0" * 8}[case])
    out = tmp_path / "m.onnx"
    out.write_bytes(b"old")
    code, _, stderr = run_cli("export", cfg, bad, "-o", out)
    assert code == 2
    assert "weights check" in stderr and ("too short" in stderr or "too long" in stderr)
    assert len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".cfggen")] == []


@needs_shared
def test_unsupported_layers_listed_once(tmp_path):
    code, _, stderr = run_cli("export", CORPUS / "rnn.cfg", "-o", tmp_path / "m.onnx")
    assert code == 2 and len(stderr.strip().splitlines()) == 1
    assert "3 layer(s) cannot be exported" in stderr
    assert "layer 0 [rnn] (line 14)" in stderr and "layer 2 [rnn]" in stderr
    assert not (tmp_path / "m.onnx").exists()


@needs_shared
def test_unwritable_output(tmp_path):
    code, _, stderr = run_cli("export", CORPUS / "yolov3-tiny.cfg", "-o", tmp_path / "no" / "m.onnx")
    assert code == 2 and "output folder does not exist" in stderr
    target = tmp_path / "dir.onnx"
    target.mkdir()
    code, _, stderr = run_cli("export", CORPUS / "yolov3-tiny.cfg", "-o", target)
    assert code == 2 and "is a directory" in stderr and "Traceback" not in stderr
    assert list(target.iterdir()) == []


def test_bad_options(tmp_path):
    cfg = tmp_path / "t.cfg"
    cfg.write_text("[net]\nwidth=32\nheight=32\nchannels=3\n[convolutional]\nfilters=4\nsize=3\npad=1\n"
                   "activation=mish\n")
    for args in (["--opset", "12"], ["--batch", "0"], ["--nms", "2,0.1,5"], ["--outputs", "xyz"]):
        code, _, stderr = run_cli("export", cfg, "-o", tmp_path / "m.onnx", *args)
        assert code == 2, args
    code, _, stderr = run_cli("export", cfg, "-o", tmp_path / "m.onnx", "--outputs", "boxes")
    assert code == 2 and "detection head" in stderr
    code, _, stderr = run_cli("export", cfg, "-o", tmp_path / "m.onnx")
    assert code == 0 and "conv" not in stderr.lower().replace("weights init", "")
    model = onnx.load(str(tmp_path / "m.onnx"))
    assert [o.name for o in model.graph.output] == ["convolutional_0"]


# ------------------------------------------------------------------------------------------------
# boxes and NMS, against darknet's formulas in numpy

def _sig(v):
    return 1 / (1 + np.exp(-v))


def numpy_boxes(golden_cfg_layers, raw: dict, net_wh) -> np.ndarray:
    """[B, 5 + C] per reference §12.7 box decoding, from the raw head maps, cell-major then anchor."""
    rows = []
    for layer in golden_cfg_layers:
        k, t = layer.conf, raw[f"layer_{layer.index}"][0]
        anchors = [float(v) for v in k["anchors"].split(",")] if k.get("anchors") else []
        if layer.type in ("yolo", "gaussian_yolo"):
            per = (9 if layer.type == "gaussian_yolo" else 5) + k["classes"]
            c, h, w = t.shape
            mask = [int(m) for m in k["mask"].split(",")] if k.get("mask") else list(range(c // per))
            for i in range(h):
                for j in range(w):
                    for a, m in enumerate(mask):
                        e = t[a * per:(a + 1) * per, i, j].astype(np.float64)
                        if layer.type == "gaussian_yolo":
                            x, y, tw, th, obj = e[0], e[2], e[4], e[6], e[8]
                            cls = e[9:] * (1 - (e[1] + e[3] + e[5] + e[7]) / 4)
                        else:
                            x, y, tw, th, obj, cls = e[0], e[1], e[2], e[3], e[4], e[5:]
                        if k.get("new_coords"):
                            bw, bh = 4 * tw * tw * anchors[2 * m], 4 * th * th * anchors[2 * m + 1]
                        else:
                            bw, bh = np.exp(tw) * anchors[2 * m], np.exp(th) * anchors[2 * m + 1]
                        rows.append([(j + x) / w * net_wh[0], (i + y) / h * net_wh[1], bw, bh, obj, *cls])
        elif layer.type == "region":
            hw, num, E = t.shape
            h, w = layer.input.h, layer.input.w
            for cell in range(hw):
                i, j = divmod(cell, w)
                for a in range(num):
                    e = t[cell, a].astype(np.float64)
                    rows.append([(j + _sig(e[0])) / w * net_wh[0], (i + _sig(e[1])) / h * net_wh[1],
                                 np.exp(e[2]) * anchors[2 * a] / w * net_wh[0],
                                 np.exp(e[3]) * anchors[2 * a + 1] / h * net_wh[1], e[4], *e[5:5 + k["classes"]]])
        elif layer.type == "detection":
            flat = t.reshape(-1).astype(np.float64)
            side, num, C = k["side"], k["num"], k["classes"]
            cells = side * side
            for cell in range(cells):
                i, j = divmod(cell, side)
                for n in range(num):
                    conf = flat[cells * C + cell * num + n]
                    b = flat[cells * (C + num) + (cell * num + n) * 4:][:4]
                    p = 2 if k["sqrt"] else 1
                    rows.append([(b[0] + j) / side * net_wh[0], (b[1] + i) / side * net_wh[1],
                                 b[2] ** p * net_wh[0], b[3] ** p * net_wh[1], conf,
                                 *flat[cell * C:(cell + 1) * C]])
    return np.array(rows)


BOX_CASES = ["yolov3-tiny", "yolov4-tiny", "yolov4-csp", "Gaussian_yolov3_BDD", "yolov2-tiny", "yolov1__tiny-yolo"]


@needs_forward
@pytest.mark.parametrize("name", BOX_CASES)
def test_boxes_equal_darknet_formulas(name, tmp_path):
    from cfggen.export import to_onnx
    from cfggen.export.build import load
    golden, cfg, weights, x, size = golden_case(name, tmp_path)
    request_cleanup(weights)
    _, network = load(str(cfg), size)
    heads = [layer for layer in network.layers if layer.type in ("yolo", "gaussian_yolo", "region", "detection")]
    raw = run(to_onnx(cfg, weights, size=size, debug_layers=[h.index for h in heads]), x)
    want = numpy_boxes(heads, raw, size)
    got = run(to_onnx(cfg, weights, size=size, outputs="boxes"), x)["boxes"][0]
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * max(size))
    noobj = run(to_onnx(cfg, weights, size=size, outputs="boxes-noobj"), x)["boxes"][0]
    assert noobj.shape == (want.shape[1] - 1, want.shape[0])
    np.testing.assert_allclose(noobj[:4].T, want[:, :4], rtol=1e-4, atol=1e-4 * max(size))
    np.testing.assert_allclose(noobj[4:].T, want[:, 5:] * want[:, 4:5], rtol=1e-4, atol=1e-6)


def numpy_nms(boxes: np.ndarray, scores: np.ndarray, iou_t: float, score_t: float, maxdet: int) -> np.ndarray:
    """Per-class greedy NMS (darknet's do_nms_sort is per class), then the maxdet best overall.
    boxes [B, 4] cx, cy, w, h; scores [B, C]. Rows: x1, y1, x2, y2, score, class."""
    xyxy = np.concatenate([boxes[:, :2] - boxes[:, 2:] / 2, boxes[:, :2] + boxes[:, 2:] / 2], axis=1)
    area = (xyxy[:, 2] - xyxy[:, 0]) * (xyxy[:, 3] - xyxy[:, 1])
    out = []
    for c in range(scores.shape[1]):
        idx = [i for i in np.argsort(-scores[:, c], kind="stable") if scores[i, c] > score_t]
        keep = []
        for i in idx:
            if len(keep) >= maxdet:
                break
            ok = True
            for j in keep:
                iw = max(0.0, min(xyxy[i, 2], xyxy[j, 2]) - max(xyxy[i, 0], xyxy[j, 0]))
                ih = max(0.0, min(xyxy[i, 3], xyxy[j, 3]) - max(xyxy[i, 1], xyxy[j, 1]))
                inter = iw * ih
                if inter / (area[i] + area[j] - inter) > iou_t:
                    ok = False
                    break
            if ok:
                keep.append(i)
        out += [[*xyxy[i], scores[i, c], c] for i in keep]
    out.sort(key=lambda r: -r[4])
    return np.array(out[:maxdet]).reshape(-1, 6)


@needs_forward
@pytest.mark.parametrize("name,thr", [("yolov3-tiny", (0.45, 0.25, 100)), ("yolov2-tiny", (0.5, 0.006, 20))])
def test_nms_equals_numpy_nms(name, thr, tmp_path):
    from cfggen.export import to_onnx
    golden, cfg, weights, x, size = golden_case(name, tmp_path)
    request_cleanup(weights)
    boxes = run(to_onnx(cfg, weights, size=size, outputs="boxes-noobj"), x)["boxes"][0].T.astype(np.float64)
    want = numpy_nms(boxes[:, :4], boxes[:, 4:], *thr)
    got = run(to_onnx(cfg, weights, size=size, nms=thr), x)["detections"][0]
    assert len(want) > 3, "the case should keep several detections"
    assert got.shape == want.shape
    order = lambda a: a[np.lexsort((a[:, 0], a[:, 5], -np.round(a[:, 4], 5)))]  # noqa: E731
    np.testing.assert_allclose(order(got), order(want), rtol=1e-4, atol=1e-3)


@needs_forward
def test_streamed_file_equals_serialized_and_checks(tiny, tmp_path):
    from cfggen.export import save, to_onnx
    from cfggen.export.check import ModelCheckError, check, check_light
    golden, cfg, weights, x, size = tiny
    model = to_onnx(cfg, weights, outputs="boxes")
    check(model)
    check_light(model)
    out = tmp_path / "m.onnx"
    assert save(model, out) == out.stat().st_size
    assert onnx.load(str(out)) == model      # same message (field order in the stream may differ)
    # a wrong declared output shape and a truncated initializer are both caught without the full copy
    bad = onnx.ModelProto()
    bad.CopyFrom(model)
    bad.graph.output[0].type.tensor_type.shape.dim[1].dim_value += 1
    with pytest.raises(ModelCheckError):
        check_light(bad)
    bad.CopyFrom(model)
    big = max(bad.graph.initializer, key=lambda t: len(t.raw_data))
    big.raw_data = big.raw_data[:-4]
    with pytest.raises(ModelCheckError):
        check_light(bad)


def test_registry_covers_every_layer_type():
    """Every darknet layer type has an emitter or a declared reason it is refused; duplicates raise."""
    from cfggen.export import emitters
    from cfggen.ir.layers import BY_TYPE
    for type_ in BY_TYPE:
        assert type_ in emitters.EMITTERS or type_ in emitters.UNSUPPORTED_WHY, type_
    assert emitters.emitter_for("upsample", 17) is emitters.upsample_13
    assert emitters.emitter_for("upsample", 18) is emitters.upsample_18
    assert emitters.emitter_for("upsample", 12) is None
    with pytest.raises(ValueError, match="already registered"):
        emitters.emitter("upsample", since=18)(lambda ctx: None)


@needs_forward
def test_resize_versions_agree(tiny):
    from cfggen.export import to_onnx
    golden, cfg, weights, x, size = tiny
    m17, m18 = to_onnx(cfg, weights, opset=17), to_onnx(cfg, weights, opset=18)
    r17 = [n for n in m17.graph.node if n.op_type == "Resize"][0]
    r18 = [n for n in m18.graph.node if n.op_type == "Resize"][0]
    assert "axes" not in [a.name for a in r17.attribute] and "axes" in [a.name for a in r18.attribute]
    a, b = run(m17, x), run(m18, x)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


@needs_forward
def test_fp16_boxes_and_dynamic_boxes(tiny):
    from cfggen.export import to_onnx
    golden, cfg, weights, x, size = tiny
    ref = run(to_onnx(cfg, weights, outputs="boxes"), x)["boxes"]
    half = run(to_onnx(cfg, weights, outputs="boxes", fp16=True), x)["boxes"]
    assert half.dtype == np.float32 and half.shape == ref.shape
    assert np.abs(half - ref)[..., :4].max() <= 0.02 * np.abs(ref[..., :4]).max()
    dyn = run(to_onnx(cfg, weights, outputs="boxes-noobj", batch="dynamic"), np.concatenate([x, x]))["boxes"]
    assert dyn.shape[0] == 2
    np.testing.assert_allclose(dyn[0], dyn[1])


def test_missing_onnx_is_one_line_with_hint(tmp_path, monkeypatch):
    cfg = tmp_path / "t.cfg"
    cfg.write_text("[net]\nwidth=8\nheight=8\nchannels=3\n[convolutional]\nfilters=2\nsize=1\n")
    monkeypatch.setitem(sys.modules, "onnx", None)
    code, _, stderr = run_cli("export", cfg, "-o", tmp_path / "m.onnx")
    assert code == 2 and "pip install 'cfggen[onnx]'" in stderr and len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "m.onnx").exists()


@needs_forward
def test_debug_layers_option(tiny, tmp_path):
    golden, cfg, weights, x, size = tiny
    out = tmp_path / "m.onnx"
    code, stdout, stderr = run_cli("export", cfg, weights, "-o", out, "--debug-layers", "0,15")
    assert code == 0, stderr
    res = run(onnx.load(str(out)), x)
    assert set(res) == {"yolo_16", "yolo_23", "layer_0", "layer_15"}
    L = golden["layers"][15]
    assert res["layer_15"].size == L["outputs"]
    assert abs(res["layer_15"].sum() - L["sum"]) <= 1e-3 * L["sum_abs"] + 1e-5
    code, _, stderr = run_cli("export", cfg, weights, "-o", out, "--debug-layers", "99")
    assert code == 2 and "debug layer 99" in stderr
