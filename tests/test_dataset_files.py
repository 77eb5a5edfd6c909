"""cfggen.dataset.files: darknet's own reading of .data files, lists, label paths and label files (§13)."""
import numpy as np
import pytest

from cfggen.dataset.files import (fgetl_lines, label_path, label_path_message, read_data, read_label_set,
                                  read_labels, read_list, read_names)
from cfggen.errors import CfggenError


def test_fgetl_keeps_blank_lines_and_removes_lf_and_the_cr_before_it():
    assert fgetl_lines(b"a\r\n\nb\n") == [b"a", b"", b"b"]
    assert fgetl_lines(b"a\nb") == [b"a", b"b"]              # no final LF: still a line
    assert fgetl_lines(b"a\nb\r") == [b"a", b"b\r"]          # a CR ending the last line stays (§13.2)
    assert fgetl_lines(b"a\nxy\rz") == [b"a", b"xy"]         # fgetl looks two characters back
    assert fgetl_lines(b"") == []


def test_data_file_first_key_wins_blanks_deleted_empty_value_is_darknets_error(tmp_path):
    p = tmp_path / "obj.data"
    p.write_text("# comment\nclasses = 2\ntrain = my list.txt\n;x\nnames=\ntrain=other.txt\nbackup\n")
    d = read_data(str(p))
    assert d.get("classes") == "2"
    assert d.get("train") == "mylist.txt" and d.line("train") == 3      # spaces deleted, first one wins
    assert [(o.key, f.line) for o, f in d.duplicates()] == [("train", 3)]
    assert d.errors == ((5, "Config file error line 5, could parse: names"),)
    assert d.get("names") is None and d.get("names", "data/names.list") == "data/names.list"
    assert d.option("backup").value is None and d.get("backup", "/backup/") == "/backup/"


def test_unreadable_data_file_is_an_input_error_with_location(tmp_path):
    with pytest.raises(CfggenError) as e:
        read_data(str(tmp_path / "none.data"))
    assert "none.data" in str(e.value)
    junk = tmp_path / "junk.data"
    junk.write_bytes(b"train=a\nx\0y\n")
    with pytest.raises(CfggenError) as e:
        read_data(str(junk))
    assert str(e.value).startswith(f"{junk}:2: error:")


def test_list_keeps_blank_and_untrimmed_entries_with_line_numbers(tmp_path):
    p = tmp_path / "train.txt"
    p.write_bytes(b"img/a.jpg\r\n\nimg/b.png  \n")
    assert [(e.path, e.line) for e in read_list(str(p))] == [("img/a.jpg", 1), ("", 2), ("img/b.png  ", 3)]
    n = tmp_path / "obj.names"
    n.write_text("a\n\nb\n")
    assert read_names(str(n)) == ["a", "", "b"]


def test_names_reader_counts_as_darknet_and_refuses_a_nul_byte(tmp_path):
    """The one names reader (the dataset checks and DN408): darknet's get_labels over fgetl."""
    from cfggen.lint.rules.DN408 import count_names
    n = tmp_path / "crlf.names"
    n.write_bytes(b"a \r\n\r\n\nb\r\nc\r")          # a CR ending the last line without LF stays
    assert read_names(str(n)) == ["a ", "", "", "b", "c\r"]
    assert count_names(str(n)) == (5, 2)                 # two blank names
    # darknet's fgetl joins "x" and the next line after a NUL (strlen stops there, no LF seen): a count
    # of lines would be wrong, so the file is unreadable input at the NUL's line
    nul = tmp_path / "nul.names"
    nul.write_bytes(b"a\nb\0x\nc\n")
    for reader in (read_names, count_names):
        with pytest.raises(CfggenError) as e:
            reader(str(nul))
        assert str(e.value) == (f"{nul}:2: error: binary data (a NUL byte) in the names file: not a text file "
                                "(hint: darknet's fgetl ends the name at the NUL and glues the next line on: it "
                                "reads 2 names, not 3)")
    nul.write_bytes(b"a\nb\0x")                                 # the last line: nothing to glue on
    with pytest.raises(CfggenError) as e:
        read_names(str(nul))
    assert e.value.line == 2 and e.value.hint == "darknet's fgetl ends the name at the NUL"


@pytest.mark.parametrize("image, label", [
    ("data/obj/a.jpg", "data/obj/a.txt"),
    ("data/images/h.jpg", "data/images/h.txt"),               # no general /images/ rule
    ("coco/images/train2017/1.jpg", "coco/labels/train2017/1.txt"),
    ("VOC/JPEGImages/x.JPEG", "VOC/labels/x.txt"),
    ("a.jpg.png", "a.jpg.txt"),
    ("a.jpg.jpg", "a.jpg.jpg"),                               # the first .jpg is not at the end
    ("  img/x.png \t", "img/x.txt"),                          # trimmed (the image path is not)
    ("img/x.png\r", "img/x.png\r"),                           # CR is not trimmed
    ("a.Jpg", "a.Jpg"), ("b.tif", "b.tif"), ("c.txt", "c.txt"),
])
def test_label_path_is_replace_image_to_label(image, label):
    assert label_path(image) == label


def test_label_path_messages():
    assert label_path_message("a.Jpg") == ("Failed to infer label file name (check image extension is "
                                           "supported): a.Jpg ")
    assert label_path_message(".txt") == "Label file name is too short: .txt "
    assert label_path_message("a/b.txt") is None


def _labels(tmp_path, text: bytes):
    p = tmp_path / "l.txt"
    p.write_bytes(text)
    return read_labels(str(p))


def test_clean_file_fast_path(tmp_path):
    f = _labels(tmp_path, b"\n0 0.5 0.5 0.2 0.3\r\n\n1 .1 .2 .3 .4\n")
    assert f.status == "ok" and f.issues == ()
    assert f.ids.tolist() == [0, 1] and f.ids.dtype == np.int32
    assert f.xywh.dtype == np.float32 and f.xywh[1].tolist() == np.float32([.1, .2, .3, .4]).tolist()
    assert f.lines.tolist() == [2, 4]


def test_a_line_of_four_numbers_shifts_the_next_box(tmp_path):
    f = _labels(tmp_path, b"0 0.5 0.5 0.3\n1 0.3 0.4 0.2 0.5\n")
    assert f.ids.tolist() == [0, 0]                  # §13.4: the class id is read from "0.3"
    assert f.xywh[0].tolist() == np.float32([.5, .5, .3, 1]).tolist()
    assert f.xywh[1].tolist() == np.float32([.3, .4, .2, .5]).tolist()
    assert [(i.line, i.kind) for i in f.issues] == [(1, "shift")]
    assert "line 1 has 4 numbers" in f.issues[0].message


def test_six_numbers_make_the_sixth_the_next_class_id(tmp_path):
    f = _labels(tmp_path, b"0 .5 .5 .3 .3 7\n1 .3 .4 .2 .5\n")
    assert f.ids.tolist() == [0, 7]
    assert [(i.line, i.kind) for i in f.issues] == [(1, "shift"), (2, "stop")]


def test_a_comment_stops_reading_and_everything_after_is_lost(tmp_path):
    f = _labels(tmp_path, b"0 .5 .5 .3 .3\n# note\n1 .1 .1 .1 .1\n")
    assert f.ids.tolist() == [0]
    stop = f.stop
    assert (stop.line, stop.col, stop.kind) == (2, 1, "stop")
    assert "'#'" in stop.message and "1 non-blank line after it" in stop.message


def test_comma_separated_values_read_nothing(tmp_path):
    f = _labels(tmp_path, b"0,0.5,0.5,0.1,0.1\n")
    assert len(f) == 0 and f.stop.line == 1 and not f.empty


def test_nan_and_inf_are_numbers_and_empty_file_is_a_negative_sample(tmp_path):
    f = _labels(tmp_path, b"0 .5 .5 nan inf\n")
    assert len(f) == 1 and np.isnan(f.xywh[0, 2]) and np.isinf(f.xywh[0, 3])
    assert _labels(tmp_path, b"\n \n").empty


def test_missing_label_file_is_a_status(tmp_path):
    f = read_labels(str(tmp_path / "none.txt"))
    assert f.status == "missing" and len(f) == 0
    assert read_labels(str(tmp_path)).status == "unreadable"


def test_label_set_equals_one_by_one(tmp_path):
    texts = [b"0 .5 .5 .1 .1\n2 .2 .2 .2 .2\n", b"", b"1 .5 .5 .3\n1 .1 .1 .1 .1\n", b"3 .9 .9 .05 .05"]
    paths = []
    for k, t in enumerate(texts):
        p = tmp_path / f"{k}.txt"
        p.write_bytes(t)
        paths.append(str(p))
    paths.append(str(tmp_path / "missing.txt"))
    many = read_label_set(paths)
    for a, p in zip(many, paths):
        b = read_labels(p)
        assert (a.status, a.ids.tolist(), a.xywh.tolist(), a.lines.tolist(), a.issues) == \
               (b.status, b.ids.tolist(), b.xywh.tolist(), b.lines.tolist(), b.issues)
    assert many[3].ids.tolist() == [3]


# ------------------------------------------------------------------------------------------------
# the fast paths equal darknet's rules written out plainly

from hypothesis import given, settings, strategies as st  # noqa: E402

from cfggen.dataset.files import _EXTENSIONS, _FOLDERS, _convert, _plain, _scan  # noqa: E402


def _label_path_reference(path: str) -> str:
    """replace_image_to_label step by step: every find_replace and find_replace_extension call in order."""
    out = path
    for old, new in _FOLDERS:
        at = out.find(old)
        if at >= 0:
            out = out[:at] + new + out[at + len(old):]
    out = out.strip(" \t")
    for ext in _EXTENSIONS:
        at = out.find(ext)
        if at >= 0 and len(out) - at == len(ext):
            out = out[:at] + ".txt" + out[at + len(ext):]
    return out


_PIECES = st.sampled_from(["a", "/", "\\", ".", " ", "\t", "\r", "images", "/images/train2017/", "\\JPEGImages\\",
                           "/JPEGImages/", "\\images\\val2014\\", *_EXTENSIONS, ".txt", ".Jpg", ".tif"])


@settings(max_examples=150, deadline=None)
@given(st.lists(_PIECES, max_size=8).map("".join))
def test_label_path_equals_the_step_by_step_reference(path):
    assert label_path(path) == _label_path_reference(path)


_TOKENS = st.sampled_from(["0", "1", "12", "-1", "+3", "0.5", ".25", "5.", "1e-2", "2E1", "1e", "-", ".", "1.0",
                           "0.3", "1.2.3", "00", "  ", "\t", "\r"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_TOKENS, max_size=7).map(" ".join), max_size=6).map("\n".join))
def test_bulk_conversion_equals_the_token_stream_reading(text):
    data = text.encode()
    ids, boxes, _, issues = _scan(data)
    tokens = _plain(data)
    if tokens is not None:
        converted = _convert(tokens)
        if converted is not None:   # whenever the fast path answers, it answers as fscanf reads
            assert converted[0].tolist() == ids.tolist()
            assert converted[1].tolist() == boxes.tolist()
            assert issues == ()
