"""`cfggen anchors` and `cfggen adapt --data`: darknet's figures, the search, masks, JSON, errors.

Every test builds its own tiny dataset (label files and lists; images are never opened by
calc_anchors or adapt) in tmp_path, with absolute paths in the lists.
"""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from cfggen.dataset import anchors as A
from conftest import CORPUS, needs_shared, run_cli as run  # noqa: E402
from darknet_kmeans import GlibcRand, avg_iou_loop, boxes_from_relative, do_kmeans  # noqa: E402

# a two-head detector at 64x64: the first [yolo] on a 4x4 grid (stride 16), the second on 2x2 (stride 32)
TINY = """[net]
batch=1
subdivisions=1
width=64
height=64
channels=3
max_batches = 500200
policy=steps
steps=400000,450000
scales=.1,.1

[convolutional]
filters=8
size=3
stride=2
pad=1
activation=leaky

[convolutional]
filters=8
size=3
stride=2
pad=1
activation=leaky

[convolutional]
filters=8
size=3
stride=2
pad=1
activation=leaky

[convolutional]
filters=8
size=3
stride=2
pad=1
activation=leaky

[convolutional]
size=1
stride=1
pad=1
filters=255
activation=linear

[yolo]
mask = 3,4,5   # the fine head
anchors = 10,14,  23,27,  37,58,  81,82,  135,169,  344,319
classes=80
num=6

[route]
layers=-3

[convolutional]
filters=8
size=3
stride=2
pad=1
activation=leaky

[convolutional]
size=1
stride=1
pad=1
filters=255
activation=linear

[yolo]
mask = 0,1,2
anchors = 10,14,  23,27,  37,58,  81,82,  135,169,  344,319
classes=80
num=6
"""


def synthetic_rel(n: int, seed: int) -> np.ndarray:
    """Relative (w, h) with a COCO-like spread: log-normal sizes, log-normal aspect ratios."""
    rng = np.random.default_rng(seed)
    size = np.exp(rng.normal(-2.2, 0.9, n))
    ar = np.exp(rng.normal(0.0, 0.45, n))
    return np.clip(np.stack([size * np.sqrt(ar), size / np.sqrt(ar)], axis=1), 0.004, 1.0).round(6)


def make_dataset(root, files: list[list[str]], names=("a", "b", "c"), train_name="train.txt"):
    """obj.data + names + an image list + one label file per entry of ``files`` (its lines)."""
    imgs = root / "obj"
    imgs.mkdir(exist_ok=True)
    entries = []
    for i, lines in enumerate(files):
        (imgs / f"im{i}.txt").write_text("".join(line + "\n" for line in lines))
        entries.append(str(imgs / f"im{i}.jpg"))
    (root / train_name).write_text("".join(e + "\n" for e in entries))
    (root / "obj.names").write_text("".join(n + "\n" for n in names))
    data = root / "obj.data"
    data.write_text(f"classes={len(names)}\ntrain={root / train_name}\nvalid={root / train_name}\n"
                    f"names={root / 'obj.names'}\nbackup={root}\n")
    return data


def dataset_from_rel(root, rel: np.ndarray, per_file: int = 4, **kw):
    files = []
    for start in range(0, len(rel), per_file):
        files.append([f"{(k % 3)} 0.500000 0.500000 {w:.6f} {h:.6f}"
                      for k, (w, h) in enumerate(rel[start:start + per_file])])
    return make_dataset(root, files, **kw)


# ------------------------------------------------------------------------------------------------
# darknet's average IoU, bit for bit

def test_avg_iou_hand_case():
    # IoU 1 and 0.5: 75 %
    boxes = np.array([[10, 10], [20, 10]], np.float32)
    assert A.darknet_avg_iou(boxes, np.array([[10, 10]], np.float32)).printed == "75.00"
    # a negative-width box: nearest anchor by 1 - IoU is the second (IoU -0.125), outside [0, 1]: left out of
    # the sum but counted in the divisor, so (1 + 1) / 3 = 66.67 %, one "Wrong label"
    boxes = np.array([[10, 10], [-5, 10], [20, 20]], np.float32)
    r = A.darknet_avg_iou(boxes, np.array([[10, 10], [20, 20]], np.float32))
    assert (r.printed, r.wrong) == ("66.67", 1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_avg_iou_equals_darknet_loop(seed):
    rng = np.random.default_rng(seed)
    boxes = boxes_from_relative(synthetic_rel(400, seed), 416, 320)
    anchors = (rng.uniform(5, 300, (7, 2))).astype(np.float32)
    anchors[3] = anchors[2]                       # a tie: the lower index wins in both
    boxes[5] = [np.nan, 10]                       # a NaN distance never wins: IoU 0, added
    boxes[6] = [0, 0]                             # 0/0: NaN again
    boxes[7] = [-3, 20]                           # a negative IoU: left out of the sum
    fast = A.darknet_avg_iou(boxes, anchors).percent
    assert fast == avg_iou_loop(boxes, anchors)   # the same float32 value, not just close


def test_avg_iou_sums_in_order():
    # float32 sums depend on order: 1e8 then many 1s loses the 1s one at a time (darknet's loop), a pairwise
    # sum would not. The IoUs here are exactly 1.0 and 0.0078125; the sequential float32 total differs from
    # the float64 one, and darknet_avg_iou follows darknet's loop
    boxes = np.array([[1, 1]] * 3 + [[1, 128]] * 5000, np.float32)
    anchors = np.array([[1, 1]], np.float32)
    assert A.darknet_avg_iou(boxes, anchors).percent == avg_iou_loop(boxes, anchors)


def test_summaries_keep_the_mass():
    boxes = boxes_from_relative(synthetic_rel(5000, 8), 416, 416)
    boxes[0] = [-1, 5]                                           # not positive: left out
    (coarse, cw), (fine, fw), (exact, ew) = A.summaries(boxes, (300, 2000, 10_000))
    assert len(coarse) <= 300 < len(fine) <= 2000 < len(exact)
    for pts, w in ((coarse, cw), (fine, fw), (exact, ew)):
        assert w.sum() == 4999
        # each point is its boxes' mean: the weighted means of w and h are the boxes' means
        assert np.allclose(pts.T @ w / w.sum(), boxes[1:].astype(np.float64).mean(axis=0))


def test_glibc_rand_matches_glibc():
    r = GlibcRand(1)
    assert [r(), r(), r()] == [1804289383, 846930886, 1681692777]   # glibc's well-known first values


def test_sort_is_darknets():
    a = np.array([[30, 30], [10, 90], [20, 20], [90, 10]], np.float32)
    # areas 900, 900, 400, 900: ascending, equal areas in their order
    assert A.sort_anchors(a).tolist() == [[20, 20], [30, 30], [10, 90], [90, 10]]


# ------------------------------------------------------------------------------------------------
# the search

def test_search_beats_darknet_single_start():
    boxes = boxes_from_relative(synthetic_rel(600, 7), 416, 416)
    darknet = sorted(A.darknet_avg_iou(boxes, do_kmeans(boxes, 6, seed)[0]).percent for seed in (11, 12, 13))
    ours = A.search(boxes, 6, np.random.default_rng(0), width=416)
    assert ours.avg_iou.percent >= darknet[1]
    assert ours.avg_iou == A.darknet_avg_iou(boxes, ours.anchors)
    assert ours.anchors.tolist() == A.sort_anchors(ours.anchors).tolist()
    assert (ours.anchors == np.round(ours.anchors)).all()     # whole pixels, as pasted into anchors=


def test_search_is_deterministic():
    boxes = boxes_from_relative(synthetic_rel(300, 3), 320, 320)
    one = A.search(boxes, 4, np.random.default_rng(5), starts=4, generations=100)
    two = A.search(boxes, 4, np.random.default_rng(5), starts=4, generations=100)
    assert one.anchors.tolist() == two.anchors.tolist()


def test_ratio_metrics():
    boxes = np.array([[10, 10], [10, 41], [100, 100]], np.float64)
    m = A.ratio_metrics(boxes, np.array([[10, 10]], np.float64), thr=4.0)
    # (10,10) fits (ratio 1); (10,41): 10/41 < 1/4, no; (100,100): 0.1, no
    assert m.bpr == pytest.approx(1 / 3) and m.aat == pytest.approx(1 / 3)


def test_mask_split_by_stride():
    anchors = np.array([[10, 13], [16, 30], [33, 23], [30, 61], [62, 45], [59, 119], [116, 90], [156, 198],
                        [373, 326]], np.float64)
    # areas 130, 480, 759 < 30^2; 1830, 2790 < 60^2; the rest. YOLOv3 order: the coarse head first
    split = A.split_masks(anchors, [(82, 32), (94, 16), (106, 8)])
    assert [(s.layer, s.mask) for s in split] == [(82, (5, 6, 7, 8)), (94, (3, 4)), (106, (0, 1, 2))]
    assert [s.limit for s in split] == [None, 60.0, 30.0]
    # all anchors large: the fine head gets none
    assert A.split_masks(anchors[5:], [(1, 8), (2, 32)])[0].mask == ()


# ------------------------------------------------------------------------------------------------
# the command

def test_cli_json_schema(tmp_path):
    data = dataset_from_rel(tmp_path, synthetic_rel(200, 1))
    cfg = tmp_path / "tiny.cfg"
    cfg.write_text(TINY)
    code, out, err = run("anchors", data, "--cfg", cfg, "--format", "json")
    assert code == 0, err
    r = json.loads(out)
    assert r["num"] == 6 and r["size"] == [64, 64] and r["boxes"] == 200 and r["images"] == 50
    assert len(r["anchors"]) == 6 and all(len(p) == 2 for p in r["anchors"])
    assert r["objective"] == "darknet average IoU"
    # the printed figure is darknet's, for exactly the anchors printed
    px = boxes_from_relative(synthetic_rel(200, 1), 64, 64)
    assert r["avg_iou_printed"] == f"{avg_iou_loop(px, np.array(r['anchors'], np.float32)):.2f}"
    assert 0 <= r["bpr"] <= 1 and r["aat"] >= r["bpr"]
    assert [m["layer"] for m in r["masks"]] == [5, 9] and [m["stride"] for m in r["masks"]] == [16, 32]
    masks = [i for m in r["masks"] for i in m["mask"]]
    assert sorted(masks) == list(range(6))                  # every anchor to exactly one head here
    assert "cfg_anchors" in r and set(r["cfg_anchors"]) == {"avg_iou", "avg_iou_printed", "bpr", "aat"}


def test_cli_json_boxes_per_head(tmp_path):
    """Each head's boxes: those whose nearest printed anchor (darknet's 1 - IoU, first on a tie) is its own."""
    rel = synthetic_rel(200, 1)
    data = dataset_from_rel(tmp_path, rel)
    cfg = tmp_path / "tiny.cfg"
    cfg.write_text(TINY)
    code, out, err = run("anchors", data, "--cfg", cfg, "--size", "416x416", "--format", "json")
    assert code == 0, err
    r = json.loads(out)
    anchors = np.array(r["anchors"], np.float32)

    def nearest(w, h):
        inter = np.minimum(w, anchors[:, 0]) * np.minimum(h, anchors[:, 1])
        return int(np.argmin(np.float32(1) - inter / ((w * h + anchors[:, 0] * anchors[:, 1]) - inter)))

    near = [nearest(w, h) for w, h in boxes_from_relative(rel, 416, 416).astype(np.float32)]
    counts = [m["boxes"] for m in r["masks"]]
    assert all(m["mask"] for m in r["masks"]) and min(counts) > 0   # both heads have anchors and boxes
    assert counts == [sum(1 for k in near if k in m["mask"]) for m in r["masks"]]


def test_cli_text_and_head_without_anchors(tmp_path):
    # every box is big: at 64x64 nothing is smaller than 60x60 (3.75 x stride 16) -> the fine head gets none
    rel = np.tile([[0.96, 0.95]], (60, 1))
    rel[::2] = [0.99, 0.97]
    rel[::3] = [0.97, 0.99]
    data = dataset_from_rel(tmp_path, rel)
    cfg = tmp_path / "tiny.cfg"
    cfg.write_text(TINY)
    code, out, err = run("anchors", data, "--cfg", cfg, "--num", "2")
    assert code == 0, err
    assert "anchors = " in out and "avg IoU = " in out and "BPR = " in out
    assert "warning: layer 5 [yolo] (stride 16) gets no anchor" in out


def test_cli_seed_determinism_and_size(tmp_path):
    data = dataset_from_rel(tmp_path, synthetic_rel(80, 4))
    a = run("anchors", data, "--size", "416x320", "--num", "3", "--seed", "3", "--format", "json")
    b = run("anchors", data, "--size", "416x320", "--num", "3", "--seed", "3", "--format", "json")
    assert a[0] == 0 and a[1] == b[1]
    assert json.loads(a[1])["size"] == [416, 320] and "masks" not in json.loads(a[1])


def test_cli_errors(tmp_path):
    data = make_dataset(tmp_path, [["0 0.5 0.5 0.2 0.3"], ["1 0.5 0.5 0.4 0.1"], []])
    code, out, err = run("anchors", data, "--size", "416", "--num", "3")
    assert code == 2 and "segfault" in err and "2 boxes" in err and len(err.strip().splitlines()) == 1
    code, _, err = run("anchors", data, "--num", "2")
    assert code == 2 and "--size" in err
    same = make_dataset(tmp_path, [["0 0.5 0.5 0.2 0.3"] * 4, ["1 0.5 0.5 0.2 0.3"]], train_name="same.txt")
    code, _, err = run("anchors", same, "--size", "416", "--num", "2")
    assert code == 2 and "only 1 distinct usable box size for 2 anchors" in err
    empty = make_dataset(tmp_path, [[], []], train_name="empty.txt")
    code, _, err = run("anchors", empty, "--size", "416")
    assert code == 2 and "no boxes" in err
    bad = tmp_path / "bad.data"
    bad.write_text("classes=1\n\ntrain=nowhere.txt\n")
    code, _, err = run("anchors", bad, "--size", "416")
    assert code == 2 and err.startswith(f"{bad}:3: error: train=nowhere.txt: no such image list")
    code, _, err = run("anchors", tmp_path / "missing.data", "--size", "416")
    assert code == 2 and "missing.data" in err and "Traceback" not in err


def test_cli_counts_missing_and_wrong_labels(tmp_path):
    data = make_dataset(tmp_path, [["0 0.5 0.5 0.2 0.3", "0 0.5 0.5 1.2 0.3"], ["1 0.5 0.5 0.4 0.1"],
                                   ["2 0.5 0.5 0.1 0.1"]])
    (tmp_path / "obj" / "im2.txt").unlink()
    code, out, err = run("anchors", data, "--size", "64", "--num", "2", "--format", "json")
    assert code == 0, err
    r = json.loads(out)
    assert r["boxes"] == 3 and r["label_files_missing"] == 1
    assert any("outside (0, 1]" in w and w.endswith("im0.txt:2") for w in r["warnings"])


# ------------------------------------------------------------------------------------------------
# adapt --data

def test_adapt_data_whole_howto(tmp_path):
    data = dataset_from_rel(tmp_path, synthetic_rel(120, 5), names=("a", "b", "c", "d"))
    cfg = tmp_path / "tiny.cfg"
    cfg.write_text(TINY)
    out_cfg = tmp_path / "obj.cfg"
    code, out, err = run("adapt", cfg, "--data", data, "--size", "416x416", "-o", out_cfg)
    assert code == 0, err
    new = out_cfg.read_text()
    assert "width=416" in new and "height=416" in new
    assert "max_batches = 8000" in new and "steps=6400,7200" in new     # max(6000, 2000 x 4), 80 % / 90 %
    assert new.count("classes=4") == 2
    report = json.loads(run("anchors", data, "--cfg", cfg, "--size", "416", "--format", "json")[1])
    assert all(m["mask"] for m in report["masks"])
    assert new.count(f"anchors = {report['anchors_text'].replace(', ', ',  ')}") == 2
    for m in report["masks"]:
        assert f"mask = {','.join(map(str, m['mask']))}" in new
        assert f"filters={len(m['mask']) * 9}" in new
    # only the lines that must change
    changed = [(a, b) for a, b in zip(TINY.splitlines(), new.splitlines()) if a != b]
    assert len(TINY.splitlines()) == len(new.splitlines())
    assert {a.split("=")[0].strip() for a, _ in changed} <= {"max_batches", "steps", "filters", "mask", "anchors",
                                                              "classes", "width", "height"}
    assert "# the fine head" in new


def test_adapt_data_reads_the_data_file_and_builds_the_cfg_once(tmp_path, monkeypatch):
    """The anchors (cfg_heads) and the edit (adapt) share one plan of the cfg; the .data file is read
    once for the names and the train list."""
    from collections import Counter

    import cfggen.dataset.files as F
    import cfggen.ir.build as IB
    planned, reads, docs = Counter(), Counter(), []
    plan, read_bytes = IB.plan, F._read_bytes

    def counting_plan(doc):
        docs.append(doc)           # kept alive: ids stay unique
        planned[id(doc)] += 1
        return plan(doc)

    def counting_read(path, kind):
        reads[str(path)] += 1
        return read_bytes(path, kind)

    monkeypatch.setattr(IB, "plan", counting_plan)
    monkeypatch.setattr(F, "_read_bytes", counting_read)
    data = dataset_from_rel(tmp_path, synthetic_rel(60, 5), names=("a", "b", "c"))
    cfg = tmp_path / "tiny.cfg"
    cfg.write_text(TINY)
    code, out, err = run("adapt", cfg, "--data", data, "--diff")
    assert code == 0, err
    assert "+classes=3" in out and "note: anchors from 60 boxes" in err     # cfg_heads and compute ran
    assert planned and set(planned.values()) == {1}
    assert reads[str(data)] == 1


def test_adapt_data_anchors_keep_and_names_errors(tmp_path):
    data = dataset_from_rel(tmp_path, synthetic_rel(40, 6), names=("a", "b"))
    cfg = tmp_path / "tiny.cfg"
    cfg.write_text(TINY)
    code, out, err = run("adapt", cfg, "--data", data, "--anchors", "keep", "--diff")
    assert code == 0, err
    assert "-classes=80" in out and "+classes=2" in out and "+anchors" not in out and "+mask" not in out
    assert "+filters=21" in out                                     # 3 x (2 + 5)
    code, _, err = run("adapt", cfg, "--anchors", "keep")
    assert code == 2 and "--data" in err
    code, _, err = run("adapt", cfg, "--data", data, "--classes", "3")
    assert code == 2 and "2 names" in err
    (tmp_path / "obj.names").write_text("a\n\nb\n")
    code, _, err = run("adapt", cfg, "--data", data)
    assert code == 2 and "line 2 is blank" in err and f"{data}:4:" in err



REGION = """[net]
batch=1
subdivisions=1
width=64
height=64
channels=3
max_batches = 500200
policy=steps
steps=400000,450000
scales=.1,.1

[convolutional]
filters=8
size=3
stride=2
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[maxpool]
size=2
stride=2

[maxpool]
size=2
stride=2

[maxpool]
size=2
stride=2

[convolutional]
size=1
stride=1
pad=1
filters=425
activation=linear

[region]
anchors =  0.57273, 0.677385, 1.87446, 2.06253, 3.33843, 5.47434, 7.88282, 3.52778, 9.77052, 9.16828
bias_match=1
classes=80
coords=4
num=5
"""


def test_region_anchors_in_grid_cells(tmp_path):
    # YOLOv2: anchors in cells of the [region] grid (stride 32: 2x2 at 64x64, 13x13 at 416x416), all used
    rel = synthetic_rel(150, 10)
    data = dataset_from_rel(tmp_path, rel)
    cfg = tmp_path / "v2.cfg"
    cfg.write_text(REGION)
    code, out, err = run("anchors", data, "--cfg", cfg, "--size", "416", "--format", "json")
    assert code == 0, err
    r = json.loads(out)
    assert r["units"] == "cells" and r["scale"] == [13, 13] and "masks" not in r and r["num"] == 5
    cells = boxes_from_relative(rel, 13, 13)
    assert r["avg_iou_printed"] == f"{avg_iou_loop(cells, np.array(r['anchors'], np.float32)):.2f}"
    assert all(v == round(v, 4) for pair in r["anchors"] for v in pair)     # darknet's %2.4f below 32
    out_cfg = tmp_path / "obj.cfg"
    code, _, err = run("adapt", cfg, "--data", data, "--size", "416", "-o", out_cfg)
    assert code == 0, err
    text = out_cfg.read_text()
    assert "filters=40" in text and "classes=3" in text                     # 5 x (3 + 4 + 1)
    assert re.search(r"^anchors =  (.*)$", text, re.M).group(1).replace(" ", "") == \
        r["anchors_text"].replace(" ", "")


@needs_shared
@pytest.mark.parametrize("name, strides", [("yolov3-tiny.cfg", [32, 16]), ("yolov4-custom.cfg", [8, 16, 32])])
def test_adapt_data_on_real_cfgs(tmp_path, name, strides):
    data = dataset_from_rel(tmp_path, synthetic_rel(400, 9), names=("a", "b"))
    report = json.loads(run("anchors", data, "--cfg", CORPUS / name, "--format", "json")[1])
    assert [m["stride"] for m in report["masks"]] == strides
    # the coarser the head, the larger its anchors (YOLOv3's coarse head comes first)
    by_stride = sorted(report["masks"], key=lambda m: m["stride"])
    areas = [[a[0] * a[1] for a in m["anchors"]] for m in by_stride if m["mask"]]
    assert all(max(a) <= min(b) for a, b in zip(areas, areas[1:]))
    out = tmp_path / "obj.cfg"
    code, said, err = run("adapt", CORPUS / name, "--data", data, "-o", out)
    assert code == 0, err
    text = out.read_text()
    written = [re.sub(r"\s", "", v) for v in re.findall(r"^anchors\s*=\s*(.*)$", text, re.M)]
    masks = [re.sub(r"\s", "", v) for v in re.findall(r"^mask\s*=\s*(.*)$", text, re.M)]
    if all(m["mask"] for m in report["masks"]):
        assert written == [report["anchors_text"].replace(" ", "")] * len(strides)
        assert masks == [",".join(map(str, m["mask"])) for m in report["masks"]]
    else:                                        # a head would get none: the cfg's anchors stay
        assert "anchors and masks left alone" in said
    assert text.count("classes=2") == len(strides)
