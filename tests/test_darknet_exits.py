"""Cfgs darknet exits or crashes on must not pass (issue #14, part 2): one test per case."""
from __future__ import annotations

import json

import pytest

from cfggen.cfg import parse
from cfggen.lint.engine import analyze

from conftest import run_cli

NET = "[net]\nwidth=32\nheight=32\nchannels=3\n"
CONV = "[convolutional]\nfilters=4\nsize=1\n"


def errors(text: str) -> list[tuple[str, int]]:
    return [(d.code, d.line) for d in analyze(parse(text), "native").findings if d.severity == "error"]


def test_net_without_layers_is_an_error():
    """darknet prints an empty layer table and dies with SIGFPE."""
    assert errors(NET) == [("DN114", 1)]
    assert errors(NET + "# only a comment\n") == [("DN114", 1)]
    assert ("DN114", 1) not in errors(NET + CONV)


@pytest.mark.parametrize("wn,line", [(None, 13), ("none", 14)])
def test_weighted_shortcut_without_normalization_exits(wn, line):
    text = NET + CONV + CONV + "[shortcut]\nfrom=-2\nweights_type=per_feature\n" + (
        f"weights_normalization={wn}\n" if wn else "")
    assert errors(text) == [("DN116", line)]


@pytest.mark.parametrize("wn", ["relu", "avg_relu", "softmax"])
def test_weighted_shortcut_with_normalization_builds(wn):
    text = NET + CONV + CONV + f"[shortcut]\nfrom=-2\nweights_type=per_channel\nweights_normalization={wn}\n"
    assert errors(text) == []


def test_unweighted_shortcut_ignores_normalization():
    assert errors(NET + CONV + CONV + "[shortcut]\nfrom=-2\nweights_normalization=none\n") == []


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_bytes(text.encode())
    return str(p)


@pytest.mark.parametrize("text,code,line", [
    ("[net\nwidth=32\nheight=32\nchannels=3\n" + CONV, "DN112", 1),        # darknet: not a [net] section
    ("[network\nwidth=32\n" + CONV, "DN112", 1),
    (NET + "[convolutional\nfilters=4\n", "DN101", 5),                     # an unknown type, a zero layer
    ("[Net]\nwidth=32\n" + CONV, "DN112", 1),
    ("[net]#x\nwidth=32\n" + CONV, "DN112", 1),
])
def test_broken_header_is_validated_not_skipped(tmp_path, text, code, line):
    p = write(tmp_path, "a.cfg", text)
    rc, out, err = run_cli("validate", "--concise", "--format", "json", p)
    (f,) = json.loads(out)["files"]
    assert rc == 1 and f["status"] == "checked"
    assert (code, line) in [(d["rule"], d["line"]) for d in f["findings"]]


@pytest.mark.parametrize("text", ["[metadata]\nname = x\n[options]\npackages = x\n", "[tox]\nenvlist = py3\n",
                                  "[testenv]\ncommands = pytest\n"])
def test_files_without_any_darknet_section_are_skipped_but_listed(tmp_path, text):
    p = write(tmp_path, "setup.cfg", text)
    good = write(tmp_path, "b.cfg", NET + CONV)
    rc, out, err = run_cli("validate", "--format", "json", p, good)
    files = json.loads(out)["files"]
    assert rc == 0 and [(f["path"], f["status"]) for f in files] == [(p, "skipped"), (good, "checked")]


def test_unreadable_paths_are_listed_and_exit_2(tmp_path):
    good = write(tmp_path, "b.cfg", NET + CONV)
    missing = str(tmp_path / "nope.cfg")
    rc, out, err = run_cli("validate", "--format", "json", missing, good)
    files = json.loads(out)["files"]
    assert rc == 2 and [(f["path"], f["status"]) for f in files] == [(missing, "unreadable"), (good, "checked")]
    assert "no such file" in files[0]["reason"]
