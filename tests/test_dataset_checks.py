"""validate --data: each dataset fact with darknet's own verdict (reference §13), on small datasets built here.

Every darknet message the checks quote is triggered by a file written in the test that checks it.
"""
import json

import numpy as np
import pytest

from cfggen.dataset import boxes as B
from cfggen.dataset.checks import Progress, check_dataset

from conftest import run_cli as run

CFG = """[net]
width=64
height=64
channels=3
mosaic={mosaic}

[convolutional]
filters=21
size=1
activation={act}

[yolo]
mask=0,1,2
anchors=10,13,16,30,33,23
num=3
classes=2
"""


def build(root, labels: dict, images=None, train=None, data=None, names="a\nb\n", backup=True):
    """A dataset under ``root`` (the current folder): images data/obj/<name>.jpg (empty files: only
    existence matters), label files as given (None: no label file), the train list, names and .data."""
    obj = root / "data" / "obj"
    obj.mkdir(parents=True, exist_ok=True)
    for name, text in labels.items():
        (obj / f"{name}.jpg").write_bytes(b"")
        if text is not None:
            (obj / f"{name}.txt").write_bytes(text.encode() if isinstance(text, str) else text)
    for name in images or ():
        (obj / name).write_bytes(b"")
    if train is None:
        train = "".join(f"data/obj/{name}.jpg\n" for name in labels)
    (root / "data" / "train.txt").write_bytes(train.encode() if isinstance(train, str) else train)
    if names is not None:
        (root / "data" / "obj.names").write_text(names)
    if backup:
        (root / "backup").mkdir(exist_ok=True)
    if data is None:
        data = "classes=2\ntrain=data/train.txt\nvalid=data/valid.txt\nnames=data/obj.names\nbackup=backup/\n"
        (root / "data" / "valid.txt").write_text("")
    (root / "data" / "obj.data").write_text(data)
    return "data/obj.data"


def cfg(root, mosaic=0, act="leaky"):
    p = root / "y.cfg"
    p.write_text(CFG.format(mosaic=mosaic, act=act))
    return "y.cfg"


def findings(root, code=None, with_cfg=True, **kw):
    found = check_dataset("data/obj.data", cfg(root) if with_cfg else None, jobs=1, progress=False, **kw)
    return [d for d in found if code is None or d.code == code]


@pytest.fixture(autouse=True)
def _here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


# ------------------------------------------------------------------------------------------------
# a clean dataset says nothing but facts

def test_clean_dataset_has_no_finding(tmp_path):
    labels = {f"{k}": f"{k % 2} 0.5 0.5 0.2 0.3\n1 0.25 0.25 0.1 0.1\n" for k in range(6)}
    build(tmp_path, labels, data="train=data/train.txt\nvalid=data/valid.txt\nnames=data/obj.names\n"
                                 "backup=backup/\n")
    (tmp_path / "data" / "valid.txt").write_text("data/obj/v.jpg\n")
    (tmp_path / "data" / "obj" / "v.jpg").write_bytes(b"")
    (tmp_path / "data" / "obj" / "v.txt").write_text("0 .5 .5 .5 .5\n")
    assert [(d.code, d.message) for d in findings(tmp_path)] == []


# ------------------------------------------------------------------------------------------------
# label files: darknet's messages, each triggered by a label file

def test_class_id_out_of_range_is_darknets_wrong_annotation(tmp_path):
    build(tmp_path, {"1": "0 .5 .5 .2 .2\n3 .5 .5 .1 .1\n", "2": "3 .4 .4 .1 .1\n", "3": "2 .5 .5 .1 .1\n"})
    found = findings(tmp_path, "DN448")
    assert len(found) == 2                                   # one finding per class id
    three = next(d for d in found if "class id 3" in d.message)
    assert (three.path, three.line, three.col) == ("data/obj/1.txt", 2, 1)
    assert ("darknet prints \" Wrong annotation: class_id = 3. But class_id should be [from 0 to 1], "
            "file: data/obj/1.txt \" and drops the box") in three.message
    assert "2 boxes in 2 label files" in three.message
    assert three.related[0][::2] == (1, "data/obj/2.txt")     # (line, note, path): in another file
    assert "classes=2 of the last [yolo] in y.cfg" in three.message


def test_negative_class_id_is_the_yolo_layers_warning(tmp_path):
    build(tmp_path, {"1": "-1 .5 .5 .2 .2\n"})
    (d,) = findings(tmp_path, "DN448")
    assert ("\" Warning: in txt-labels class_id=-1 >= classes=2 in cfg-file. In txt-labels class_id should be "
            "[from 0 to 1] \"") in d.message and d.severity == ""   # stamped with the rule's level later


def test_box_at_origin_or_outside_is_dropped_with_darknets_message(tmp_path):
    build(tmp_path, {"1": "0 0 0 .2 .2\n0 1.5 .5 .2 .2\n0 .5 .5 .2 .2\n"})
    (d,) = findings(tmp_path, "DN449")
    assert "\" Wrong annotation: x = 0, y = 0, < 0 or > 1, file: data/obj/1.txt \"" in d.message
    assert (d.line, "2 boxes in 1 label file" in d.message, d.related[0][0]) == (1, True, 2)


def test_nan_coordinates_pass_silently(tmp_path):
    build(tmp_path, {"1": "0 .5 .5 nan .2\n"})
    (d,) = findings(tmp_path, "DN449")
    assert "NaN" in d.message and "without a message" in d.message


def test_box_under_one_network_pixel_is_dropped_silently(tmp_path):
    build(tmp_path, {"1": "0 .5 .5 .01 .2\n1 .5 .5 .2 .2\n"})       # 0.01 * 64 < 1 pixel
    (d,) = findings(tmp_path, "DN450")
    assert d.line == 1 and "64x64" in d.message
    assert findings(tmp_path, "DN450", with_cfg=False) == []        # no cfg: no network size


def test_box_over_the_edge_is_clipped_but_rounding_is_not_reported(tmp_path):
    build(tmp_path, {"1": "0 .95 .5 .3 .2\n0 .9 .5 .2000001 .2\n"})
    (d,) = findings(tmp_path, "DN451")
    assert d.line == 1 and "1 box in 1 label file" in d.message and d.related == ()


def test_missing_label_file_is_darknets_cant_open(tmp_path):
    build(tmp_path, {"1": None, "2": "0 .5 .5 .1 .1\n", "3": None})
    (d,) = findings(tmp_path, "DN446")
    assert (d.path, d.line) == ("data/train.txt", 1)
    assert ("\"Can't open label file. (This can be normal only if you use MSCOCO): data/obj/1.txt\"" in d.message
            and "2 label files" in d.message and d.related[0][0] == 3)


def test_unsupported_extension_and_short_path_are_darknets_label_name_messages(tmp_path):
    build(tmp_path, {"1": "0 .5 .5 .1 .1\n"}, images=["2.Jpg", "3.tif"],
          train="data/obj/1.jpg\ndata/obj/2.Jpg\ndata/obj/3.tif\n.png\n")
    found = findings(tmp_path, "DN447")
    assert [(d.line, len(d.related)) for d in found] == [(2, 1), (4, 0)]
    assert ("\"Failed to infer label file name (check image extension is supported): data/obj/2.Jpg\""
            in found[0].message)
    assert "\"Label file name is too short: .txt\"" in found[1].message


def test_label_text_darknet_stops_at_or_reads_shifted(tmp_path):
    build(tmp_path, {"1": "0 .5 .5 .2 .2\n# a comment\n1 .1 .1 .1 .1\n", "2": "0 .5 .5 .3\n1 0.3 .4 .2 .5\n",
                     "3": "0,0.5,0.5,0.1,0.1\n"})
    found = findings(tmp_path, "DN452")
    stop = next(d for d in found if "stops reading" in d.message)
    assert (stop.path, stop.line, stop.col) == ("data/obj/1.txt", 2, 1) and "'#'" in stop.message
    assert [r[2] for r in stop.related] == ["data/obj/3.txt"]       # the comma file: the same fact
    shift = next(d for d in found if "read shifted" in d.message)
    assert (shift.path, shift.line) == ("data/obj/2.txt", 1) and "line 1 has 4 numbers" in shift.message


def test_empty_label_files_are_background_images_with_the_count(tmp_path):
    build(tmp_path, {"1": "", "2": "0 .5 .5 .1 .1\n", "3": "\n"})
    (d,) = findings(tmp_path, "DN453")
    assert "2 label files" in d.message and "2 of 3 images" in d.message and d.line == 1


# ------------------------------------------------------------------------------------------------
# lists and images

def test_missing_image_is_darknets_cannot_load_image(tmp_path):
    build(tmp_path, {"1": "0 .5 .5 .1 .1\n"}, train="data/obj/1.jpg\ndata/obj/nope.jpg\n")
    (d,) = findings(tmp_path, "DN445")
    assert d.line == 2 and "Cannot load image" in d.message and "blank 10x10 image" in d.message


def test_image_path_with_trailing_blank_loses_the_image_not_the_labels(tmp_path):
    build(tmp_path, {"1": "0 .5 .5 .1 .1\n"}, train="data/obj/1.jpg  \n")
    (d,) = findings(tmp_path, "DN445")
    assert "blanks at an end" in d.message and "trims the label path" in d.message
    assert findings(tmp_path, "DN446") == []                         # the trimmed label path opens


def test_blank_lines_in_the_list_are_entries(tmp_path):
    build(tmp_path, {"1": "0 .5 .5 .1 .1\n"}, train="data/obj/1.jpg\n\ndata/obj/1.jpg\n\n")
    (d,) = findings(tmp_path, "DN443")
    assert (d.line, d.related[0][0]) == (2, 4) and "\" Very small path to the image: \"" in d.message
    assert "4 images counted" in d.message


def test_empty_train_list_is_a_sigfpe(tmp_path):
    build(tmp_path, {}, train="")
    (d,) = findings(tmp_path, "DN444")
    assert d.path == "data/train.txt" and "SIGFPE" in d.message
    (tmp_path / "data" / "train.txt").write_text("\n\n")
    (d,) = findings(tmp_path, "DN444")
    assert "training hangs" in d.message and findings(tmp_path, "DN443") == []


def test_duplicate_entries(tmp_path):
    build(tmp_path, {"1": "0 .5 .5 .1 .1\n", "2": "0 .5 .5 .1 .1\n"},
          train="data/obj/1.jpg\ndata/obj/2.jpg\n./data/obj/1.jpg\n")
    (d,) = findings(tmp_path, "DN454")
    assert d.line == 3 and "first at line 1" in d.message


def test_shell_metacharacters_in_an_image_path_are_an_error(tmp_path):
    build(tmp_path, {"1": "0 .5 .5 .1 .1\n"}, images=["x;touch INJ;.jpg"],
          train="data/obj/1.jpg\ndata/obj/x;touch INJ;.jpg\n")
    (d,) = findings(tmp_path, "DN459")
    assert d.line == 2 and "system(" in d.message and "(;)" in d.message
    assert not (tmp_path / "INJ").exists()


def test_label_path_too_long_for_darknets_command_buffer(tmp_path):
    deep = "d" * 230
    build(tmp_path, {"1": "0 .5 .5 .1 .1\n"}, train=f"data/{deep}/1.jpg\n")
    (d,) = findings(tmp_path, "DN459")
    assert "256-byte" in d.message


def test_calc_anchors_with_more_clusters_than_boxes_is_a_segfault(tmp_path):
    build(tmp_path, {"1": "0 .5 .5 .1 .1\n1 .2 .2 .1 .1\n"})
    (d,) = findings(tmp_path, "DN458")              # num=3 in the cfg, 2 boxes
    assert d.path == "data/obj.data" and d.line == 2 and "segmentation fault" in d.message
    assert "num=3" in d.message


# ------------------------------------------------------------------------------------------------
# the .data file, names, backup, valid

def test_data_file_lines_darknet_drops_or_reads_otherwise(tmp_path):
    build(tmp_path, {"1": "0 .5 .5 .1 .1\n"},
          data="train=data/train.txt\ntrain=data/other.txt\nvalid=\nnames = data/obj.names #n\nbackup=backup/\n")
    found = sorted(findings(tmp_path, "DN441"), key=lambda d: d.line)
    assert [d.line for d in found] == [2, 3, 4]
    assert "\"Config file error line 3, could parse: valid\"" in found[1].message
    assert "darknet uses the first one (line 1" in found[0].message
    assert "no inline comments" in found[2].message


def test_missing_train_list_and_valid_list(tmp_path):
    build(tmp_path, {"1": "0 .5 .5 .1 .1\n"},
          data="train=data/nope.txt\nvalid=data/nope2.txt\nnames=data/obj.names\nbackup=backup/\n")
    found = findings(tmp_path, "DN442")
    assert [d.line for d in found] == [1, 2]
    assert "\"Couldn't open file: data/nope.txt\"" in found[0].message
    assert "There is no data/nope2.txt file for mAP calculation!" in found[1].message


def test_no_valid_line_or_the_same_list_or_overlap(tmp_path):
    build(tmp_path, {"1": "0 .5 .5 .1 .1\n", "2": "0 .5 .5 .1 .1\n"},
          data="train=data/train.txt\nnames=data/obj.names\nbackup=backup/\n")
    (d,) = findings(tmp_path, "DN455")
    assert d.message.startswith("no valid= line")
    (tmp_path / "data" / "obj.data").write_text("train=data/train.txt\nvalid=data/v.txt\nnames=data/obj.names\n"
                                                "backup=backup/\n")
    (tmp_path / "data" / "v.txt").write_text("data/obj/2.jpg\n")
    (d,) = findings(tmp_path, "DN455")
    assert (d.path, d.line) == ("data/v.txt", 1) and "also in the train list" in d.message


def test_backup_folder_missing_or_default(tmp_path):
    build(tmp_path, {"1": "0 .5 .5 .1 .1\n"}, backup=False)
    (d,) = findings(tmp_path, "DN456")
    assert d.line == 5 and "\"Couldn't open file: backup//y_last.weights\"" in d.message
    (tmp_path / "data" / "obj.data").write_text("train=data/train.txt\nnames=data/obj.names\n")
    (d,) = findings(tmp_path, "DN456")
    assert "/backup/" in d.message


def test_names_blank_lines_and_count_without_a_cfg(tmp_path):
    build(tmp_path, {"1": "2 .5 .5 .1 .1\n"}, names="a\n\nb\n")
    (d,) = findings(tmp_path, "DN457", with_cfg=False)
    assert (d.path, d.line) == ("data/obj.names", 2) and "3 names in all" in d.message
    (d,) = findings(tmp_path, "DN408", with_cfg=False)         # classes=2 in the .data, 3 names
    assert d.path == "data/obj.data" and d.line == 1
    # without a cfg the names count stands for the classes: id 2 is in range of 3 names
    assert findings(tmp_path, "DN448", with_cfg=False) == []


def test_missing_names_file(tmp_path):
    build(tmp_path, {"1": "0 .5 .5 .1 .1\n"}, names=None)
    (d,) = findings(tmp_path, "DN442")
    assert d.line == 4 and "names=data/obj.names: no such file" in d.message


# ------------------------------------------------------------------------------------------------
# darknet's box verdicts

def test_box_verdicts_follow_darknets_order():
    ids = np.array([5, 5, -1, 0, 0, 0, 0, -1], np.int32)
    xywh = np.array([[0, 0, .2, .2],          # class first: id 5 >= 2 although x=y=0
                     [.5, .5, .001, .2],      # class before tiny
                     [.5, .5, .2, .2],        # negative: kept by the loader
                     [.5, .5, .001, .2],      # tiny (1/64)
                     [0, 0, .2, .2],          # invalid
                     [.5, .5, np.nan, .2],    # NaN: passes
                     [.95, .5, .3, .2],       # clipped
                     [0, 0, .2, .2]],         # negative but invalid: dropped as invalid
                    np.float32)
    got = B.verdicts(ids, xywh, 2, 64, 64).tolist()
    assert got == [B.CLASS_HIGH, B.CLASS_HIGH, B.CLASS_NEGATIVE, B.TINY, B.INVALID, B.NAN, B.CLIPPED, B.INVALID]
    assert B.verdicts(ids, xywh, None).tolist()[:2] == [B.INVALID, B.KEPT]


# ------------------------------------------------------------------------------------------------
# the command line: formats, jobs, progress, bad input

def test_cli_text_json_sarif_and_exit_codes(tmp_path, capsys):
    build(tmp_path, {"1": "3 .5 .5 .1 .1\n", "2": "3 .5 .5 .1 .1\n"})
    c = cfg(tmp_path)
    code, out, _ = run("validate", "--concise", "--data", "data/obj.data", c)
    assert code == 1
    assert "data/obj/1.txt:1:1: error: class id 3 is out of range" in out and "[DN448 label-class-range]" in out
    code, out, _ = run("validate", "--format", "json", "--data", "data/obj.data", c)
    doc = json.loads(out)
    entry = next(f for f in doc["files"] if f["path"] == "data/obj/1.txt")
    (f,) = entry["findings"]
    assert f["rule"] == "DN448" and f["related"] == [{"line": 1, "note": "class 3 (0.5 0.5 0.1 0.1)",
                                                       "path": "data/obj/2.txt"}]
    code, out, _ = run("validate", "--format", "sarif", "--data", "data/obj.data", c)
    result = next(r for r in json.loads(out)["runs"][0]["results"] if r["ruleId"] == "DN448")
    loc = result["relatedLocations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "data/obj/2.txt" and loc["region"]["startLine"] == 1
    code, out, _ = run("validate", "--format", "github", "--data", "data/obj.data", c)
    assert "::error file=data/obj/1.txt,line=1,endLine=1,col=1,endColumn=14,title=DN448 label-class-range::" in out


def test_cli_data_without_cfg_select_and_severity(tmp_path, capsys):
    build(tmp_path, {"1": "", "2": "0 .5 .5 .1 .1\n"})
    code, out, _ = run("validate", "--concise", "--data", "data/obj.data")
    assert code == 1 and "[DN453 label-empty]" in out and "error: the train list has 1 box, fewer than the 9 " \
                                                          "anchors (the how-to's 9)" in out
    code, out, _ = run("validate", "--concise", "--ignore", "DN458", "--data", "data/obj.data")
    assert code == 0 and "DN458" not in out and "info: " in out
    (tmp_path / "pyproject.toml").write_text('[tool.cfggen]\nseverity = { label-empty = "error" }\n')
    code, out, _ = run("validate", "--concise", "--ignore", "DN458", "--config", "pyproject.toml",
                       "--data", "data/obj.data")
    assert code == 1 and "error: 1 label file of the train list is empty" in out


def test_training_facts_are_info_and_only_with_data(tmp_path, capsys):
    build(tmp_path, {f"{k}": "0 .5 .5 .1 .1\n" for k in range(4)})
    (tmp_path / "y.cfg").write_text(CFG.format(mosaic=1, act="relu"))
    code, out, _ = run("validate", "--concise", "--data", "data/obj.data", "y.cfg")
    assert "y.cfg:5:1: info: mosaic=1: a darknet built without OpenCV" in out and "[DN461 ofast-nan-guards]" in out
    assert code == 0
    code, out, _ = run("validate", "--concise", "y.cfg")
    assert "DN460" not in out and "DN461" not in out


def test_jobs_give_the_same_report(tmp_path, capsys, monkeypatch):
    import cfggen.dataset.checks as C
    monkeypatch.setattr(C, "_CHUNK", 3)    # several units of work on a small dataset
    labels = {f"{k}": ("3 .5 .5 .1 .1\n" if k % 4 == 0 else "" if k % 5 == 0 else "0 .5 .5 .1 .1\n")
              for k in range(20)}
    labels["7"] = None
    build(tmp_path, labels)
    c = cfg(tmp_path)
    outs = [run("validate", "--format", "json", "-j", str(j), "--data", "data/obj.data", c)[1] for j in (1, 2)]
    assert outs[0] == outs[1] and "DN448" in outs[0] and "DN446" in outs[0]


def test_cli_reads_the_data_and_names_files_once_and_analyses_the_cfg_once(tmp_path, capsys, monkeypatch):
    """DN408 and the dataset checks share what was read; the dataset checks use validate's Analysis."""
    from collections import Counter

    import cfggen.dataset.files as F
    import cfggen.lint.engine as E
    reads, analysed = Counter(), Counter()
    read_bytes, analyze = F._read_bytes, E.analyze

    def counting_read(path, kind):
        reads[path] += 1
        return read_bytes(path, kind)

    def counting_analyze(doc, *args, **kw):
        analysed[doc.path] += 1
        return analyze(doc, *args, **kw)

    monkeypatch.setattr(F, "_read_bytes", counting_read)
    monkeypatch.setattr(E, "analyze", counting_analyze)
    build(tmp_path, {"1": "3 .5 .5 .1 .1\n", "2": "0 .5 .5 .1 .1\n"}, names="a\nb\n\n")
    c = cfg(tmp_path)
    code, out, _ = run("validate", "--concise", "--data", "data/obj.data", c)
    assert code == 1
    assert "classes=2 but data/obj.names has 3 names, 1 of them empty" in out           # DN408
    assert "data/obj.names:3:1: warning: 1 blank line in the names file" in out          # DN457
    assert "data/obj/1.txt:1:1: error: class id 3 is out of range" in out                # classes=2 from the cfg
    assert reads["data/obj.data"] == 1 and reads["data/obj.names"] == 1 and reads["data/train.txt"] == 1
    assert analysed[c] == 1


def test_cfg_facts_without_the_analysis_at_hand(tmp_path, capsys, monkeypatch):
    """In a --jobs run over several cfgs the workers send back reports, not networks: the first cfg is
    analysed again, with the same facts (classes=2 from the cfg, not the 3 names)."""
    build(tmp_path, {"1": "2 .5 .5 .1 .1\n", "2": "0 .5 .5 .1 .1\n"}, names="a\nb\nc\n")
    c = cfg(tmp_path)
    (tmp_path / "z.cfg").write_text(CFG.format(mosaic=0, act="leaky"))
    outs = [run("validate", "--concise", "-j", str(j), "--data", "data/obj.data", c, "z.cfg")[1] for j in (1, 2)]
    assert outs[0] == outs[1] and "data/obj/1.txt:1:1: error: class id 2 is out of range" in outs[0]


def test_progress_bar_only_on_a_terminal():
    class Stream:
        def __init__(self, tty):
            self.tty, self.text = tty, ""

        def isatty(self):
            return self.tty

        def write(self, s):
            self.text += s

        def flush(self):
            pass

    on, off = Stream(True), Stream(False)
    for s in (on, off):
        bar = Progress(s)
        bar(5, 10)
        bar.close()
    assert off.text == "" and "5/10" in on.text and on.text.endswith("\r\033[K")


def test_bad_input_is_one_line_exit_2(tmp_path, capsys):
    (tmp_path / "bin.data").write_bytes(b"train=a\n\0\x01\x02")
    code, out, err = run("validate", "--data", "bin.data")
    assert code == 2 and out == "" and err.strip() == "bin.data:2: error: binary data (a NUL byte) in the .data " \
                                                      "file: not a text file"
    code, out, err = run("validate")
    assert code == 2 and err.count("\n") == 1 and "--data" in err
    build(tmp_path, {"1": "0 .5 .5 .1 .1\n"}, train=b"data/obj/1.jpg\n\0junk\n")
    code, out, err = run("validate", "--data", "data/obj.data")
    assert code == 2 and err.strip() == "data/train.txt:2: error: binary data (a NUL byte) in the image list: " \
                                        "not a text file"


def test_sarif_with_dataset_findings_is_valid_against_the_schema(tmp_path, capsys):
    jsonschema = pytest.importorskip("jsonschema")
    from pathlib import Path
    schema = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    build(tmp_path, {"1": "3 .5 .5 .1 .1\n# x\n", "2": "3 .5 .5 .1 .1\n", "3": None}, names="a\n\nb\n")
    code, out, _ = run("validate", "--format", "sarif", "--data", "data/obj.data", cfg(tmp_path))
    log = json.loads(out)
    assert {r["ruleId"] for r in log["runs"][0]["results"]} >= {"DN448", "DN452", "DN446", "DN457"}
    errors = list(jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).iter_errors(log))
    assert errors == []


def test_a_trailing_comment_loses_nothing_and_is_a_warning(tmp_path):
    build(tmp_path, {"1": "0 .5 .5 .2 .2 # last box\n# end of file\n", "2": "0 .5 .5 .2 .2\n# x\n1 .1 .1 .1 .1\n"})
    found = sorted(findings(tmp_path, "DN452"), key=lambda d: d.path)
    assert [(d.path, d.line, d.severity) for d in found] == [("data/obj/1.txt", 1, "warning"),
                                                               ("data/obj/2.txt", 2, "")]
    assert "nothing is lost now" in found[0].message


def test_a_dying_worker_costs_no_image(tmp_path, monkeypatch):
    import os
    import cfggen.dataset.checks as C
    monkeypatch.setattr(C, "_CHUNK", 2)
    parent = os.getpid()
    real = C.work

    def dying(paths, setup):
        if os.getpid() != parent:
            os._exit(1)
        return real(paths, setup)

    dying.__module__, dying.__qualname__ = C.__name__, "work"   # pickled by name: C.work, i.e. dying
    monkeypatch.setattr(C, "work", dying)
    build(tmp_path, {f"{k}": "3 .5 .5 .1 .1\n" for k in range(6)})
    found = check_dataset("data/obj.data", cfg(tmp_path), jobs=2, progress=False)
    (d,) = [d for d in found if d.code == "DN448"]
    assert "6 boxes in 6 label files" in d.message


def test_more_boxes_than_max_keep_a_random_subset(tmp_path):
    crowded = "".join(f"0 .5 .5 .{k % 9 + 1} .1\n" for k in range(201))
    build(tmp_path, {"1": "0 .5 .5 .1 .1\n", "2": crowded})
    (d,) = findings(tmp_path, "DN463")
    assert (d.path, d.line) == ("data/train.txt", 2) and "201 boxes" in d.message and "random 200" in d.message
    (tmp_path / "y2.cfg").write_text(CFG.format(mosaic=0, act="leaky").replace("classes=2", "classes=2\nmax=300"))
    assert [d for d in check_dataset("data/obj.data", "y2.cfg", jobs=1, progress=False) if d.code == "DN463"] == []


def test_names_count_against_the_cfg_says_what_map_does(tmp_path, capsys):
    build(tmp_path, {"1": "0 .5 .5 .1 .1\n"}, names="a\nb\nc\n")
    code, out, _ = run("validate", "--concise", "--data", "data/obj.data", cfg(tmp_path))
    assert code == 1 and ("y.cfg:16:1: error: classes=2 but data/obj.names has 3 names: darknet's train -map exits at "
                          "its first mAP pass (no _final weights), map exits, test goes on [DN408 names-count]") in out


def test_huge_class_ids_cost_no_memory(tmp_path):
    build(tmp_path, {"1": "2147483647 .5 .5 .1 .1\n-2147483648 .5 .5 .1 .1\n"})
    found = findings(tmp_path, "DN448")
    assert sorted(d.message.split(":")[0] for d in found) == ["class id -2147483648 is negative",
                                                              "class id 2147483647 is out of range (classes=2 of the "
                                                              "last [yolo] in y.cfg (line 12))"]
