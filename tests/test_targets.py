"""validate --target: what hank-ai V5, pjreddie and OpenCV 4.14 do with each cfg (../shared/golden/dialects).

Acceptance of issue 10: for every corpus and generated cfg and every reader, cfggen's predicted status
equals the reader's (a crash may be predicted as an error only when cfggen names it a reader bug), the
first error is at the line the reader names, and for accepted files the per-layer output shapes (for
OpenCV: the forward outputs' flat sizes) equal the reader's.
"""
from __future__ import annotations

import difflib
import json
from collections import Counter
from pathlib import Path

import pytest

from cfggen.cfg.parse import parse, parse_bytes, read_file
from cfggen.targets import check
from cfggen.targets.port import port_to_hank

from conftest import CORPUS, REPO, SHARED, corpus_files, golden_name, run_cli

DIALECTS = SHARED / "golden" / "dialects"
GENERATED = REPO / "generated_cfgs"
READERS = ("hank-ai", "pjreddie", "opencv")

needs_dialects = pytest.mark.skipif(not DIALECTS.is_dir(), reason=f"no dialect goldens at {DIALECTS}")


def _cases() -> list[tuple[Path, str]]:
    if not DIALECTS.is_dir():
        return []
    cases = [(p, golden_name(p)) for p in corpus_files()]
    # the dialect goldens cover the generated cfgs that existed when they were recorded (39 files);
    # cfgs of newer generator families have no reader oracle yet
    cases += [(p, f"generated__{p.name}.json") for p in sorted(GENERATED.glob("*.cfg"))
              if (DIALECTS / "hank-ai" / f"generated__{p.name}.json").is_file()]
    return cases


_VERDICTS: dict[str, dict] = {}


def _verdicts(path: Path) -> dict:
    key = str(path)
    if key not in _VERDICTS:
        _VERDICTS[key] = check(read_file(key), ["all"])
    return _VERDICTS[key]


def _golden(reader: str, name: str) -> dict:
    return json.loads((DIALECTS / reader / name).read_text())


def _flat(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


@needs_dialects
@pytest.mark.parametrize("path,name", _cases(), ids=lambda x: x.name if isinstance(x, Path) else "")
def test_every_reader_agrees(path, name):
    verdicts = _verdicts(path)
    for reader in READERS:
        g, v = _golden(reader, name), verdicts[reader]
        where = f"{reader} on {name}: golden {g['status']} ({g.get('error_message')}), cfggen {v.status} " \
                f"({v.reason.message if v.reason else ''})"
        if g["status"] == "crash" and v.status == "error":
            assert v.extra.get("reader_bug"), where
        else:
            assert v.status == g["status"], where
        if g["status"] != "ok":
            assert v.reason is not None and v.reason.severity == "error", where
            assert v.reason.code.startswith({"hank-ai": "HK", "pjreddie": "PJ", "opencv": "CV"}[reader]), where
            if g.get("error_line"):
                assert v.reason.line == g["error_line"], where
            continue
        if reader == "opencv":
            # loads, but forward() fails: predicted as a CV401 warning exactly there
            assert any(d.code == "CV401" for d in v.findings) == (g["forward_status"] != "ok"), where
            if g.get("outputs"):
                assert sorted(_flat(o["shape"]) for o in g["outputs"]) == sorted(n for _, n in v.outputs), where
            continue
        assert len(v.layers) == len(g["layers"]), where
        for mine, theirs in zip(v.layers, g["layers"]):
            assert (tuple(mine.output), mine.outputs) == ((theirs["out_w"], theirs["out_h"], theirs["out_c"]),
                                                          theirs["outputs"]), f"{where}: layer {mine.index}"
            assert mine.section.line == theirs["section_line"], where


@needs_dialects
def test_agreement_counts():
    """The per-reader status counts equal the README's table (corpus and generated)."""
    want: Counter = Counter()
    got: Counter = Counter()
    for path, name in _cases():
        verdicts = _verdicts(path)
        group = "generated" if name.startswith("generated__") else "corpus"
        for reader in READERS:
            want[(group, reader, _golden(reader, name)["status"])] += 1
            got[(group, reader, verdicts[reader].status)] += 1
    assert got == want
    assert want[("corpus", "hank-ai", "ok")] == 48 and want[("corpus", "opencv", "error")] == 22


@needs_dialects
def test_differences_are_named():
    """Where pjreddie loads a file but builds something else, a finding says so at the layer."""
    v = _verdicts(CORPUS / "yolov4-tiny.cfg")["pjreddie"]
    assert v.status == "ok"
    diff = [d for d in v.findings if d.code == "PJ404"]
    assert diff and diff[0].layer == 3 and "104x104x64" in diff[0].message
    assert any(d.code == "PJ403" and "groups=" in d.message for d in v.findings)
    mish = _verdicts(CORPUS / "yolov4.cfg")["pjreddie"]
    assert [d.code for d in mish.findings if "mish" in d.message] == ["PJ402"]


def test_alexeyab_target_matches_darknet_golden():
    if not CORPUS.is_dir():
        pytest.skip("no corpus")
    statuses = Counter()
    for path in corpus_files():
        g = json.loads((SHARED / "golden" / "darknet" / golden_name(path)).read_text())
        v = _verdicts(path)["alexeyab"]
        assert v.status == g["status"], path.name
        statuses[v.status] += 1
    assert statuses == Counter({"ok": 86, "error": 4, "crash": 5})


# ------------------------------------------------------------------------------------------------
# the readers' rules on small files

NET = "[net]\nwidth=64\nheight=64\nchannels=3\n"
CONV = "[convolutional]\nfilters=8\nsize=3\nstride=1\npad=1\nactivation=leaky\n"


def _one(text: str, reader: str):
    return check(parse(text, "t.cfg"), [reader])[reader]


def test_pjreddie_reads_crlf_files_as_no_net_section():
    v = _one((NET + CONV).replace("\n", "\r\n"), "pjreddie")
    assert (v.status, v.reason.code, v.reason.line) == ("error", "PJ101", 1)
    assert "CRLF" in v.reason.hint
    assert _one(NET + CONV, "pjreddie").status == "ok"


def test_pjreddie_crashes_on_an_option_before_any_section():
    for text in ("batch=1\n" + NET + CONV, "batch=\n" + NET + CONV, "\ufeff" + NET + CONV):
        v = _one(text, "pjreddie")
        assert (v.status, v.reason.code, v.reason.line) == ("crash", "PJ102", 1), text


def test_pjreddie_blank_layer_then_convolution_exits():
    v = _one(NET + CONV + "[scale_channels]\nfrom=-1\n" + CONV, "pjreddie")
    assert (v.status, v.reason.code, v.reason.line) == ("error", "PJ201", 13)


def test_hank_number_forms_duplicates_and_unused_keys():
    v = _one(NET + "decay=4e-5\n" + CONV, "hank-ai")
    assert (v.status, v.reason.code, v.reason.line) == ("error", "HK105", 5)
    v = _one(NET + "width=64\n" + CONV, "hank-ai")
    assert (v.status, v.reason.code, v.reason.line) == ("error", "HK103", 5)
    # unused keys are found in key order (a std::map), not line order
    v = _one(NET + "zzz=1\nmax_crop=3\n" + CONV, "hank-ai")
    assert (v.status, v.reason.code, v.reason.line) == ("error", "HK106", 6)
    assert _one(NET + "decay=0.00004\n" + CONV, "hank-ai").status == "ok"


def test_hank_yolo_networks_need_multiples_of_32():
    head = "[convolutional]\nfilters=18\nsize=1\nactivation=linear\n[yolo]\nmask=0,1,2\nanchors=1,1,2,2,3,3\nnum=3\nclasses=1\n"
    assert _one(NET + CONV + head, "hank-ai").status == "ok"
    v = _one(NET.replace("width=64", "width=80") + CONV + head, "hank-ai")
    assert (v.status, v.reason.code) == ("error", "HK202")


def test_hank_counters_per_class_must_match_classes():
    head = ("[convolutional]\nfilters=18\nsize=1\nactivation=linear\n[yolo]\nmask=0,1,2\nanchors=1,1,2,2,3,3\nnum=3\n"
            "classes=1\ncounters_per_class=5,6\n")
    v = _one(NET + CONV + head, "hank-ai")
    assert (v.status, v.reason.code, v.reason.line) == ("error", "HK201", 20)


def test_opencv_rules():
    v = _one(NET + CONV.replace("leaky", "relu6"), "opencv")
    assert (v.status, v.reason.code, v.reason.line) == ("error", "CV102", 10)
    v = _one(NET + CONV + "oops\n", "opencv")
    assert (v.status, v.reason.code, v.reason.line) == ("error", "CV103", 11)
    # the last duplicate wins: filters=4 here
    v = _one(NET + CONV + "filters=4\n", "opencv")
    assert v.status == "ok" and v.layers[0].output.c == 4
    v = _one(NET + "[network]\n" + CONV, "opencv")
    assert (v.status, v.reason.code) == ("error", "CV101")


def test_binary_free_text_is_read_by_each_reader():
    doc = parse_bytes(b"[net]\nwidth=32\nheight=32\nchannels=3\n[maxpool]\nsize=2\nstride=2\n", "t.cfg")
    verdicts = check(doc, ["all"])
    assert {n: v.status for n, v in verdicts.items()} == {"alexeyab": "ok", "hank-ai": "ok", "pjreddie": "ok",
                                                          "opencv": "ok"}


# ------------------------------------------------------------------------------------------------
# --fix --target hank-ai

def _hank_stops(text: str, path: str):
    v = check(parse(text, path), ["hank-ai"])["hank-ai"]
    return v.reason


@needs_dialects
@pytest.mark.parametrize("path", [p for p in corpus_files() if DIALECTS.is_dir()], ids=lambda p: p.name)
def test_port_to_hank(path):
    verdicts = _verdicts(path)
    if verdicts["alexeyab"].status != "ok":
        pytest.skip("AlexeyAB does not load it")
    doc = read_file(str(path))
    port = port_to_hank(doc)
    assert port.refused is None
    after = check(parse(port.text, str(path)), ["alexeyab", "hank-ai"])
    # AlexeyAB's layer table is unchanged
    rows = lambda v: [(L.type, tuple(L.input), tuple(L.output), L.outputs, L.params) for L in v.layers]  # noqa: E731
    assert rows(after["alexeyab"]) == rows(verdicts["alexeyab"])
    if not port.blockers:
        assert after["hank-ai"].status == "ok", after["hank-ai"].reason
    # the diff touches exactly the lines hank-ai stops at, one after the other
    text, stopped = doc.text, set()
    for _ in range(len(port.edits) + 1):
        reason = _hank_stops(text, str(path))
        if reason is None or reason.code not in ("HK103", "HK105", "HK106") or reason.line not in port.edits:
            break
        stopped.add(reason.line)
        lines = text.split("\n")
        lines[reason.line - 1] = port.edits[reason.line] if port.edits[reason.line] is not None else "#"
        text = "\n".join(lines)
    assert stopped == set(port.edits)
    a, b = doc.text.split("\n"), port.text.split("\n")
    changed = set()
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        assert op != "insert", (i1, b[j1:j2])
        if op != "equal":
            changed.update(range(i1 + 1, i2 + 1))
    assert changed <= set(port.edits)
    assert len(a) - len(b) == sum(v is None for v in port.edits.values())


def test_port_writes_numbers_in_plain_decimal(tmp_path):
    cfg = tmp_path / "a.cfg"
    cfg.write_text(NET + "decay=4e-5\nmax_crop=99\n" + CONV)
    code, out, err = run_cli("validate", "--diff", "--target", "hank-ai", cfg)
    assert code == 1
    assert "-decay=4e-5\n" in out and "+decay=0.00004\n" in out and "-max_crop=99\n" in out
    assert cfg.read_text().count("4e-5") == 1            # --diff writes nothing
    code, out, err = run_cli("validate", "--fix", "--target", "hank-ai", "--format", "json", cfg)
    assert code == 0, out + err
    assert json.loads(out)["files"][0]["targets"]["hank-ai"]["status"] == "ok"
    assert "decay=0.00004" in cfg.read_text() and "max_crop" not in cfg.read_text()


def test_port_reports_what_cannot_be_ported(tmp_path):
    cfg = tmp_path / "a.cfg"
    cfg.write_text(NET + CONV + "[reorg]\nstride=2\n")
    code, out, err = run_cli("validate", "--fix", "--target", "hank-ai", cfg)
    assert code == 1
    assert "cannot port: hank-ai has no [reorg] layer" in out
    assert "hank-ai: error" in out


# ------------------------------------------------------------------------------------------------
# the command line

def test_cli_verdict_lines_and_exit_codes(tmp_path):
    cfg = tmp_path / "a.cfg"
    cfg.write_text(NET + CONV)
    code, out, err = run_cli("validate", "--target", "all", cfg)
    assert code == 0, out + err
    lines = [line for line in out.splitlines() if line.startswith(f"{cfg}: ")]
    assert [line.split(": ")[1:3] for line in lines] == [["alexeyab", "ok (loads)"],
                                                           ["hank-ai", "ok (loads, same network as AlexeyAB)"],
                                                           ["pjreddie", "ok (loads, same network as AlexeyAB)"],
                                                           ["opencv", "ok (loads, same network as AlexeyAB)"]]
    cfg.write_text(NET + CONV.replace("leaky", "relu6"))
    code, out, err = run_cli("validate", "--target", "opencv", "--target", "pjreddie", cfg)
    assert code == 1
    assert f"{cfg}: opencv: error: {cfg}:10:1: Unsupported activation: relu6 [CV102 unsupported-activation]" in out
    assert "pjreddie: ok (loads; 1 difference from AlexeyAB)" in out
    code, out, err = run_cli("validate", "--target", "hank-ai", cfg)
    assert code == 0 and "alexeyab:" not in out


def test_cli_json_targets(tmp_path):
    cfg = tmp_path / "a.cfg"
    cfg.write_text(NET + "max_crop=3\n" + CONV)
    code, out, err = run_cli("validate", "--target", "hank-ai", "--format", "json", cfg)
    assert code == 1
    t = json.loads(out)["files"][0]["targets"]
    assert list(t) == ["hank-ai"] and t["hank-ai"]["status"] == "error"
    f = t["hank-ai"]["findings"][0]
    assert (f["rule"], f["line"], f["column"], f["severity"]) == ("HK106", 5, 1, "error")
    code, out, err = run_cli("validate", "--format", "json", cfg)
    assert "targets" not in json.loads(out)["files"][0]          # the default output is unchanged


def test_cli_fix_needs_a_reader_with_rewrites(tmp_path):
    cfg = tmp_path / "a.cfg"
    cfg.write_text(NET + CONV)
    code, out, err = run_cli("validate", "--fix", "--target", "opencv", cfg)
    assert code == 2 and "only hank-ai has rewrites" in err


def test_port_diff_is_minimal_for_crlf_files():
    doc = parse((NET + "max_crop=3\n" + CONV).replace("\n", "\r\n"), "t.cfg")
    port = port_to_hank(doc)
    diff = list(difflib.unified_diff(doc.text.splitlines(True), port.text.splitlines(True)))
    assert [d for d in diff if d.startswith(("-", "+")) and not d.startswith(("---", "+++"))] == ["-max_crop=3\r\n"]


# ------------------------------------------------------------------------------------------------
# build and adapt

def test_build_for_opencv_swaps_relu6_with_a_note():
    code, out, err = run_cli("build", "lite0", "--target", "opencv")
    assert code == 0, err
    assert "activation=relu6" not in out and "activation=relu\n" in out
    assert "note: opencv has no relu6; building with activation=relu" in err
    assert check(parse(out, "lite0.cfg"), ["opencv"])["opencv"].status == "ok"
    assert "loads in: alexeyab, hank-ai, pjreddie, opencv" in err
    code, out, err = run_cli("build", "lite0", "--activation", "relu6", "--target", "opencv")
    assert code == 2 and "opencv does not support activation 'relu6'" in err


def test_build_for_pjreddie_refuses_se():
    code, out, err = run_cli("build", "b0", "--target", "pjreddie")
    assert code == 2 and out == ""
    assert "pjreddie/darknet has no [scale_channels] layer" in err and "--no-se" in err
    code, out, err = run_cli("build", "b0", "--no-se", "--target", "pjreddie")
    assert code == 0 and "[scale_channels]" not in out
    # swish is not a pjreddie activation: it loads, as ReLU
    assert "pjreddie (builds a different network)" in err


def test_adapt_says_where_the_output_loads(tmp_path):
    if not CORPUS.is_dir():
        pytest.skip("no corpus")
    code, out, err = run_cli("adapt", CORPUS / "yolov4-tiny.cfg", "--classes", "3")
    assert code == 0
    assert err.rstrip().splitlines()[-1] == "loads in: alexeyab, hank-ai, pjreddie (builds a different network), opencv"


# ------------------------------------------------------------------------------------------------
# the readers' views taken from cfggen's parse must equal their own line readers

EDGE_TEXTS = [
    "[net]\nwidth=1 # c\n", "[net]\n  [conv]\n", "[net]\nwidth = 1\nheight= 2 \n", "[net]\nwidth=1\nwidth=2\n",
    "x=1\n[net]\n", "[net]\n;a=1\n", "[net]\nfoo\nbar=\n", "[net]\na=1 2\n", "[yolo]x\n", "[net]\r\nw=1\r\n",
    "[net]\na=-\n", "[net] # x\nw=1\n", "[net]\nw=1#x\nw=2\n", "[net]\n#c\n a b=3\n", "; y=2\n[net]\n",
    "[net]\nw=1 #x\n[conv]\nq=2\n", "[net]\n=3\n[conv]\nk=\n", "[net]\n[yolo\nk=1\n", "k=\n[net]\n",
    "\ufeff[net]\nw=1\n",
]


def _proj(view):
    if isinstance(view, tuple) and view and view[0] == "stop":
        return view
    def secs(ss):
        return [(s.header, s.name, s.line, [(o.key, o.value, o.line, o.col) for o in s.options]) for s in ss]
    if isinstance(view, tuple):
        a, b = view
        return (sorted((k, o.value, o.line) for k, o in a.items()) if isinstance(a, dict) else secs(a),
                secs(b) if isinstance(b, list) and b and hasattr(b[0], "options") else [
                    (o.key, o.value, o.line, o.col) for o in b])
    return secs(view)


@pytest.mark.parametrize("reader", ["pjreddie", "opencv", "hank-ai"])
def test_views_from_the_parse_equal_the_readers_own(reader):
    from cfggen.targets import hankai, lines, opencv
    from cfggen.targets.model import Stop
    docs = [parse(t, "t.cfg") for t in EDGE_TEXTS] + [read_file(str(p)) for p in corpus_files()[:40]]
    for doc in docs:
        def view(d):
            try:
                if reader == "pjreddie":
                    return lines.pjreddie_sections(doc.text, d)
                if reader == "opencv":
                    return lines.opencv_sections(doc.text, opencv.CODES, d)
                return lines.hank_sections(doc.text, hankai.KNOWN, hankai.CODES, d)
            except Stop as stop:
                return ("stop", stop.code, stop.line, stop.message)
        assert _proj(view(doc)) == _proj(view(None)), doc.text[:60]


def test_cli_github_annotations_for_readers(tmp_path):
    cfg = tmp_path / "a.cfg"
    cfg.write_text(NET + "max_crop=3\n" + CONV)
    code, out, err = run_cli("validate", "--target", "hank-ai", "--format", "github", cfg)
    assert code == 1
    assert "::error file=" in out and "line=5,endLine=5,col=1" in out and "title=HK106 unused-key (hank-ai)" in out
    assert "::hank-ai: error: config line #5 from section [net] is unused or invalid: max_crop=3" in out


def test_alexeyab_verdict_ignores_rule_selection(tmp_path):
    if not CORPUS.is_dir():
        pytest.skip("no corpus")
    code, out, err = run_cli("validate", "--target", "alexeyab", "--select", "DN3", "--format", "json",
                             CORPUS / "resnet50.cfg")
    t = json.loads(out)["files"][0]["targets"]["alexeyab"]
    assert t["status"] == "error" and t["findings"][0]["rule"] == "DN201" and code == 1


def test_opencv_load_status_on_mutated_corpus_cfgs_matches_cv2(tmp_path):
    """The real reader is installed: mutated corpus cfgs (duplicate and unknown keys, comments, other
    activations and sections, zeros) must load in cfggen's prediction exactly when cv2 loads them."""
    cv2 = pytest.importorskip("cv2")
    import random
    files = corpus_files()
    if not files:
        pytest.skip("no corpus")
    rng = random.Random(10)
    acts = "leaky relu mish swish logistic linear tanh relu6 elu silu".split()
    agree = []
    for n in range(60):
        lines = rng.choice(files).read_text().split("\n")
        for _ in range(rng.randint(1, 3)):
            i, k = rng.randrange(len(lines)), rng.randrange(6)
            if k == 0:
                lines.insert(i, rng.choice(["foo=1", "# c", "bar", "stride_x=2", "dilation=2"]))
            elif k == 1 and "=" in lines[i]:
                lines.insert(i + 1, lines[i].split("=")[0] + "=" + str(rng.randint(0, 4)))
            elif k == 2 and lines[i].startswith("activation"):
                lines[i] = "activation=" + rng.choice(acts)
            elif k == 3:
                del lines[i]
            elif k == 4 and lines[i].startswith("["):
                lines[i] = rng.choice(["[conv]", "[reorg3d]", "[maxpool]", "[route]", "[net]", "[crop]"])
            elif k == 5 and lines[i].startswith(("size", "stride", "filters", "groups", "num", "classes")):
                lines[i] = lines[i].split("=")[0] + "=" + rng.choice(["0", "1", "2", "-1"])
        text = "\n".join(lines)
        path = tmp_path / f"m{n}.cfg"
        path.write_text(text)
        try:
            cv2.dnn.readNetFromDarknet(str(path))
            real = "ok"
        except cv2.error:
            real = "error"
        mine = check(parse(text, str(path)), ["opencv"])["opencv"].status
        agree.append((real, mine))
    assert [r for r, m in agree if r != m] == []
    assert {r for r, _ in agree} == {"ok", "error"}


def test_opencv_forward_outputs_on_mutated_tiny_cfgs_match_cv2(tmp_path):
    """cv2 forward with all-zero weights (as the goldens were made): cfggen predicts which networks fail in
    forward() and the flat size of every output of the others."""
    cv2 = pytest.importorskip("cv2")
    np = pytest.importorskip("numpy")
    import random
    small = [CORPUS / n for n in ("yolov3-tiny.cfg", "yolov4-tiny.cfg", "yolov2-tiny.cfg", "yolov3-tiny_3l.cfg")]
    if not all(p.is_file() for p in small):
        pytest.skip("no corpus")
    rng = random.Random(7)
    for n in range(12):
        lines = rng.choice(small).read_text().split("\n")
        for _ in range(rng.randint(1, 3)):
            i, k = rng.randrange(len(lines)), rng.randrange(4)
            if k == 0:
                lines.insert(i, rng.choice(["stride_x=2", "dilation=2", "antialiasing=1", "groups=2", "group_id=1"]))
            elif k == 1 and lines[i].startswith(("size", "stride", "filters", "pad")):
                lines[i] = lines[i].split("=")[0] + "=" + rng.choice(["1", "2", "3"])
            elif k == 2 and lines[i].startswith("width"):
                lines[i] = "width=" + rng.choice(["320", "224"])
            elif k == 3:
                del lines[i]
        text = "\n".join(lines)
        path = tmp_path / f"f{n}.cfg"
        path.write_text(text)
        v = check(parse(text, str(path)), ["opencv"])["opencv"]
        try:
            cv2.dnn.readNetFromDarknet(str(path))
        except cv2.error:
            assert v.status == "error", text
            continue
        assert v.status == "ok", v.reason
        net = cv2.dnn.readNetFromDarknet(str(path), "/dev/zero")
        d = parse(text, str(path)).net
        w, h = int(d.get("width").value), int(d.get("height").value)
        net.setInput(np.zeros((1, 3, h, w), np.float32))
        try:
            outs = net.forward(net.getUnconnectedOutLayersNames())
        except cv2.error:
            assert any(f.code == "CV401" for f in v.findings), text
            continue
        assert not any(f.code == "CV401" for f in v.findings)
        assert sorted(int(np.prod(o.shape)) for o in outs) == sorted(size for _, size in v.outputs)


@needs_dialects
def test_pjreddie_key_tables_match_its_unused_field_messages():
    """pjreddie prints "Unused field" for every key it does not read: cfggen's READS table must predict
    exactly those keys (data checked against the reader's own words), and its notes the activations it
    replaced by ReLU and the sections it did not recognise."""
    import re
    from cfggen.targets import lines, pjreddie
    for path, name in _cases():
        g = _golden("pjreddie", name)
        if g["status"] != "ok":
            continue
        doc = read_file(str(path))
        secs, _ = lines.pjreddie_sections(doc.text, doc)
        said: dict[int, set] = {}
        for m in g["messages"]:
            if m["kind"] == "unused_field" and m["layer"] is not None:
                said.setdefault(m["layer"], set()).add(re.search(r"'(.*?) = ", m["text"]).group(1))
        for i, s in enumerate(secs[1:]):
            t = pjreddie.SECTIONS.get(s.header)
            if t is None:
                continue
            aliases = pjreddie.ALIASES.get(t, {})
            reads = (pjreddie.READS[t] - set(aliases)) | set(aliases.values()) | pjreddie.COMMON_READS
            assert {k for k in s.firsts if k not in reads} == said.get(i, set()), (name, i, s.header)
        v = _verdicts(path)["pjreddie"]
        relu = {re.search(r"function (\S+),", m["text"]).group(1) for m in g["messages"]
                if m["kind"] == "unknown_activation"}
        assert {re.search(r"activation '([^']+)'", d.message).group(1) for d in v.findings if d.code == "PJ402"} == relu
        from cfggen.lint.group import places     # reader findings are grouped like the catalogue's
        assert sum(len(places(d)) for d in v.findings if d.code == "PJ401") == sum(
            m["kind"] == "type_not_recognized" for m in g["messages"])


WEIGHTED_FUSION = """[net]
width=32
height=32
channels=3

[convolutional]
filters=8
size=3
pad=1
activation=leaky

[convolutional]
filters=8
size=3
pad=1
activation=leaky

[shortcut]
from=-2
weights_type=per_feature
weights_normalization=relu
activation=linear

[convolutional]
filters=8
size=1
activation=leaky

[shortcut]
from=-3
weights_type=per_feature
weights_normalization=relu
activation=linear
"""


def test_a_key_a_reader_ignores_is_a_difference_once_per_fact():
    """OpenCV loads weighted (BiFPN-style) fusions but never reads weights_type: the network it builds
    adds unweighted and takes no fusion weights. That is a warning (a different network), shown once
    per fact with the other places, and build/adapt's 'loads in' line says so."""
    from cfggen.report.verdicts import loads_in_text, verdict_lines

    verdicts = check(parse(WEIGHTED_FUSION, "fusion.cfg"), ["opencv"])
    ignored = [d for d in verdicts["opencv"].findings if d.code == "CV402"]
    assert verdicts["opencv"].status == "ok"
    from cfggen.lint.group import places
    # grouped like the catalogue's findings (cfggen.lint.group): one per key, naming the other place
    assert {(d.line, d.severity) for d in ignored} == {(20, "warning"), (21, "warning")}
    assert sorted(line for d in ignored for line, _ in places(d)) == [20, 21, 31, 32]
    lines = verdict_lines("fusion.cfg", verdicts, False)
    assert lines[0] == "fusion.cfg: opencv: ok (loads; 2 differences from AlexeyAB)"
    weights_type = [x for x in lines[1:] if "weights_type=" in x]
    assert len(weights_type) == 1 and "… and 1 more layer: " in weights_type[0]
    assert "opencv (builds a different network)" in loads_in_text(WEIGHTED_FUSION, "fusion.cfg")
