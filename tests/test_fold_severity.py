"""A note about another reader never hides what darknet does (issue 20), on cfgs written for each pattern.

- a darknet stop is its own error at the layer darknet stops at, whatever note (DN121) folds the rest;
- a folded group is as severe as the worst finding it folds (silu run as ReLU is an error), and the
  exact renames (silu -> swish) are offered as a fix;
- stray lines of numbers change nothing: one warning for all of them;
- readers: OpenCV's setYolo mask assert, hank-ai's share_layer error path, "same network as AlexeyAB"
  only when AlexeyAB loads the file, reader findings grouped like the catalogue's.
"""
from __future__ import annotations

import json

import pytest

from cfggen.cfg.parse import parse
from cfggen.lint.engine import analyze
from cfggen.lint.fix import fix_analysis
from cfggen.lint.group import absorb, places
from cfggen.lint.model import Diagnostic, Edit, Fix
from cfggen.report.verdicts import verdict_lines
from cfggen.targets import check

from conftest import run_cli

NET = "[net]\nwidth=64\nheight=64\nchannels=3\n\n"


def conv(filters=8, act="leaky", size=3, extra=""):
    return f"[convolutional]\nbatch_normalize=1\nfilters={filters}\nsize={size}\npad=1\nactivation={act}\n{extra}\n"


HEAD = "[convolutional]\nfilters=18\nsize=1\nactivation=linear\n\n[yolo]\nmask=0,1,2\nanchors=10,13, 16,30, 33,23\n" \
       "classes=1\nnum=3\n"


def findings(text: str, sizes="training"):
    return analyze(parse(text, "t.cfg"), sizes).findings


def line_of(text: str, needle: str, nth: int = 1) -> int:
    lines = text.split("\n")
    hits = [i + 1 for i, line in enumerate(lines) if line == needle]
    return hits[nth - 1]


# ------------------------------------------------------------------------------------------------
# 1. a darknet exit after a YOLOR section is its own error at the layer darknet stops at

@pytest.mark.parametrize("section", ["[implicit_add]\nfilters=8\n", "[implicit_mul]\nfilters=8\n",
                                     "[shift_channels]\nfrom=0\n", "[control_channels]\nfrom=0\n"])
def test_yolor_section_before_a_conv_is_darknets_exit_at_that_conv(section):
    text = NET + conv(act="silu") + section + "\n" + conv(act="silu") + conv(act="silu") + HEAD
    found = findings(text)
    # layer 0 conv, layer 1 the YOLOR section (an empty layer), layer 2 the conv darknet stops at
    (stop,) = [d for d in found if d.code == "DN209"]
    assert (stop.severity, stop.layer, stop.line) == ("error", 2, line_of(text, "[convolutional]", 2))
    assert "Layer before convolutional layer must output image" in stop.message
    assert section.split("\n")[0] in stop.message and stop.related[-1][0] == line_of(text, section.split("\n")[0])
    # the note still explains the file (and stands for the unknown section and the silu lines)
    (note,) = [d for d in found if d.code == "DN121"]
    assert note.severity == "error" and not [d for d in found if d.code in ("DN101", "DN108")]
    # AlexeyAB's verdict names the same layer
    v = check(parse(text, "t.cfg"), ["alexeyab"])["alexeyab"]
    assert v.status == "error" and (v.reason.code, v.reason.layer) == ("DN209", 2)


def test_darknet_goes_on_when_no_layer_needs_the_empty_layer_and_crashes_when_run():
    """A [route] past the empty layers (YOLOR's implicit block before the heads): darknet loads the file;
    running it crashes at the first all-zero layer (no forward function): an error there, not folded."""
    text = NET + conv(act="silu") + conv(act="silu") + conv(act="silu") + "[implicit_add]\nfilters=8\n\n" + \
        "[implicit_mul]\nfilters=8\n\n[route]\nlayers=2\n\n" + HEAD
    found = findings(text)
    assert [d.code for d in found] == ["DN121", "DN101"]
    crash = found[1]
    assert (crash.severity, crash.layer, crash.line) == ("error", 3, line_of(text, "[implicit_add]"))
    assert "running the network crashes here" in crash.message
    assert check(parse(text, "t.cfg"), ["alexeyab"])["alexeyab"].status == "ok"      # it loads


def test_a_typo_section_keeps_its_error_and_the_exit_is_reported_where_darknet_stops():
    text = NET + conv() + "[convolutinal]\nfilters=8\n\n" + conv() + HEAD
    got = {(d.code, d.layer, d.severity) for d in findings(text, "native")}
    assert {("DN101", 1, "error"), ("DN209", 2, "error")} <= got


def test_after_a_real_stop_nothing_is_reported_twice():
    """A layer poisoned by an earlier stop stays quiet, empty layer or not."""
    text = NET + conv() + "[route]\nlayers=5\n\n[implicit_add]\nfilters=8\n\n" + conv() + HEAD
    codes = [d.code for d in findings(text, "native") if d.severity == "error"]
    assert codes.count("DN209") == 0 and "DN207" in codes


# ------------------------------------------------------------------------------------------------
# 2. folding follows the severity rule; silu gets darknet's name and a fix

SILU = NET + "".join(conv(act="silu") for _ in range(6)) + HEAD


def test_silu_everywhere_is_one_error_that_names_swish_and_fix_renames_every_layer():
    found = findings(SILU)
    (note,) = found
    assert (note.code, note.severity) == ("DN121", "error") and "swish" in note.message
    assert note.fix is not None and note.fix.safe and len(note.fix.edits) == 6
    result = fix_analysis(analyze(parse(SILU, "t.cfg")), lambda doc: analyze(doc))
    assert result.refused is None and result.analysis.findings == ()
    assert "silu" not in result.text and result.text.count("activation=swish") == 6
    assert result.text == SILU.replace("activation=silu", "activation=swish")


def test_a_yolor_note_offers_the_renames_but_does_not_apply_them():
    text = NET + conv(act="silu") + conv(act="silu") + "[implicit_add]\nfilters=8\n\n[route]\nlayers=1\n\n" + HEAD
    note, crash = findings(text)
    assert crash.code == "DN101"
    assert note.severity == "error" and note.fix is not None and not note.fix.safe
    assert fix_analysis(analyze(parse(text, "t.cfg")), lambda doc: analyze(doc)).text == text


@pytest.mark.parametrize("name,fixed", [("silu", "swish"), ("sigmoid", "logistic"), ("identity", "linear"),
                                        ("LEAKY", "leaky"), ("hardtanh", "hardtan"), ("leakyrelu", None),
                                        ("lrelu", None), ("foo", None)])
def test_one_unknown_activation_is_fixed_only_where_the_rename_is_exact(name, fixed):
    text = NET + conv(act=name) + conv() + conv() + conv() + HEAD
    (d,) = [d for d in findings(text, "native") if d.code == "DN108"]
    assert d.severity == "error"
    if fixed is None:
        assert d.fix is None          # leakyrelu is PyTorch's slope 0.01: not darknet's leaky
    else:
        assert d.fix.safe and d.fix.edits == (Edit(d.line, f"activation={fixed}"),)


def test_absorb_raises_the_winner_to_the_worst_finding_it_stands_for():
    note = Diagnostic("DN121", "note", line=1, severity="warning", extra={"covers": frozenset({5, 9}),
                                                                          "fixed_by_folded": True})
    err = Diagnostic("DN108", "silu", line=5, severity="error", fix=Fix("a", (Edit(5, "x"),)))
    warn = Diagnostic("DN102", "key", line=9, severity="warning")
    (out,) = absorb([note, err, warn])
    assert out.severity == "error"
    assert out.fix is not None and not out.fix.safe      # DN102 had no fix: the note's fix is only offered
    (out,) = absorb([note, warn])
    assert out.severity == "warning" and out.fix is None


# ------------------------------------------------------------------------------------------------
# 3. stray lines of numbers: one warning for the run

STRAY = NET + "[convolutional]\nfilters=18\nsize=1\nactivation=linear\n\n[yolo]\nmask=0,1,2\nanchors=10,13, 16,30, 33,23\n" \
    "12, 16, 19, 36, 40, 28\n36, 75, 76, 55, 72, 146\n142, 110, 192, 243, 459, 401\nclasses=1\nnum=3\n"


def test_stray_number_lines_are_one_warning():
    found = findings(STRAY)
    (d,) = found
    first = line_of(STRAY, "12, 16, 19, 36, 40, 28")
    assert (d.code, d.severity, d.line) == ("DN105", "warning", first)
    assert [line for line, _ in places(d)] == [first, first + 1, first + 2]
    assert "and 2 more lines" in d.message


def test_a_number_line_continuing_a_value_is_an_error():
    text = STRAY.replace("anchors=10,13, 16,30, 33,23\n12, 16, 19, 36, 40, 28\n36, 75, 76, 55, 72, 146\n"
                         "142, 110, 192, 243, 459, 401\n", "anchors=10,13, 16,30,\n33,23\n")
    d = next(d for d in findings(text, "native") if d.code == "DN105")
    assert d.severity == "error" and "does not continue anchors=" in d.message


def test_a_stray_word_line_stays_as_it_was():
    text = NET.replace("channels=3\n", "channels=3\nthis is the training block\n") + conv() + HEAD
    (d,) = [d for d in findings(text, "native") if d.code == "DN105"]
    assert d.severity == "warning" and "numbers" not in d.message


# ------------------------------------------------------------------------------------------------
# 4. OpenCV: setYolo's mask assert

def _mask_cfg(mask: str) -> str:
    return NET + conv(filters=30, size=1, act="linear") + f"[yolo]\nmask={mask}\nanchors=10,13, 16,30, 33,23, " \
        "30,61, 62,45, 59,119, 116,90, 156,198, 373,326\nclasses=5\nnum=9\n"


@pytest.mark.parametrize("mask,ok", [("8,9", False), ("6,7,8", True), ("-1", False), ("8,10,11", False), ("8,", True)])
def test_opencv_asserts_on_a_mask_index_outside_the_anchors(mask, ok):
    text = _mask_cfg(mask)
    v = check(parse(text, "t.cfg"), ["opencv"])["opencv"]
    if ok:
        assert v.status == "ok"
        return
    assert (v.status, v.reason.code) == ("error", "CV103")
    assert v.reason.line == line_of(text, f"mask={mask}") and "setYolo" in v.reason.message


def test_opencv_mask_prediction_matches_cv2(tmp_path):
    cv2 = pytest.importorskip("cv2")
    for mask in ("8,9", "6,7,8", "-1", "0,x,9"):
        text = _mask_cfg(mask)
        path = tmp_path / "m.cfg"
        path.write_text(text)
        try:
            cv2.dnn.readNetFromDarknet(str(path))
            real = "ok"
        except cv2.error as e:
            real = "error" if "setYolo" in str(e) else f"other: {e}"
        assert check(parse(text, "m.cfg"), ["opencv"])["opencv"].status == real, mask


# ------------------------------------------------------------------------------------------------
# 5/6. readers: AlexeyAB's own verdict, hank-ai's share_layer error, grouping

SHORTCUT = NET + conv().replace("pad=1", "stride=2\npad=1") + conv().replace("pad=1", "stride=2\npad=1") + \
    "[shortcut]\nfrom=-2\nactivation=linear\n"


@pytest.mark.parametrize("text", [SHORTCUT, "hello there\n" + NET + conv() + conv()], ids=["shortcut", "text-first"])
def test_a_reader_never_says_same_network_as_alexeyab_when_alexeyab_rejects(text):
    verdicts = check(parse(text, "t.cfg"), ["hank-ai"])
    v = verdicts["hank-ai"]
    assert v.status == "ok" and v.extra["alexeyab"][0] in ("error", "crash")
    (head,) = verdict_lines("t.cfg", verdicts)
    assert "same network" not in head and "AlexeyAB does not" in head
    assert f"line {v.extra['alexeyab'][1].line}" in head


def test_fix_target_hank_ai_says_what_alexeyab_does(tmp_path):
    path = tmp_path / "s.cfg"
    path.write_text(SHORTCUT)
    rc, out, err = run_cli("validate", "--fix", "--target", "hank-ai", str(path))
    assert rc == 1
    line = next(x for x in out.splitlines() if ": hank-ai: " in x)
    assert "AlexeyAB does not: error at line" in line and "same network" not in line


def test_same_network_is_still_said_when_alexeyab_loads():
    verdicts = check(parse(NET + conv() + conv(), "t.cfg"), ["hank-ai"])
    assert verdict_lines("t.cfg", verdicts) == ["t.cfg: hank-ai: ok (loads, same network as AlexeyAB)"]


def test_hank_ai_stops_on_a_share_index_mismatch_through_its_error_path():
    text = NET + conv() + conv(filters=16, extra="share_index=0")
    v = check(parse(text, "t.cfg"), ["hank-ai"])["hank-ai"]
    assert (v.status, v.reason.code) == ("error", "HK201")
    assert v.reason.message == "Layer size, nweights, channels or filters don't match for the share_layer"
    assert v.reason.line == line_of(text, "share_index=0")
    ok = NET + conv(filters=3) + conv(filters=3, extra="share_index=0")   # same size, filters, channels
    assert check(parse(ok, "t.cfg"), ["hank-ai"])["hank-ai"].status == "ok"


def test_alexeyab_goes_on_after_a_share_index_mismatch_within_the_shared_kernel():
    """make_convolutional_layer prints the share_layer message, waits on getchar() and builds the network:
    an error (the layer computes with another kernel's weights), not an exit; hank-ai still stops."""
    text = NET + conv() + conv(filters=2, extra="share_index=-1")   # 8 -> 2 channels: 144 of layer 0's 216 weights
    found = [d for d in findings(text) if d.code in ("DN211", "DN220")]
    assert [(d.code, d.severity, d.line) for d in found] == [("DN220", "error", line_of(text, "share_index=-1"))]
    assert "waits for Enter and goes on" in found[0].message and "exit" not in found[0].message
    verdicts = check(parse(text, "t.cfg"), ["alexeyab", "hank-ai"])
    assert verdicts["alexeyab"].status == "ok"
    assert (verdicts["hank-ai"].status, verdicts["hank-ai"].reason.code) == ("error", "HK201")


@pytest.mark.parametrize("between, filters, words", [
    ("", 16, "heap overflow"),                                  # 8 -> 16 channels: 1152 weights into 216
    ("[maxpool]\nsize=2\nstride=2\n\n", 8, "not a convolutional layer"),
])
def test_alexeyab_crashes_when_a_mismatched_share_writes_past_the_shared_weights(between, filters, words):
    text = NET + conv() + between + conv(filters=filters, extra="share_index=-1")
    found = [d for d in findings(text) if d.code in ("DN211", "DN220")]
    assert [(d.code, d.line) for d in found] == [("DN211", line_of(text, "share_index=-1"))]
    assert words in found[0].message and "waits for Enter" in found[0].message
    assert check(parse(text, "t.cfg"), ["alexeyab"])["alexeyab"].status == "crash"


def test_a_share_of_a_sharing_layer_compares_with_its_own_kernel():
    """darknet compares with the shared layer's own size/nweights/c/n, also when that layer shares in turn
    (it has no parameters of its own in the weights file, but its nweights is its kernel's)."""
    text = NET + conv() + conv() + conv(extra="share_index=1") + conv(extra="share_index=2")
    assert [d.code for d in findings(text) if d.code in ("DN211", "DN220")] == []
    assert check(parse(text, "t.cfg"), ["alexeyab"])["alexeyab"].status == "ok"


def test_reader_findings_are_grouped_and_json_lists_the_places(tmp_path):
    """The same OpenCV difference in three layers is one finding, its places in 'related'."""
    block = "[shortcut]\nfrom=-2\nweights_type=per_feature\nweights_normalization=relu\nactivation=linear\n\n"
    text = NET + conv() + conv() + block + conv() + block + conv() + block
    path = tmp_path / "w.cfg"
    path.write_text(text)
    rc, out, err = run_cli("validate", "--format", "json", "--target", "opencv", str(path))
    (f,) = json.loads(out)["files"]
    cv = f["targets"]["opencv"]["findings"]
    wt = [d for d in cv if "weights_type=" in d["message"]]
    assert len(wt) == 1 and "… and 2 more layers" in wt[0]["message"]
    assert {r["line"] for r in wt[0]["related"]} >= {line_of(text, "weights_type=per_feature", k) for k in (2, 3)}
