"""cfggen's shape inference against darknet's own parser, layer by layer (../shared/golden).

Acceptance of the foundation issue: for every corpus cfg darknet parsed (`status: ok`), every layer's
output shape, `outputs`, trainable parameters, weights-file floats and BFLOPs, and the printed total,
equal what darknet computed. For the files darknet aborts or crashes on, cfggen reports an error at
the layer darknet failed on, or explains the crash.
"""
from __future__ import annotations

import csv
import json

import pytest

from cfggen.cfg import read_file
from cfggen.ir.build import infer, plan
from cfggen.ir.cnum import f32
from cfggen.lint.engine import analyze

from conftest import CORPUS, GOLDEN, GOLDEN_SIZES, corpus_files, golden_name, needs_shared

pytestmark = needs_shared


def _golden(path):
    return json.loads((GOLDEN / golden_name(path)).read_text())


def _ok_files():
    return [p for p in corpus_files() if _golden(p)["status"] == "ok"]


def _failing_files():
    return [p for p in corpus_files() if _golden(p)["status"] != "ok"]


def test_golden_status_counts():
    assert (len(_ok_files()), len(_failing_files())) == (86, 9)


@pytest.mark.parametrize("path", _ok_files() if CORPUS.is_dir() else [], ids=lambda p: p.name)
def test_every_layer_matches_darknet(path):
    g = _golden(path)
    net, _ = infer(plan(read_file(str(path))))
    assert len(net.layers) == len(g["layers"])
    for mine, theirs in zip(net.layers, g["layers"]):
        where = f"layer {mine.index} ({theirs['section']} at line {theirs['section_line']})"
        assert mine.type == theirs["type"], where
        assert mine.line == theirs["section_line"], where
        assert tuple(mine.input) == (theirs["in_w"], theirs["in_h"], theirs["in_c"]), where
        assert mine.inputs == theirs["in_inputs"], where
        if (theirs["out_w"], theirs["out_h"], theirs["out_c"]) != (0, 0, 0) or mine.output != (0, 0, 0):
            assert tuple(mine.output) == (theirs["out_w"], theirs["out_h"], theirs["out_c"]), where
        assert tuple(mine.next) == (theirs["next_w"], theirs["next_h"], theirs["next_c"]), where
        assert mine.outputs == theirs["outputs"], where
        assert mine.params.trainable == theirs["params"]["trainable"], where
        assert mine.params.file_floats == theirs["params"]["weights_file_floats"], where
        assert mine.bflops == f32(theirs["bflops"]), where
    t = g["totals"]
    assert net.totals.bflops_printed == t["total_bflops_printed"]
    assert net.totals.bflops == f32(t["total_bflops"])
    assert net.totals.params == t["total_params"]
    assert net.totals.weights_file_floats == t["weights_file_floats"]


@pytest.mark.parametrize("path", _ok_files() if CORPUS.is_dir() else [], ids=lambda p: p.name)
def test_darknet_shortcut_messages_are_reported(path):
    from cfggen.lint.group import places
    """Each channel mismatch darknet prints is a DN202 finding at that layer, and nothing else errs in shape."""
    g = _golden(path)
    printed = sorted({m["layer"] for m in g["messages"] if m["kind"] == "shortcut_size_mismatch"})
    a = analyze(read_file(str(path)), "native")
    assert sorted({layer for d in a.findings if d.code == "DN202" for _, layer in places(d)}) == printed
    assert not [d for d in a.findings if d.code in ("DN201", "DN203", "DN204", "DN205", "DN209", "DN211", "DN301")]


@pytest.mark.parametrize("path", _failing_files() if CORPUS.is_dir() else [], ids=lambda p: p.name)
def test_files_darknet_fails_on(path):
    g = _golden(path)
    a = analyze(read_file(str(path)), "native")
    if g["status"] == "error":
        # darknet aborted on an assertion at this layer: cfggen's first error names it
        errors = [d for d in a.findings if d.severity == "error" and d.code != "DN202"]
        assert errors and min(d.layer for d in errors) == g["last_layer_started"]
        assert errors[0].code == "DN201"
    else:
        # SIGFPE after parsing a network without any spatial layer: explained as a darknet bug
        assert g["status_detail"] == "signal SIGFPE"
        assert [d.code for d in a.findings] == ["DN218"]
        assert "darknet bug" in a.findings[0].message


def _sweep_rows():
    path = GOLDEN_SIZES / "sweep_256_704_step1.tsv"
    if not path.is_file():
        return []
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_enet_coco_at_every_size_from_256_to_704():
    """darknet re-parsed enet-coco.cfg at each of 449 input sizes; cfggen must agree on every one."""
    rows = _sweep_rows()
    assert len(rows) == 449
    p = plan(read_file(str(CORPUS / "enet-coco.cfg")))
    for row in rows:
        size = int(row["size"])
        net, found = infer(p, (size, size))
        spatial = [d for d in found if d.code == "DN201"]
        if row["status"] == "ok":
            assert not spatial, size
            assert net.totals.bflops_printed.strip() == row["total_bflops"], size
        else:
            assert spatial and spatial[0].layer == int(row["last_layer_started"]), size


@pytest.mark.parametrize("size", [272, 320, 352, 384, 416, 448, 480, 512, 528, 544, 576, 608])
def test_enet_coco_size_goldens_layer_by_layer(size):
    g = json.loads((GOLDEN_SIZES / f"enet-coco_{size}.json").read_text())
    net, found = infer(plan(read_file(str(CORPUS / "enet-coco.cfg"))), (size, size))
    if g["status"] != "ok":
        assert [d.layer for d in found if d.code == "DN201"][0] == g["last_layer_started"]
        return
    for mine, theirs in zip(net.layers, g["layers"]):
        assert (tuple(mine.output), mine.outputs) == ((theirs["out_w"], theirs["out_h"], theirs["out_c"]),
                                                      theirs["outputs"]), mine.index
    assert net.totals.bflops_printed == g["totals"]["total_bflops_printed"]
