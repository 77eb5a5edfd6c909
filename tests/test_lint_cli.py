"""`cfggen validate` as a CI linter: selection, strictness, configuration, suppressions, --fix/--diff,
dataset files, output formats and `cfggen rules`. Every test asserts the exit code and the output."""
from __future__ import annotations

import json

import pytest

from conftest import run_cli as run  # noqa: E402

NET = "[net]\nwidth=32\nheight=32\nchannels=3\n"
# a DN201 (error: shortcut of a 16x16 map onto 32x32) at line 16 and a DN102 (warning: a key darknet
# ignores, that changes nothing) at line 6
PARTIAL = (NET + "momentum=0.9\nseen=64000\n\n[convolutional]\nfilters=8\nsize=1\n\n"
           "[convolutional]\nfilters=8\nsize=1\nstride=2\n\n[shortcut]\nfrom=-2\n")


def write(folder, name, text):
    p = folder / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(text.encode() if isinstance(text, str) else text)
    return p


@pytest.fixture(autouse=True)
def _no_github(monkeypatch):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_WORKFLOW", raising=False)


def codes(out: str) -> list[str]:
    import re
    return re.findall(r"\[(DN\d\d\d) [a-z0-9-]+\]$", out, re.M)


# ------------------------------------------------------------------------------------------------
# exit codes, selection, strictness

def test_errors_exit_1_and_warnings_alone_exit_0(tmp_path, capsys):
    p = write(tmp_path, "a.cfg", PARTIAL)
    code, out, _ = run("validate", "--concise", p)
    assert code == 1 and codes(out) == ["DN102", "DN201"]
    code, out, _ = run("validate", "--concise", "--ignore", "DN201", p)
    assert code == 0 and codes(out) == ["DN102"]


def test_strict_makes_warnings_fail_and_exit_zero_never_fails(tmp_path, capsys):
    p = write(tmp_path, "a.cfg", PARTIAL)
    assert run("validate", "--ignore", "DN201", "--strict", p)[0] == 1
    code, out, _ = run("validate", "--exit-zero", "--strict", p)
    assert code == 0 and "DN201" in out
    assert run("validate", "--exit-zero", tmp_path / "missing.cfg")[0] == 2


@pytest.mark.parametrize("selector, expected", [
    ("DN2", ["DN201"]), ("DN201", ["DN201"]), ("shortcut-shape-mismatch", ["DN201"]), ("DN1", ["DN102"]),
    ("DN1,DN2", ["DN102", "DN201"]), ("unknown-key", ["DN102"]),
])
def test_select_takes_codes_slugs_and_prefixes(tmp_path, capsys, selector, expected):
    p = write(tmp_path, "a.cfg", PARTIAL)
    code, out, _ = run("validate", "--concise", "--select", selector, p)
    assert codes(out) == expected and code == (1 if "DN201" in expected else 0)


def test_more_specific_selector_wins(tmp_path, capsys):
    p = write(tmp_path, "a.cfg", PARTIAL)
    code, out, _ = run("validate", "--concise", "--select", "DN2", "--ignore", "DN20", "--select", "DN201", p)
    assert codes(out) == ["DN201"]


def test_unknown_selector_is_a_usage_error(tmp_path, capsys):
    p = write(tmp_path, "a.cfg", PARTIAL)
    code, out, err = run("validate", "--select", "DN9", p)
    assert code == 2 and out == "" and "'DN9' is not a rule code" in err


def test_setup_cfg_is_skipped_with_a_notice(tmp_path, capsys):
    write(tmp_path, "setup.cfg", "[metadata]\nname = x\n\n[options]\npackages = find:\n")
    write(tmp_path, "net.cfg", NET + "[convolutional]\nfilters=8\n")
    code, out, _ = run("validate", tmp_path)
    assert code == 0
    assert f"{tmp_path / 'setup.cfg'}: skipped: not a darknet network cfg" in out
    assert out.splitlines()[-1] == "0 errors, 0 warnings in 1 file"


def test_format_auto_is_github_inside_actions(tmp_path, capsys, monkeypatch):
    p = write(tmp_path, "a.cfg", PARTIAL)
    code, out, _ = run("validate", p)
    assert out.startswith(f"{p}:6:1: warning:")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    code, out, _ = run("validate", p)
    assert out.startswith(f"{p}:6:1:")          # GITHUB_WORKFLOW missing: still text
    monkeypatch.setenv("GITHUB_WORKFLOW", "lint")
    code, out, _ = run("validate", p)
    assert code == 1 and out.startswith("::warning file=") and "title=DN201 shortcut-shape-mismatch::" in out


def test_output_file_holds_the_report(tmp_path, capsys):
    p = write(tmp_path, "a.cfg", PARTIAL)
    report = tmp_path / "out.sarif"
    code, out, _ = run("validate", "--format", "sarif", "-o", report, p)
    assert code == 1 and out == ""
    log = json.loads(report.read_text())
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["DN102", "DN201"]


# ------------------------------------------------------------------------------------------------
# configuration

def test_pyproject_config_is_found_upward_and_applied(tmp_path, capsys):
    (tmp_path / ".git").mkdir()
    write(tmp_path, "pyproject.toml", '[tool.cfggen]\nignore = ["DN102"]\nseverity = { DN201 = "warning" }\n')
    p = write(tmp_path, "cfg/deep/a.cfg", PARTIAL)
    code, out, _ = run("validate", "--concise", p)
    assert code == 0 and codes(out) == ["DN201"] and ": warning: [shortcut]" in out


def test_setup_cfg_config_and_per_file_ignores(tmp_path, capsys):
    write(tmp_path, "setup.cfg", "[metadata]\nname = x\n\n[cfggen]\nselect = DN1, DN2\n"
                                 "per-file-ignores =\n    legacy/*.cfg: DN201\n    b.cfg: unknown-key\n")
    a = write(tmp_path, "legacy/a.cfg", PARTIAL)
    b = write(tmp_path, "b.cfg", PARTIAL)
    code, out, _ = run("validate", "--concise", a, b)
    lines = [l for l in out.splitlines() if "[DN" in l]
    assert [(l.split(":")[0], codes(l)[0]) for l in lines] == [(str(a), "DN102"), (str(b), "DN201")]
    assert code == 1


def test_discovery_stops_at_the_repository_root(tmp_path, capsys):
    write(tmp_path, "pyproject.toml", '[tool.cfggen]\nignore = ["DN"]\n')
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    p = write(repo, "a.cfg", PARTIAL)
    code, out, _ = run("validate", "--concise", p)
    assert code == 1 and codes(out) == ["DN102", "DN201"]


def test_nearest_config_wins_and_cli_select_overrides_it(tmp_path, capsys):
    (tmp_path / ".git").mkdir()
    write(tmp_path, "pyproject.toml", '[tool.cfggen]\nignore = ["DN201"]\n')
    write(tmp_path, "sub/setup.cfg", "[cfggen]\nignore = DN102\n")
    p = write(tmp_path, "sub/a.cfg", PARTIAL)
    assert codes(run("validate", "--concise", p)[1]) == ["DN201"]
    assert codes(run("validate", "--concise", "--no-config", p)[1]) == ["DN102", "DN201"]
    assert codes(run("validate", "--concise", "--select", "DN1", p)[1]) == []   # DN102 still ignored


@pytest.mark.parametrize("name, text, fragment", [
    ("pyproject.toml", '[tool.cfggen]\nignor = ["DN102"]\n', "unknown key 'ignor'"),
    ("pyproject.toml", '[tool.cfggen]\nselect = ["DN9"]\n', "'select': 'DN9' is not a cfggen rule"),
    ("pyproject.toml", '[tool.cfggen]\nseverity = { DN201 = "fatal" }\n', "'severity': DN201 = 'fatal'"),
    ("pyproject.toml", '[tool.cfggen\nselect = 1\n', "invalid TOML"),
    ("setup.cfg", "[cfggen]\nper-file-ignores =\n    nocolon\n", "'per-file-ignores': 'nocolon'"),
])
def test_bad_config_is_a_one_line_error_naming_file_and_key(tmp_path, capsys, name, text, fragment):
    (tmp_path / ".git").mkdir()
    cfg = write(tmp_path, name, text)
    p = write(tmp_path, "a.cfg", PARTIAL)
    code, out, err = run("validate", p)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"{cfg}: error: ") and fragment in err


def test_explicit_config_file(tmp_path, capsys):
    cfg = write(tmp_path, "lint.toml", '[tool.cfggen]\nselect = ["DN102"]\n')
    p = write(tmp_path, "a.cfg", PARTIAL)
    assert codes(run("validate", "--concise", "--config", cfg, p)[1]) == ["DN102"]
    empty = write(tmp_path, "empty.toml", "[tool.other]\n")
    code, _, err = run("validate", "--config", empty, p)
    assert code == 2 and "has no [tool.cfggen]" in err


# ------------------------------------------------------------------------------------------------
# suppressions

def test_disable_next_line_above_a_section_covers_the_whole_section(tmp_path, capsys):
    text = PARTIAL.replace("[shortcut]", "# cfggen: disable-next-line DN201 -- mismatch on purpose\n[shortcut]")
    code, out, _ = run("validate", "--concise", write(tmp_path, "a.cfg", text))
    assert code == 0 and codes(out) == ["DN102"]


def test_disable_next_line_above_a_key_covers_that_line_only(tmp_path, capsys):
    text = PARTIAL.replace("momentum=0.9\nseen=64000", "momentum=0.9\n# cfggen: disable-next-line DN102\nseen=64000")
    code, out, _ = run("validate", "--concise", write(tmp_path, "a.cfg", text))
    assert codes(out) == ["DN201"]


def test_disable_enable_range_and_disable_file(tmp_path, capsys):
    text = PARTIAL.replace("momentum=0.9\nseen=64000", "; cfggen: disable unknown-key\nmomentum=0.9\nseen=64000\n"
                                                          "# cfggen: enable")
    assert codes(run("validate", "--concise", write(tmp_path, "a.cfg", text))[1]) == ["DN201"]
    text = PARTIAL + "# cfggen: disable-file DN201, DN102\n"
    code, out, _ = run("validate", "--concise", write(tmp_path, "b.cfg", text))
    assert code == 0 and codes(out) == []


def test_unused_and_malformed_suppressions_are_reported(tmp_path, capsys):
    text = NET + "# cfggen: disable-next-line DN301\n[convolutional]\nfilters=8\n# cfggen: disable-nextline DN101\n"
    p = write(tmp_path, "a.cfg", text)
    code, out, _ = run("validate", "--concise", p)
    assert code == 0
    assert f"{p}:5:29: warning: 'disable-next-line DN301' suppresses nothing" in out
    assert f"{p}:8:1: warning: unknown suppression directive 'disable-nextline'" in out
    # a code switched off by the configuration is not "unused"
    assert codes(run("validate", "--concise", "--ignore", "DN301", p)[1]) == ["DN190"]


# ------------------------------------------------------------------------------------------------
# --fix and --diff

FIXABLE = ("\ufeff[net]\r\nwidth=32\r\nheight=32 \r\nchannels=3\r\n\r\n# keep me\r\n[convolutional]\r\n"
           "filters=255   # 80 classes\r\nsize=1\r\nactivation=linear\r\n\r\n[yolo]\r\nmask=0,1,2,\r\n"
           "anchors=1,1,2,2,3,3,4,4\r\nnum=4\r\nclasses=1\r\n")
FIXED = ("[net]\r\nwidth=32\r\nheight=32 \r\nchannels=3\r\n\r\n# keep me\r\n[convolutional]\r\n"
         "# 80 classes\r\nfilters=18\r\nsize=1\r\nactivation=linear\r\n\r\n[yolo]\r\nmask=0,1,2\r\n"
         "anchors=1,1,2,2,3,3,4,4\r\nnum=4\r\nclasses=1\r\n")


def test_fix_applies_safe_fixes_and_keeps_every_other_byte(tmp_path, capsys):
    p = write(tmp_path, "a.cfg", FIXABLE)
    code, out, _ = run("validate", "--concise", "--fix", p)
    assert p.read_bytes() == FIXED.encode()
    assert f"{p}: fixed 4 findings" in out
    assert code == 0 and codes(out) == ["DN304"]        # anchor 3 unused: not fixable, a warning
    code, out, _ = run("validate", "--concise", "--fix", p)     # idempotent
    assert p.read_bytes() == FIXED.encode() and "fixed" not in out


def test_diff_shows_the_change_and_writes_nothing(tmp_path, capsys):
    p = write(tmp_path, "a.cfg", FIXABLE)
    code, out, _ = run("validate", "--diff", p)
    assert code == 1 and p.read_bytes() == FIXABLE.encode()
    assert out.startswith(f"--- a/{p}\n+++ b/{p}\n")
    assert "-filters=255   # 80 classes\r\n+# 80 classes\r\n+filters=18\r\n" in out
    clean = write(tmp_path, "b.cfg", FIXED)
    assert run("validate", "--diff", clean) == (0, "", "")


def test_fix_keeps_bytes_that_are_not_utf8(tmp_path, capsys):
    """Latin-1 and GBK comments, a stray byte in a value: --fix rewrites only the fixed lines."""
    latin1, gbk = "# café\r\n".encode("latin-1"), "# 检测层\r\n".encode("gbk")
    data = FIXABLE.encode().replace(b"# keep me\r\n", latin1 + gbk + b"# keep me\r\n") + b"# \xff\xfe\x80\r\n"
    p = write(tmp_path, "a.cfg", data)
    code, out, _ = run("validate", "--concise", "--fix", p)
    assert f"{p}: fixed 4 findings" in out and code == 0 and codes(out) == ["DN304"]
    assert p.read_bytes() == FIXED.encode().replace(b"# keep me\r\n", latin1 + gbk + b"# keep me\r\n") + \
        b"# \xff\xfe\x80\r\n"


def test_fix_leaves_a_nul_file_alone_when_nothing_is_fixable(tmp_path, capsys):
    p = write(tmp_path, "bin.cfg", b"[net]\n\x00\xff")
    code, out, err = run("validate", "--concise", "--fix", p)
    assert code == 1 and p.read_bytes() == b"[net]\n\x00\xff" and "DN120" in out and "Traceback" not in out + err


def test_fix_refuses_a_round_that_makes_things_worse():
    from cfggen.findings import replace
    from cfggen.cfg.parse import parse
    from cfggen.lint.engine import analyze
    from cfggen.lint.fix import fix_analysis
    from cfggen.lint.model import Diagnostic, Edit, Fix
    a = analyze(parse(PARTIAL, "x.cfg"), "native")
    bad = Diagnostic("DN102", "x", line=1, fix=Fix("break it", (Edit(1, "[nett]"),)), severity="warning", name="x")
    result = fix_analysis(replace(a, findings=a.findings + (bad,)), lambda d: analyze(d, "native"))
    assert result.refused == "refused: the fixed text has 1 DN112 error(s), the original 0" and not result.changed


# ------------------------------------------------------------------------------------------------
# dataset files

HEAD = NET + "\n[convolutional]\nfilters=24\nsize=1\nactivation=linear\n\n[yolo]\nmask=0,1,2\nanchors=1,1,2,2,3,3\nnum=3\nclasses=3\n"


def test_names_count_must_equal_classes(tmp_path, capsys):
    p = write(tmp_path, "a.cfg", HEAD)
    ok = write(tmp_path, "ok.names", "cat\ndog\nbird\n")
    assert run("validate", "--names", ok, p)[0] == 0
    bad = write(tmp_path, "bad.names", "cat\ndog\nbird\n\n")
    code, out, _ = run("validate", "--concise", "--names", bad, p)
    assert code == 1 and f"{p}:15:1: error: classes=3 but {bad} has 4 names, 1 of them empty" in out


def test_data_file_resolves_names_next_to_it_and_compares_classes(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    p = write(tmp_path, "a.cfg", HEAD)
    write(tmp_path, "data/obj.names", "a\nb\n")
    data = write(tmp_path, "data/obj.data", "classes = 2\n# comment\ntrain = train.txt\nnames = obj.names\n")
    code, out, _ = run("validate", "--concise", "--data", data, p)
    assert code == 1
    assert "classes=3 but " in out and "obj.names has 2 names" in out and "obj.data says classes=2" in out


def test_names_count_is_darknets_fgetl_count_blank_and_crlf_lines_included(tmp_path, capsys):
    # get_labels = get_paths over fgetl (reference 13.5): CR-LF endings stripped, a blank (or CR-only)
    # line is a name, a final LF adds nothing; DN408 and the dataset checks share this one reader
    p = write(tmp_path, "a.cfg", HEAD)
    crlf = tmp_path / "crlf.names"
    crlf.write_bytes(b"cat\r\n\r\ndog\r\nbird\r\n")
    code, out, _ = run("validate", "--concise", "--names", str(crlf), p)
    assert code == 1 and f"classes=3 but {crlf} has 4 names, 1 of them empty" in out


def test_names_file_with_a_nul_byte_is_unreadable_input_at_its_line(tmp_path, capsys):
    # darknet's fgetl ends the line's string at the NUL (strlen) and, seeing no LF there, appends the next
    # fgets read: the rest of that line is lost and the next line joins it ("a\0x\nb\n" -> the one name
    # "ab"). Counting lines (2 here) would be a count darknet never sees: the file is refused, exit 2,
    # as `validate --data` refuses it.
    p = write(tmp_path, "a.cfg", HEAD)
    nul = tmp_path / "nul.names"
    nul.write_bytes(b"cat\ndo\0g\nbird\nfish\n")
    code, out, err = run("validate", "--concise", "--names", str(nul), p)
    assert code == 2 and "classes=" not in out
    assert err.strip() == (f"{nul}:2: error: binary data (a NUL byte) in the names file: not a text file (hint: "
                           "darknet's fgetl ends the name at the NUL and glues the next line on: it reads 3 names, "
                           "not 4)")


@pytest.mark.parametrize("args, fragment", [
    (("--data", "nope.data"), "nope.data: error: no such .data file"),
    (("--names", "nope.names"), "nope.names: error: no such names file"),
])
def test_missing_dataset_file_is_a_usage_error(tmp_path, capsys, monkeypatch, args, fragment):
    monkeypatch.chdir(tmp_path)
    p = write(tmp_path, "a.cfg", HEAD)
    code, out, err = run("validate", *args, p)
    assert code == 2 and out == "" and err.strip() == fragment


def test_data_file_whose_names_file_is_missing(tmp_path, capsys, monkeypatch):
    # a dataset fact (darknet's "Couldn't open file" in train -map, map, test), not unusable input
    monkeypatch.chdir(tmp_path)
    p = write(tmp_path, "a.cfg", HEAD)
    data = write(tmp_path, "obj.data", "names=data/none.names\n")
    code, out, err = run("validate", "--concise", "--data", data, p)
    assert code == 1 and err == ""
    assert f"{data}:1:1: error: names=data/none.names: no such file" in out and "[DN442 dataset-file-missing]" in out


# ------------------------------------------------------------------------------------------------
# cfggen rules

def test_rules_lists_every_rule(capsys):
    from cfggen.lint.rules import RULES
    code, out, _ = run("rules")
    assert code == 0
    rows = out.splitlines()
    assert rows[0].split()[:4] == ["code", "slug", "severity", "scope"]
    assert [r.split()[0] for r in rows[1:-1]] == list(RULES)
    assert rows[-1].startswith(f"{len(RULES)} rules")
    assert any(r.startswith("DN301") and " safe " in r for r in rows)


def test_rules_code_prints_the_documentation(capsys):
    code, out, _ = run("rules", "head-filters-mismatch")
    assert code == 0 and out.startswith("DN301 head-filters-mismatch (default severity: error; scope: infer)")
    assert "**FAIL**" in out and "**PASS**" in out and "*Fix safety*: safe" in out
    code, out, err = run("rules", "DN3O1")
    assert code == 2 and "no rule 'DN3O1'; did you mean DN301?" in err
    code, out, _ = run("rules", "--format", "json", "DN110")
    assert json.loads(out)["fix"] == "safe"


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e300"])
def test_non_finite_resize_step_is_a_finding_not_a_crash(tmp_path, capsys, value):
    """Regression: int(float('nan')) used to escape from the multi-scale size computation (exit 3)."""
    text = (NET + f"resize_step={value}\n\n[convolutional]\nfilters=18\nsize=1\nactivation=linear\n\n"
            "[yolo]\nmask=0,1,2\nanchors=1,1,2,2,3,3\nnum=3\nclasses=1\nrandom=1\n")
    code, out, err = run("validate", "--concise", write(tmp_path, "a.cfg", text))
    assert code == 1 and err == "" and codes(out) == ["DN107"] and ":5:13: error: resize_step=" in out


def test_diffs_carry_the_files_own_bytes_under_a_strict_stdout(tmp_path):
    """validate --diff and adapt --diff write undecodable bytes as they are (the diff applies with patch),
    even where Python's stdout would refuse them (PYTHONIOENCODING=utf-8:strict)."""
    import os
    import subprocess
    import sys
    from conftest import REPO
    p = tmp_path / "a.cfg"
    p.write_bytes(b"[net]\nwidth=32\nheight=32\nchannels=3\n# caf\xe9\nbatch=1 # \xe9\n[convolutional]\nfilters=4\n"
                  b"size=1\n[yolo]\nclasses=1\nnum=1\nmask=0\n# \xbc\xec\n")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "PYTHONPATH": str(REPO)}
    v = subprocess.run([sys.executable, "-m", "cfggen", "validate", "--diff", str(p)], capture_output=True, env=env)
    assert v.returncode == 1 and b"-batch=1 # \xe9\n+# \xe9\n+batch=1\n" in v.stdout and b"Traceback" not in v.stderr
    a = subprocess.run([sys.executable, "-m", "cfggen", "adapt", "--classes", "2", "--diff", str(p)],
                       capture_output=True, env=env)
    assert a.returncode == 0 and b"\xbc\xec" in a.stdout and b"+classes=2" in a.stdout, a.stderr
