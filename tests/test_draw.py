"""``cfggen draw``: the SVG parsed as XML and checked against the network it draws.

For every cfg: every layer is in exactly one box (its own or its block's), every edge darknet's
wiring implies between two boxes is there, no two boxes overlap, edges point down, and every finding
is marked on the box holding its layer (and nothing else is marked). Plus golden SVG text for a small
cfg (``CFGGEN_UPDATE_GOLDEN=1 python -m pytest tests/test_draw.py`` rewrites it; review the diff),
the README picture's drift test, the CLI's exit paths and the folding rules.
"""
from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cfggen.api import analyze_file, analyze_text
from cfggen.draw import Picture, draw
from cfggen.draw.blocks import _hinted, detect, inputs
from cfggen.draw.view import keys
from cfggen.findings import SEVERITY_RANK
from cfggen.ir.layers import BY_TYPE
from tests.conftest import CORPUS, REPO, corpus_files, needs_shared, run_cli
from tests.synthetic_cfgs import chain

NS = "{http://www.w3.org/2000/svg}"
DATA = REPO / "tests" / "data" / "draw"
GOLDEN = REPO / "tests" / "golden" / "draw"
GENERATED = sorted((REPO / "generated_cfgs").glob("*.cfg"))
UPDATE = os.environ.get("CFGGEN_UPDATE_GOLDEN") == "1"


def parse_svg(text: str):
    """(nodes: id -> dict, edges: set of (src, dst), root)."""
    root = ET.fromstring(text)
    nodes = {}
    for g in root.iter(NS + "g"):
        cls = g.get("class", "").split()
        if "node" not in cls:
            continue
        box = next(r for r in g.findall(NS + "rect") if r.get("class") == "box")
        badge = [b for b in g.findall(NS + "g") if "badge" in b.get("class", "")]
        nodes[g.get("id")] = {
            "first": int(g.get("data-first")), "last": int(g.get("data-last")), "class": cls,
            "x": int(box.get("x")), "y": int(box.get("y")), "w": int(box.get("width")), "h": int(box.get("height")),
            "title": g.find(NS + "title").text or "", "badge": badge[0].find(NS + "title").text if badge else None}
    edges = {}
    for p in root.iter(NS + "path"):
        if "edge" in p.get("class", "").split():
            edges[(p.get("data-src"), p.get("data-dst"))] = p
    return nodes, edges, root


def check_picture(analysis, text: str) -> dict:
    """The invariants every picture holds; returns the parsed nodes."""
    nodes, edges, _ = parse_svg(text)
    layers = analysis.network.layers
    owner = {}
    for nid, n in nodes.items():
        if nid == "input":
            continue
        for i in range(n["first"], n["last"] + 1):
            assert i not in owner, f"layer {i} is in {owner.get(i)} and {nid}"
            owner[i] = nid
    assert sorted(owner) == list(range(len(layers))), "every layer is in exactly one box"
    for layer in layers:
        for r in inputs(layer):
            if r >= len(layers) or (r < 0 and r in layer.refs):   # a reference outside the network
                continue
            src = "input" if r < 0 else owner[r]
            dst = owner[layer.index]
            if src != dst:
                assert (src, dst) in edges, f"edge {src} -> {dst} (layer {r} -> {layer.index}) is missing"
    # no two boxes overlap: sweep by y
    boxes = sorted(nodes.values(), key=lambda n: n["y"])
    active: list[dict] = []
    for b in boxes:
        active = [a for a in active if a["y"] + a["h"] > b["y"]]
        for a in active:
            assert a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"], f"boxes overlap: {a} {b}"
        active.append(b)
    for (src, dst), path in edges.items():
        if "back" not in path.get("class"):
            assert nodes[dst]["y"] > nodes[src]["y"], f"edge {src} -> {dst} points up"
    # findings: on the box holding their layer, the worst severity shown; unmarked boxes have no badge
    expect: dict[str, list] = {}
    for d in analysis.findings:
        for layer in {d.layer, *(i for _, i in (d.extra or {}).get("same", ()))} - {None}:
            if layer in owner:
                expect.setdefault(owner[layer], []).append(d)
    for nid, n in nodes.items():
        found = expect.get(nid, [])
        if not found:
            assert n["badge"] is None, f"{nid} has a badge but no finding"
            assert not {"error", "warning", "info"} & set(n["class"]), nid
            continue
        worst = max((d.severity for d in found), key=SEVERITY_RANK.__getitem__)
        assert worst in n["class"], f"{nid} should show {worst}"
        for d in found:
            assert d.code in n["badge"] and d.code in n["title"], f"{d.code} not on {nid}"
    return nodes


# ---------------------------------------------------------------------------------------------
# the corpus, the generated cfgs, a 10,000-layer chain

def _both(path: Path):
    analysis = analyze_file(str(path))
    if analysis.network is None or not analysis.network.layers:
        pytest.skip("darknet cannot build it: draw reports it (exit 2)")
    pic = Picture(analysis)
    folded = check_picture(analysis, pic.svg("auto"))
    flat = check_picture(analysis, pic.svg("none"))
    assert len(flat) == len(analysis.network.layers) + 1
    assert len(folded) <= len(flat)
    return analysis, folded


@needs_shared
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus(path):
    _both(path)


@pytest.mark.parametrize("path", GENERATED, ids=lambda p: p.name)
def test_generated(path):
    analysis, folded = _both(path)
    # the generator's block comments fold: each MBConv block is one box or inside a run of identical ones
    spans = _hinted(analysis.network.layers, analysis.doc.comments)
    assert spans and spans[0][2].startswith("stage 1 block 1:")
    for first, last, label in spans:
        holder = next(n for n in folded.values() if n["first"] <= first <= n["last"])
        assert "block" in holder["class"] and holder["last"] >= last, (label, holder)
        assert label in holder["title"] or " x" in holder["title"].split("\n")[0] or "identical" in holder["title"]


def test_10k_chain():
    """Invariants only (time and size: bench/bench_draw.py)."""
    analysis = analyze_text(chain(10_000), "chain.cfg", "native")
    assert len(analysis.network.layers) == 10_000
    pic = Picture(analysis)
    flat = check_picture(analysis, pic.svg("none"))
    assert len(flat) == 10_001
    folded = check_picture(analysis, pic.svg("auto"))
    assert len(folded) < len(flat)


# ---------------------------------------------------------------------------------------------
# what the boxes say

def test_keys_are_what_differs_from_layers_defaults():
    a = analyze_text("[net]\nwidth=32\nheight=32\nchannels=3\n\n[convolutional]\nfilters=1\nsize=3\nstride=1\n"
                     "activation=logistic\n\n[convolutional]\nfilters=8\nsize=3\npad=1\nactivation=mish\n\n"
                     "[shortcut]\nfrom=-2\n", "k.cfg", "native")
    first, second, short = a.network.layers
    assert keys(first) == ["size=3", "act=logistic"]     # defaults hidden, the activation always shown
    assert keys(second) == ["filters=8", "size=3", "pad=1", "act=mish"]
    assert keys(short) == ["act=linear"]                 # from= is an edge, not a key
    for layer in a.network.layers:
        spec = BY_TYPE[layer.type]
        for item in keys(layer):
            key, _, value = item.partition("=")
            key = {"act": "activation", "bn": "batch_normalize"}.get(key, key)
            assert key == "activation" or str(spec.defaults[key]) != value


def test_route_slice_and_heads():
    a = analyze_file(str(DATA / "small.cfg"))
    nodes, edges, root = parse_svg(draw(a, collapse="none"))
    assert "reads layers 1 ch 16:32" in nodes["L2"]["title"]
    assert "head" in nodes["L15"]["class"] and "head" in nodes["L21"]["class"]
    labels = [t.text for t in root.iter(NS + "text") if t.get("class") == "elabel"]
    assert "ch 16:32" in labels and "32x32x32" in labels


def test_folding_never_hides_an_error():
    text = (DATA / "small.cfg").read_text().replace("size=3\npad=1\nactivation=leaky\n\n[shortcut]\nfrom=-3",
                                                     "size=3\npad=1\ngroups=3\nactivation=leaky\n\n[shortcut]\nfrom=-3", 1)
    a = analyze_text(text, "err.cfg")
    assert any(d.code == "DN212" and d.layer == 7 for d in a.findings)
    nodes = check_picture(a, draw(a))
    holder = next(n for n in nodes.values() if n["first"] <= 7 <= n["last"])
    assert holder["first"] < 7 and "block" in holder["class"]     # folded ...
    assert "error" in holder["class"] and "DN212" in holder["badge"]   # ... and still marked


@needs_shared
def test_enet_coco_findings_visible():
    a = analyze_file(str(CORPUS / "enet-coco.cfg"))
    nodes, _, root = parse_svg(draw(a))
    assert "DN202" in nodes["L140"]["badge"] and "DN202" in nodes["L143"]["badge"]
    assert "DN304" in nodes["L145"]["badge"] and "warning" in nodes["L145"]["class"]
    legend = " ".join(t.text or "" for t in root.iter(NS + "text"))
    assert "DN202 warning layer 140" in legend and "DN304 warning layer 145" in legend


def test_blocks_residual_csp_runs():
    a = analyze_file(str(DATA / "small.cfg"))
    found = detect(a.network.layers, a.doc)
    spans = [(b.first, b.last, b.label, b.count) for b in found]
    assert (2, 4, "CSP", 1) in spans
    assert (6, 11, "residual", 2) in spans           # two identical residual units -> one "x2"
    assert all(not (b.first <= 15 <= b.last or b.first <= 21 <= b.last) for b in found)   # heads stay


def test_profile_fill_and_shares():
    from cfggen.profile.devices import resolve
    a = analyze_file(str(DATA / "small.cfg"))
    pic = Picture(a, resolve("t4"))
    nodes, _, root = parse_svg(pic.svg("none"))
    fills = [r.get("style") for r in root.iter(NS + "rect") if r.get("class") == "box"]
    assert sum(1 for f in fills if f and f.startswith("fill:#")) == len(a.network.layers)
    total = sum(t for t, _ in pic.shares)
    assert abs(total - 1) < 1e-9
    legend = " ".join(t.text or "" for t in root.iter(NS + "text"))
    assert "estimated time share on t4" in legend and "FLOP share" in legend


def test_deterministic():
    a = analyze_file(str(DATA / "small.cfg"))
    assert draw(a) == draw(analyze_file(str(DATA / "small.cfg")))


# ---------------------------------------------------------------------------------------------
# golden text and the README picture

@pytest.mark.parametrize("collapse", ["auto", "none"])
def test_golden_svg(collapse):
    a = analyze_file(str(DATA / "small.cfg"))
    text = draw(a, collapse=collapse).replace(str(DATA), "")
    path = GOLDEN / f"small-{collapse}.svg"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.read_text() == text, "the SVG changed: CFGGEN_UPDATE_GOLDEN=1 rewrites it (review the diff)"


def test_html_is_self_contained():
    a = analyze_file(str(DATA / "small.cfg"))
    page = draw(a, "html")
    assert page.startswith("<!DOCTYPE html>") and "<script>" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page and "@import" not in page
    assert not re.search(r"(?<![-\w])(src|href)=", page)                # nothing loaded from anywhere
    assert set(re.findall(r"url\(([^)]*)\)", page)) == {"#arrow"}      # the one reference: a local marker


def test_html_holds_every_box_and_the_block_tree():
    """The page's data (its script lays out any set of open blocks): a box for every layer and every
    block, nested ones included, each a <g class="node"> of its own size at the origin; the block tree."""
    a = analyze_file(str(DATA / "small.cfg"))
    page = draw(a, "html")
    data = json.loads(re.search(r"var DATA = (.*);\n", page).group(1))
    pic = Picture(a)
    want = {"input", *(f"L{i}" for i in range(len(a.network.layers)))}

    def walk(blocks, tree):
        assert [t[:3] for t in tree] == [[b.id, b.first, b.last] for b in blocks]
        for b, t in zip(blocks, tree):
            want.add(b.id)
            walk(b.children, t[3])
    walk(pic.blocks, data["tree"])
    assert any(t[3] for t in data["tree"]), "small.cfg has a nested block"
    assert set(data["units"]) == want
    for uid, (first, last, w, h, folded, svg) in data["units"].items():
        g = ET.fromstring(f'<svg xmlns="http://www.w3.org/2000/svg">{svg}</svg>')[0]
        box = next(r for r in g.iter(NS + "rect") if r.get("class") == "box")
        assert (g.get("id"), int(g.get("data-first")), int(g.get("data-last"))) == (uid, first, last)
        assert [box.get(k) for k in ("x", "y", "width", "height")] == ["0", "0", str(w), str(h)]
        assert folded == uid.startswith("B") == ("block" in g.get("class").split())
    layers = a.network.layers
    assert [row[:2] for row in data["layers"]] == [[layer.type == "route", list(layer.refs)] for layer in layers]


@needs_shared
def test_readme_picture_is_current():
    """docs/yolov4-tiny.svg is what `cfggen draw` draws (README: Draw)."""
    path = CORPUS / "yolov4-tiny.cfg"
    code, out, err = run_cli("draw", path)
    assert code == 0, err
    assert (REPO / "docs" / "yolov4-tiny.svg").read_text() == out, \
        "regenerate: cfggen draw ../shared/corpus/darknet/yolov4-tiny.cfg -o docs/yolov4-tiny.svg"


# ---------------------------------------------------------------------------------------------
# the command line

def test_cli_writes_svg_and_html(tmp_path):
    out = tmp_path / "net.svg"
    code, _, err = run_cli("draw", DATA / "small.cfg", "-o", out)
    assert code == 0 and f"wrote {out}" in err
    parse_svg(out.read_text())
    code, _, err = run_cli("draw", DATA / "small.cfg", "-o", tmp_path / "net.html", "--collapse", "none")
    assert code == 0 and (tmp_path / "net.html").read_text().startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.html", "net.svg"]   # no temp file left


def test_cli_size_changes_shapes():
    code, out, _ = run_cli("draw", DATA / "small.cfg", "--size", "256x256", "--collapse", "none")
    assert code == 0 and "→ 128x128x16" in out and "256x256x3" in out


@pytest.mark.parametrize("args, message", [
    (["draw", "missing.cfg"], "missing.cfg: error: no such file"),
    (["draw", "{data}", "-o", "net.png"], "the output must end in .svg or .html"),
    (["draw", "{data}", "--profile", "nosuchgpu"], "unknown device 'nosuchgpu'"),
    (["draw", "{dir}"], "is a directory"),
    (["draw", "{empty}"], "error:"),
])
def test_cli_bad_input(tmp_path, monkeypatch, args, message):
    empty = tmp_path / "empty.cfg"
    empty.write_text("# nothing\n")
    args = [a.format(data=DATA / "small.cfg", dir=tmp_path, empty=empty) for a in args]
    monkeypatch.chdir(tmp_path)      # restored after the test: its folder is removed when it passes
    code, out, err = run_cli(*args)
    assert code == 2, (out, err)
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not any(p.suffix in (".svg", ".png", ".tmp") for p in tmp_path.iterdir())


def test_cli_failed_write_keeps_old_file(tmp_path):
    out = tmp_path / "net.svg"
    out.write_text("old")
    code, _, err = run_cli("draw", tmp_path / "missing.cfg", "-o", out)
    assert code == 2 and out.read_text() == "old"


def test_unsizable_layer_is_drawn_with_a_question_mark():
    """A layer darknet cannot size is a box with '?' and its finding, never an aborted picture."""
    a = analyze_text("[net]\nwidth=32\nheight=32\nchannels=3\n\n[convolutional]\nfilters=8\nsize=3\n\n"
                     "[shortcut]\nfrom=-7\n\n[convolutional]\nfilters=8\n", "broken.cfg")
    assert a.network.layers[1].broken
    nodes = check_picture(a, draw(a, collapse="none"))
    assert "output ?" in nodes["L1"]["title"] and "output ?" in nodes["L2"]["title"]
    assert "error" in nodes["L1"]["class"] and nodes["L1"]["badge"]
