"""`cfggen validate` end to end: exit codes, one-line errors for bad input, the JSON contract."""
from __future__ import annotations

import json

import pytest


from conftest import CORPUS, needs_shared
from conftest import run_cli as run  # noqa: E402

NET = "[net]\nwidth=32\nheight=32\nchannels=3\n"


def write(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return str(p)


BAD_INPUTS = [
    # name, content, expected exit, expected code or message fragment, expected line
    ("empty.cfg", "", 1, "DN114", 1),
    ("junk.cfg", bytes(range(256)), 1, "DN120", 1),
    ("latin1.cfg", NET.encode() + b"[convolutional]\nactivation=\xe9\n", 1, "DN119", 6),
    ("gbk.cfg", NET.encode() + b"[convolutional]\nfilters=\xbc\xec\n", 1, "DN119", 6),
    ("nul.cfg", NET.encode() + b"[convolutional]\nfilters=4\x00x\nsize=3\n", 1, "DN120", 6),
    ("bom.cfg", "\ufeff" + NET + "[convolutional]\nfilters=4\n", 1, "DN110", 1),
    ("orphan.cfg", "batch=1\n" + NET, 1, "DN109", 1),
    ("nonet.cfg", "[convolutional]\nfilters=3\n", 1, "DN112", 1),
    ("unknown.cfg", NET + "[convolutinal]\nfilters=3\n", 1, "DN101", 5),
    ("stride0.cfg", NET + "[maxpool]\nsize=2\nstride=0\n", 1, "DN211", 7),
    ("nofrom.cfg", NET + "[convolutional]\nfilters=3\n[shortcut]\nactivation=linear\n", 1, "DN208", 7),
    ("absurd.cfg", "[net]\nwidth=99999999999999999999\nheight=32\nchannels=3\n[convolutional]\n", 1, "DN115", 2),
    ("negative.cfg", "[net]\nwidth=4\nheight=4\nchannels=3\n[convolutional]\nsize=7\n", 1, "DN210", 5),
    ("noinput.cfg", "[net]\nbatch=1\n[convolutional]\n", 1, "DN113", 1),
    ("forward.cfg", NET + "[route]\nlayers=3\n", 1, "DN207", 6),
    ("deepneg.cfg", NET + "[route]\nlayers=-40\n", 1, "DN206", 6),
]


@pytest.mark.parametrize("name,content,rc,what,line", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_gets_a_located_one_line_finding(tmp_path, capsys, name, content, rc, what, line):
    path = write(tmp_path, name, content)
    code, out, err = run("validate", "--concise", path)
    assert code == rc
    text = out + err
    assert "Traceback" not in text
    hits = [l for l in text.splitlines() if what in l]
    assert hits, text
    assert hits[0].startswith(f"{path}:{line}:"), hits[0]


def test_missing_file_and_empty_directory_exit_2(tmp_path, capsys):
    code, out, err = run("validate", str(tmp_path / "nope.cfg"))
    assert code == 2 and err.strip() == f"{tmp_path / 'nope.cfg'}: error: no such file"
    code, out, err = run("validate", str(tmp_path))
    assert code == 2 and "no .cfg files" in err


def test_usage_error_exits_2(capsys):
    code, out, err = run("validate", "--format", "yaml", "x.cfg")
    assert code == 2 and "yaml" in err


def test_clean_file_exits_0(tmp_path, capsys):
    path = write(tmp_path, "ok.cfg", NET + "[convolutional]\nfilters=8\nsize=3\npad=1\nactivation=leaky\n")
    code, out, err = run("validate", path)
    assert code == 0 and out.strip() == "0 errors, 0 warnings in 1 file"


@needs_shared
def test_json_contract_for_enet_coco(capsys):
    code, out, err = run("validate", "--format", "json", str(CORPUS / "enet-coco.cfg"))
    assert code == 0    # two partial residuals (warnings, one finding) and an anchor-coverage warning
    doc = json.loads(out)
    (f,) = doc["files"]
    assert f["network"] == {"width": 416, "height": 416, "channels": 3}
    assert len(f["layers"]) == 146
    l140 = f["layers"][140]
    assert {k: l140[k] for k in ("index", "type", "input", "output", "outputs", "params")} == {
        "index": 140, "type": "shortcut", "input": [26, 26, 128], "output": [26, 26, 128],
        "outputs": 26 * 26 * 128, "params": 0}
    assert f["totals"]["bflops_printed"] == "3.731" and f["totals"]["weights_file_floats"] == 4808270
    rules = {(d["rule"], d["layer"]) for d in f["findings"]}
    assert {("DN202", 140), ("DN304", 145)} <= rules
    (d202,) = [d for d in f["findings"] if d["rule"] == "DN202"]
    assert d202["severity"] == "warning" and "partial residual" in d202["message"]
    assert "and 1 more layer: 143" in d202["message"]
    assert {"line": 1054, "note": "layer 143: the same finding"} in d202["related"]
    for d in f["findings"]:
        assert set(d) >= {"rule", "severity", "line", "column", "layer", "size", "message"}
        assert d["severity"] in ("error", "warning", "info")


@needs_shared
def test_size_option_finds_the_400_abort(capsys):
    code, out, err = run("validate", "--concise", "--size", "400x400", str(CORPUS / "enet-coco.cfg"))
    assert code == 1
    first = [l for l in out.splitlines() if "DN201" in l][0]
    assert ":1038:" in first and "25x25x576" in first and "26x26x128" in first and "400x400" in first


@needs_shared
def test_training_sizes_are_checked(tmp_path, capsys):
    """enet-coco with random=1 on its last head: 400 is not reachable from 416, but 480 etc. are fine;
    at width 400 the multi-scale sizes include 400 itself, which breaks layer 140."""
    text = (CORPUS / "enet-coco.cfg").read_text().replace("random=0", "random=1").replace("width=416", "width=400") \
        .replace("height=416", "height=400")
    path = write(tmp_path, "enet400.cfg", text)
    code, out, err = run("--debug", "validate", "--concise", "--format", "json", path)
    f = json.loads(out)["files"][0]
    sizes = {tuple(s) for s in f["sizes_checked"]}
    assert (400, 400) in sizes and (608, 608) in sizes and len(sizes) == 10
    dn201 = [d for d in f["findings"] if d["rule"] == "DN201"]
    assert dn201 and dn201[0]["layer"] == 140 and dn201[0]["size"] is None  # it fails at the native size already


@needs_shared
def test_table_lists_every_layer(capsys):
    code, out, err = run("validate", "--table", "--concise", str(CORPUS / "yolov4-tiny.cfg"))
    lines = out.splitlines()
    assert lines[0].endswith("416x416x3")
    row0 = lines[2].split()
    assert row0[:2] == ["0", "convolutional"] and "208x208x32" in lines[2]
    assert any(l.startswith("total: 38 layers") and "6.910 BFLOPs" in l and "24,251,276 bytes" in l for l in lines)


@needs_shared
def test_sizes_listing(capsys):
    code, out, err = run("validate", "--sizes", "--range", "256", "704", "--concise",
                         str(CORPUS / "enet-coco.cfg"))
    line = [l for l in out.splitlines() if "square sizes" in l][0]
    # darknet's own 1-pixel sweep: 256 and then the 16 sizes below each multiple of 32 (up to it) parse
    assert line.endswith("fits: 256, " + ", ".join(f"{k - 15}-{k}" for k in range(288, 705, 32)))
    assert "total stride 32" in out


@needs_shared
@pytest.mark.parametrize("fmt", ["github", "sarif", "text"])
def test_jobs_with_targets_output_is_identical(tmp_path, fmt):
    """--target runs in the workers too: the readers' verdicts come back with the file's piece (GitHub
    annotations need each finding's end column, resolved in the worker where the document is)."""
    files = [str(CORPUS / n) for n in ("enet-coco.cfg", "yolov4-tiny.cfg", "yolov3-spp.cfg", "csresnext50-panet-spp.cfg",
                                       "efficientnet_b0.cfg", "yolov4-sam-mish-csp-reorg-bfm.cfg")]
    outs = {}
    for jobs in (1, 2):
        target = tmp_path / f"out{jobs}"
        code, out, err = run("validate", "--target", "all", "--format", fmt, "--jobs", jobs, "-o", target, *files)
        outs[jobs] = (code, target.read_bytes(), err)
    assert b"opencv" in outs[1][1]
    assert outs[1] == outs[2]


@needs_shared
@pytest.mark.parametrize("fmt", ["json", "text"])
def test_jobs_output_is_identical(tmp_path, fmt):
    """--jobs N: same bytes as one process, in the same order (workers send back each file's piece)."""
    outs = {}
    for jobs in (1, 3):
        target = tmp_path / f"out{jobs}"
        code, out, err = run("validate", "--format", fmt, "--jobs", jobs, "-o", target, str(CORPUS),
                             str(tmp_path / "missing.cfg"))
        outs[jobs] = (code, target.read_bytes(), err)
    assert outs[1][0] == 2 and outs[1] == outs[3]


def test_main_called_by_a_host_leaves_the_garbage_collector_alone(tmp_path):
    """Only the console script tunes the process-wide collector (thresholds, freeze); a host that
    calls main(argv), such as this test runner, keeps its own settings."""
    import gc
    before = gc.get_threshold(), gc.get_freeze_count()
    p = tmp_path / "a.cfg"
    p.write_text("[net]\nwidth=32\nheight=32\nchannels=3\n\n[convolutional]\nfilters=4\nsize=3\nactivation=leaky\n")
    code, _, _ = run("validate", "--jobs", "1", str(p), str(p))
    assert code == 0
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


def test_the_console_script_leaves_quickly_with_all_its_output(tmp_path):
    """The console script skips the interpreter's teardown after ``validate`` (``cli.QUICK_EXIT``):
    the report must still be complete on a pipe and in ``-o``, with the exit code of the findings."""
    import subprocess
    import sys
    from pathlib import Path
    good = write(tmp_path, "good.cfg", NET + "\n[convolutional]\nfilters=4\nsize=3\nactivation=leaky\n")
    bad = write(tmp_path, "bad.cfg", NET + "\n[convolutional]\nfilters=4\nsize=3\nactivation=leakyy\n")
    many = [good, bad] * 200                      # a report larger than a pipe's buffer
    root = str(Path(__file__).resolve().parent.parent)
    env = {**__import__("os").environ, "PYTHONPATH": root}
    proc = subprocess.run([sys.executable, "-m", "cfggen", "validate", "--format", "json", "--jobs", "1", *many],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    report = json.loads(proc.stdout)
    assert proc.returncode == 1 and len(report["files"]) == 400
    assert [f["findings"][0]["rule"] for f in report["files"][1::2]] == ["DN108"] * 200
    out = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-m", "cfggen", "validate", "--format", "json", "-o", str(out), good],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0 and json.loads(out.read_text())["files"][0]["status"] == "checked"
    # a short report stays in the stream's buffer until the exit flushes it
    proc = subprocess.run([sys.executable, "-m", "cfggen", "validate", bad], capture_output=True, text=True, env=env,
                          cwd=tmp_path)
    assert proc.returncode == 1 and "DN108" in proc.stdout and "1 error" in proc.stdout
