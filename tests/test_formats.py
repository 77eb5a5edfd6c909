"""Report formats: exact text/github lines for a tiny input, SARIF against the 2.1.0 schema, the JSON contract."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cfggen.cfg.parse import parse
from cfggen.lint.engine import analyze
from cfggen.lint.rules import RULES
from cfggen.report import FORMATTERS, Report
from cfggen.report.github import escape_data, escape_property
from cfggen.report.sarif import sarif_log

from conftest import needs_shared

from conftest import corpus_files, needs_shared

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"

TINY = ("[net]\nwidth=32\nheight=32\nchannels=3\nsubdivision=16\n\n"
        "[convolutional]\nfilters=255\nsize=1\nactivation=linear\n\n"
        "[yolo]\nmask=0,1,2\nanchors=1,1,2,2,3,3\nnum=3\nclasses=1\n")


def _report(text: str = TINY, path: str = "cfg/tiny.cfg") -> Report:
    return Report([analyze(parse(text, path), "native")])


def test_tiny_input_findings():
    r = _report()
    assert [(d.code, d.line, d.col) for d in r.findings] == [("DN102", 5, 1), ("DN301", 16, 1)]


def test_text_format_line_and_snippet():
    out = FORMATTERS["text"](_report())
    lines = out.splitlines()
    assert lines[0] == ("cfg/tiny.cfg:5:1: error: [net] does not read subdivision=: darknet ignores it silently "
                        "([net] keys are never checked), so subdivisions= keeps its default [DN102 unknown-key]")
    assert lines[1] == "    5 | subdivision=16"
    assert lines[2] == "      | ^~~~~~~~~~~~~~"
    assert "      = hint: did you mean subdivisions=?" in lines
    assert "      = fix: set filters=18 in layer 0 (cfggen validate --fix)" in lines
    assert lines[-1] == "2 errors, 0 warnings in 1 file"


def test_github_format_exact_lines():
    out = FORMATTERS["github"](_report()).splitlines()
    assert out[0] == ("::error file=cfg/tiny.cfg,line=5,endLine=5,col=1,endColumn=15,title=DN102 unknown-key::"
                      "[net] does not read subdivision=: darknet ignores it silently ([net] keys are never checked), "
                      "so subdivisions= keeps its default%0Ahint: did you mean subdivisions=?")
    assert out[1] == ("::error file=cfg/tiny.cfg,line=16,endLine=16,col=1,endColumn=10,"
                      "title=DN301 head-filters-mismatch::[yolo] expects 18 input channels (3 anchors x (classes 1 + 5)) "
                      "but the previous layer gives 255; darknet exits 'filters= in the [convolutional]-layer doesn't "
                      "correspond to classes= or mask='%0Ahint: set filters=18 in the [convolutional] layer before it")
    assert out[2] == "2 errors, 0 warnings in 1 file"


def test_github_escaping_matches_actions_core():
    assert escape_data("100%\r\nnext") == "100%25%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    r = _report(path="odd,name:1.cfg")
    first = FORMATTERS["github"](r).splitlines()[0]
    assert first.startswith("::error file=odd%2Cname%3A1.cfg,line=5,")


def test_github_levels_and_notices():
    text = ("[net]\nwidth=32\nheight=32\nchannels=3\nletter_box=1\nmosaic=1\nmomentum=0.9\nseen=1\n"
            "[convolutional]\nfilters=4\n")
    r = _report(text)
    r.notices.append("setup.cfg: skipped: not a darknet network cfg")
    lines = FORMATTERS["github"](r).splitlines()
    assert lines[0].startswith("::notice file=cfg/tiny.cfg,line=5,") and "title=DN406 letterbox-mosaic::" in lines[0]
    assert lines[1].startswith("::warning file=cfg/tiny.cfg,line=8,") and "title=DN102 unknown-key::" in lines[1]
    assert lines[2] == "::notice::setup.cfg: skipped: not a darknet network cfg"


def test_sarif_exact_result_for_tiny_input():
    log = sarif_log(_report())
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(RULES)
    res = run["results"]
    assert len(res) == 2
    first = res[0]
    assert first["ruleId"] == "DN102" and rules[first["ruleIndex"]]["id"] == "DN102"
    assert first["level"] == "error"
    assert first["locations"] == [{"physicalLocation": {"artifactLocation": {"uri": "cfg/tiny.cfg"},
                                                        "region": {"startLine": 5, "startColumn": 1, "endLine": 5,
                                                                   "endColumn": 15}}}]
    assert first["message"]["text"].startswith("[net] does not read subdivision=")
    second = res[1]
    assert second["ruleId"] == "DN301" and second["properties"] == {"layer": 1}
    assert {"id": 0, "message": {"text": "layer 1 [yolo]"},
            "physicalLocation": {"artifactLocation": {"uri": "cfg/tiny.cfg"}, "region": {"startLine": 12}}} \
        in second["relatedLocations"]


def test_sarif_is_valid_against_the_2_1_0_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    r = _report()
    r.notices.append("x.cfg: skipped: not a darknet network cfg")
    log = json.loads(FORMATTERS["sarif"](r))
    jsonschema.Draft4Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).iter_errors(log),
                    key=str)
    assert errors == []


def test_sarif_meets_github_code_scanning_requirements():
    """GitHub's subset (stricter than the schema): required, non-empty, limited fields."""
    log = sarif_log(_report())
    assert log["$schema"] and log["version"] == "2.1.0"
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "cfggen" and driver["rules"]
    for rule in driver["rules"]:
        assert rule["id"] and rule["name"]
        assert 0 < len(rule["shortDescription"]["text"]) <= 1024
        assert 0 < len(rule["fullDescription"]["text"]) <= 1024
        assert rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("note", "warning", "error")
        assert rule["properties"]["tags"] and rule["properties"]["precision"] in ("very-high", "high", "medium", "low")
    for res in log["runs"][0]["results"]:
        assert res["message"]["text"] and 1 <= len(res["locations"]) <= 10
        region = res["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert region["endLine"] >= region["startLine"] and region["endColumn"] > region["startColumn"]


def test_sarif_uri_outside_the_current_folder_is_a_file_uri(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    log = sarif_log(_report(path="/elsewhere/x.cfg"))
    assert log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "file:///elsewhere/x.cfg"


def test_json_keeps_its_contract():
    doc = json.loads(FORMATTERS["json"](_report()))
    assert set(doc) == {"files", "notices", "errors"}
    (f,) = doc["files"]
    assert set(f) == {"path", "status", "network", "layers", "totals", "sizes_checked", "findings"}
    assert f["status"] == "checked"
    d = f["findings"][1]
    assert set(d) == {"rule", "name", "severity", "line", "column", "layer", "size", "message", "hint", "related",
                      "fixable"}
    assert d["rule"] == "DN301" and d["fixable"] is True and d["line"] == 16


@needs_shared
def test_json_rows_written_directly_equal_the_encoder():
    """json_part writes layer rows itself; the text must be what json writes for analysis_json."""
    import json as _json
    from cfggen.cfg import read_file
    from cfggen.lint.engine import analyze
    from cfggen.report import analysis_json, json_part
    for path in corpus_files()[::7]:
        a = analyze(read_file(str(path)), "native")
        assert json_part(a) == _json.dumps(analysis_json(a), separators=(",", ":"))


@needs_shared
def test_sarif_carries_the_readers_verdicts(tmp_path):
    """validate --target: each reader that does not load a file is a result (its reason, at its line),
    with a rule descriptor of its own after the catalogue; the log is still valid SARIF 2.1.0."""
    import jsonschema
    from conftest import SHARED, run_cli
    from cfggen.lint.rules import RULES
    out = tmp_path / "r.sarif"
    code, _, _ = run_cli("validate", "--target", "all", "--format", "sarif", "-o", str(out),
                         str(SHARED / "corpus" / "darknet" / "enet-coco.cfg"))
    log = json.loads(out.read_text())
    jsonschema.validate(log, json.loads(SCHEMA.read_text()))
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules[:len(RULES)]] == list(RULES)
    readers = [r for r in run["results"] if "reader" in r.get("properties", {})]
    assert readers and {r["properties"]["reader"] for r in readers} <= {"hank-ai", "pjreddie", "opencv"}
    for r in readers:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["message"]["text"].startswith(r["properties"]["reader"] + ": ")
        assert r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
    # a reader that refuses the file says so with its status
    refused = [r for r in readers if r["properties"]["status"] != "ok"]
    assert all(f': {r["properties"]["status"]}: ' in r["message"]["text"] for r in refused)


@pytest.mark.parametrize("x", [0.0, -0.0, 1.5, 1e-300, 3.4028234663852886e38, 1e308, float("inf"), float("-inf"),
                               float("nan")])
def test_layer_rows_write_floats_as_json_does(x):
    """The hand-written layer rows spell every float (non-finite ones too) exactly as the json module."""
    from cfggen.report import _number
    assert _number(x) == json.dumps(x)
