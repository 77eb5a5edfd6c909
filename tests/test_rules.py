"""The rule catalogue: every rule documented and covered by a fixture with exact positions.

Fixtures are ``tests/rules/<CODE>.txt``, blocks of cfg text under ``=== `` header lines (no
dependency, the cfg stays readable)::

    === fail 7:1 9:3            every finding of CODE at these line:col, nothing else
    [net]
    ...
    === pass                    no finding of CODE
    ...
    === fix                     --fix with only CODE's fixes ...
    ...
    === fixed                   ... gives exactly this text
    ...

Header options: ``sizes=native`` (default: every training size), ``count=3 data_classes=2`` (what
--data/--names would say, for DN408), ``training`` (``validate --data``: the training facts of DN460-DN462),
``json`` (the body is one JSON string: for BOMs, CRLF, trailing
blanks). A body ends at the next header; trailing blank lines are not part of it.
"""
from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest

from cfggen.cfg.parse import parse
from cfggen.lint.engine import analyze
from cfggen.lint.fix import fix_analysis
from cfggen.lint.group import places
from cfggen.lint.rules import BY_NAME, RULES
from cfggen.lint.rules.DN408 import NamesInfo

FIXTURES = Path(__file__).parent / "rules"


def parse_fixture(text: str) -> dict:
    data: dict[str, list[dict]] = {"fail": [], "pass": [], "fix": []}
    for block in re.split(r"^=== ", text, flags=re.M)[1:]:
        header, _, body = block.partition("\n")
        kind, *words = header.split()
        cfg = json.loads(body) if "json" in words else body.rstrip("\n") + "\n"
        case: dict = {"cfg": cfg}
        names = {}
        for w in words:
            if re.fullmatch(r"\d+:\d+", w):
                case.setdefault("expect", []).append(w)
            elif w == "training":
                case["training"] = True
            elif w.startswith("sizes="):
                case["sizes"] = w.split("=", 1)[1]
            elif "=" in w:
                key, value = w.split("=", 1)
                names[key] = int(value)
            elif w != "json":
                raise ValueError(f"unknown fixture option {w!r} in '=== {header}'")
        if names:
            case["names"] = names
        if kind == "fixed":
            data["fix"][-1]["fixed"] = cfg
        elif kind in data:
            data[kind].append(case)
        else:
            raise ValueError(f"unknown fixture block '=== {header}'")
    return data


def _load(code: str) -> dict:
    return parse_fixture((FIXTURES / f"{code}.txt").read_text(encoding="utf-8"))


def _cases(kind: str):
    out = []
    for path in sorted(FIXTURES.glob("DN*.txt")):
        code = path.stem
        for i, case in enumerate(_load(code).get(kind) or []):
            out.append(pytest.param(code, case, id=f"{code}-{kind}-{i}"))
    return out


def _analyze(code: str, case: dict, rules=None):
    sizes = case.get("sizes", "training")
    if isinstance(sizes, list):
        sizes = [tuple(s) for s in sizes]
    options = {}
    if "names" in case:
        options["names"] = NamesInfo(**{"names_path": "obj.names", "data_path": "obj.data", **case["names"]})
    if case.get("training"):
        options["training"] = True
    return analyze(parse(case["cfg"], "fixture.cfg"), sizes, rules, options=options)


@pytest.mark.parametrize("code, case", _cases("fail"))
def test_fail_case_reports_exactly_these_positions(code, case):
    a = _analyze(code, case)
    got = sorted(f"{d.line}:{d.col}" for d in a.findings if d.code == code)
    assert got == sorted(case["expect"]), [d.message for d in a.findings if d.code == code]
    for d in a.findings:
        if d.code == code:
            assert d.name == RULES[code].NAME and d.severity in ("error", "warning", "info")
            assert d.message and not d.message.endswith(".")


@pytest.mark.parametrize("code, case", _cases("pass"))
def test_pass_case_has_no_finding(code, case):
    a = _analyze(code, case)
    assert [d.message for d in a.findings if d.code == code] == []


@pytest.mark.parametrize("code, case", _cases("fix"))
def test_fix_case_gives_the_expected_text(code, case):
    a = _analyze(code, case, rules=[code])
    assert any(d.fix is not None for d in a.findings), "the rule offers no fix here"
    result = fix_analysis(a, lambda doc: analyze(doc, case.get("sizes", "training"), [code]))
    assert result.refused is None
    assert result.text == case["fixed"]
    assert [d for d in result.analysis.findings if d.code == code] == []


# ------------------------------------------------------------------------------------------------
# the registry

CFG_RULES = [code for code, rule in RULES.items() if rule.SCOPE != "dataset"]   # dataset rules: test_dataset_checks


def test_every_rule_has_a_fixture_with_fail_and_pass():
    missing = [code for code in CFG_RULES if not (FIXTURES / f"{code}.txt").is_file()]
    assert missing == []
    for code in CFG_RULES:
        data = _load(code)
        assert data.get("fail") and data.get("pass"), code
        for case in data["fail"]:
            assert case["expect"] and all(re.fullmatch(r"\d+:\d+", p) for p in case["expect"]), code
    assert sorted(p.stem for p in FIXTURES.glob("DN*.txt")) == sorted(CFG_RULES)


@pytest.mark.parametrize("code", list(RULES))
def test_rule_module_is_documented(code):
    rule = RULES[code]
    doc = inspect.cleandoc(rule.__doc__ or "")
    assert doc.startswith(f"{rule.NAME}: "), code
    for part in ("*Why*", "*Severity*", "**FAIL**", "**PASS**", "*Fix safety*"):
        assert part in doc, (code, part)
    assert doc.index("*Why*") < doc.index("*Severity*") < doc.index("**FAIL**") < doc.index("**PASS**") \
        < doc.index("*Fix safety*")
    # the severity paragraph names the default level and says why
    severity = doc[doc.index("*Severity*"):doc.index("**FAIL**")]
    assert {"error": "error", "warning": "warning", "info": "info"}[rule.SEVERITY] in severity.lower(), code
    assert re.fullmatch(r"DN[1-5]\d\d", code) and rule.CODE == code
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.NAME)
    assert rule.SEVERITY in ("error", "warning", "info")
    assert rule.SCOPE in ("file", "network", "size", "infer", "suppress", "dataset")
    assert (rule.check is None) == (rule.SCOPE in ("infer", "suppress", "dataset"))
    assert rule.SUMMARY and len(rule.SUMMARY) < 100
    if "*Fix safety*: safe" in doc:
        assert _load(code).get("fix"), f"{code} says it has a safe fix but has no fix fixture"


def test_slugs_are_unique_and_codes_are_in_their_range():
    assert len(BY_NAME) == len(RULES)
    groups = {"1": "syntax", "2": "shapes", "3": "heads", "4": "training", "5": "portability"}
    assert {code[2] for code in RULES} <= set(groups)


# ------------------------------------------------------------------------------------------------
# the corpus: darknet's own "Unused field" messages are exactly cfggen's DN102 in layer sections

from conftest import CORPUS, GOLDEN, corpus_files, golden_name, needs_shared  # noqa: E402


@needs_shared
def test_unknown_keys_match_darknets_unused_fields_on_the_corpus():
    import json
    from cfggen.cfg import read_file
    for path in corpus_files():
        golden = json.loads((GOLDEN / golden_name(path)).read_text())
        theirs = sorted((m["layer"], m["text"].split("'")[1].split(" = ")[0]) for m in golden["messages"]
                        if m["kind"] == "unused_field")
        a = analyze(read_file(str(path)), "native", ["DN102"])
        doc = a.doc
        mine = sorted((layer, doc.line_text(line).split("=")[0].strip()) for d in a.findings
                      for line, layer in places(d) if layer is not None)
        assert mine == theirs, path.name


CORPUS_EXPECTED = FIXTURES / "corpus-findings.txt"


@needs_shared
def test_corpus_findings_are_the_reviewed_ones():
    """Every finding on the 95 stock cfgs was read and judged a real problem (see the commit that
    changed this file). A rule change that adds or moves a finding here must be reviewed the same
    way: rerun with CFGGEN_UPDATE_CORPUS=1 and read the diff."""
    import os
    from cfggen.cfg import read_file
    lines = []
    for path in corpus_files():
        a = analyze(read_file(str(path)))
        rel = path.relative_to(CORPUS).as_posix()
        lines.extend(f"{rel}:{d.line}:{d.col} {d.code} {d.severity}" for d in a.findings)
    text = "\n".join(lines) + "\n"
    if os.environ.get("CFGGEN_UPDATE_CORPUS"):
        CORPUS_EXPECTED.write_text(text)
    assert text == CORPUS_EXPECTED.read_text()
