"""Linter precision on the patterns of real-world cfgs (issue 13): severity follows effect, one finding
per fact per file, one finding per cause, and the exact wording of what darknet does.

Each ``tests/precision/*.cfg`` is a short cfg that darknet reads (its header comments are darknet
comments) with its expectations in those comments::

    # expect: DN202 warning 1        every finding of the file, by code and severity, with its count
    # message: DN202 a partial ...   a finding of DN202 whose message contains this text
    # hint: DN202 # cfggen: ...      ... whose hint contains this text
    # related: DN202 2               ... with this many related places (merged places included)

A file without ``expect`` lines must have no finding at all. The files are validated the way CI
runs ``cfggen validate``: at the cfg's own size and every multi-scale training size.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from cfggen.cfg.parse import parse
from cfggen.lint.engine import analyze
from cfggen.report import FORMATTERS, Report

CASES = sorted((Path(__file__).parent / "precision").glob("*.cfg"))
_LINE = re.compile(r"^# (expect|message|hint|related): (DN\d{3}) (.*)$")


def expectations(text: str) -> dict:
    out: dict = {"expect": Counter(), "message": [], "hint": [], "related": []}
    for line in text.splitlines():
        m = _LINE.match(line)
        if m is None:
            continue
        kind, code, rest = m.groups()
        if kind == "expect":
            severity, count = rest.split()
            out["expect"][(code, severity)] += int(count)
        elif kind == "related":
            out["related"].append((code, int(rest)))
        else:
            out[kind].append((code, rest))
    return out


def _analyze(path: Path):
    text = path.read_text(encoding="utf-8")
    return expectations(text), analyze(parse(text, path.name))


def test_the_corpus_covers_the_patterns_of_the_issue():
    names = {p.stem for p in CASES}
    assert {"partial-residual", "silu-everywhere", "mask-shifted", "mask-sliding", "stray-notes",
            "net-metadata-keys", "empty-after-valid", "unknown-head", "steps-trailing-comma",
            "schedule-other-policy", "yolor-implicit", "pjreddie-deconv"} <= names


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_findings_severities_and_counts(path):
    want, a = _analyze(path)
    got = Counter((d.code, d.severity) for d in a.findings)
    assert got == want["expect"], [f"{d.line}: {d.code} {d.severity}: {d.message}" for d in a.findings]
    for code, text in want["message"]:
        assert any(text in d.message for d in a.findings if d.code == code), (code, text)
    for code, text in want["hint"]:
        assert any(text in (d.hint or "") for d in a.findings if d.code == code), (code, text)
    for code, n in want["related"]:
        assert [len(d.related) for d in a.findings if d.code == code][0] == n, code


def test_merged_places_reach_every_format():
    """One finding for three partial residuals: the text names the others once, JSON and SARIF list them."""
    import json
    from cfggen.report.sarif import sarif_log
    path = Path(__file__).parent / "precision" / "partial-residual.cfg"
    a = analyze(parse(path.read_text(), "partial-residual.cfg"))
    (d,) = a.findings
    report = Report([a])
    text = FORMATTERS["text"](report)
    assert text.count("[DN202") == 1 and "… and 2 more layers: 4, 6" in text
    assert "layer 4: the same finding" not in text          # not one line per merged place
    (f,) = json.loads(FORMATTERS["json"](report))["files"]
    lines = {r["line"] for r in f["findings"][0]["related"]}
    places = {line for line, layer in d.extra["same"]}
    assert places and places <= lines
    log = sarif_log(report)
    (result,) = log["runs"][0]["results"]
    assert {r["physicalLocation"]["region"]["startLine"] for r in result["relatedLocations"]} >= places
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(log, schema)


def test_merged_safe_fixes_fix_every_place():
    from cfggen.lint.fix import fix_analysis
    path = Path(__file__).parent / "precision" / "inline-numeric-comments.cfg"
    a = analyze(parse(path.read_text(), "x.cfg"), "native", ["DN106"])
    result = fix_analysis(a, lambda doc: analyze(doc, "native", ["DN106"]))
    assert result.refused is None
    assert "filters=16\n" in result.text and "filters=32\n" in result.text and "# stem" in result.text
    assert result.analysis.findings == ()


def test_suppressing_every_place_leaves_no_finding():
    path = Path(__file__).parent / "precision" / "partial-residual.cfg"
    text = path.read_text().replace("\n[shortcut]\n", "\n# cfggen: disable-next-line DN202\n[shortcut]\n")
    a = analyze(parse(text, "x.cfg"))
    assert [d.code for d in a.findings] == []


# ------------------------------------------------------------------------------------------------
# cfggen.lint.group on its own

def test_merge_keeps_different_facts_apart_and_lists_the_places():
    from cfggen.lint.group import merge, places
    from cfggen.lint.model import Diagnostic
    d = [Diagnostic("DN108", "activation=silu is not known", line=10, layer=0, severity="error"),
         Diagnostic("DN108", "activation=Mish is not known", line=20, layer=1, severity="error"),
         Diagnostic("DN108", "activation=silu is not known", line=30, layer=2, severity="error"),
         Diagnostic("DN108", "activation=silu is not known", line=40, layer=3, severity="warning")]
    out = merge(d)
    assert [(x.line, x.severity) for x in out] == [(10, "error"), (20, "error"), (40, "warning")]
    assert out[0].message.endswith("… and 1 more layer: 2") and places(out[0]) == ((10, 0), (30, 2))
    assert out[1] is d[1] and places(out[1]) == ((20, 1),)


def test_merge_ignores_layer_and_line_numbers_only():
    from cfggen.lint.group import merge
    from cfggen.lint.model import Diagnostic
    a = Diagnostic("DN214", "the output of layer 3 [convolutional] is never used", line=5, layer=3)
    b = Diagnostic("DN214", "the output of layer 9 [convolutional] is never used", line=50, layer=9)
    c = Diagnostic("DN214", "the output of layer 12 [maxpool] is never used", line=70, layer=12)
    assert [x.line for x in merge([a, b, c])] == [5, 70]


def test_absorb_drops_only_the_consequence_it_names():
    from cfggen.lint.group import absorb
    from cfggen.lint.model import Diagnostic
    unknown = Diagnostic("DN101", "unknown section [Yolo]", line=12, layer=3)
    dead = Diagnostic("DN214", "the output of layer 3 is never used", line=12, layer=3)
    other = Diagnostic("DN214", "the output of layer 5 is never used", line=30, layer=5)
    assert absorb([unknown, dead, other]) == [unknown, other]
