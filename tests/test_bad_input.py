"""Bad input through the command line: one line on stderr (plus at most a hint line) naming the file,
exit 2 (1 for a drawn network darknet cannot build), no traceback, no output or temp file left behind
and a previous output untouched. Each case is one a sweep of the commands found failing."""
from __future__ import annotations

import os
import struct

import numpy as np
import pytest

from conftest import run_cli

# a small detector: 3 classes, 3 anchors in one [yolo] head
DETECTOR = """[net]
width=64
height=64
channels=3

[convolutional]
batch_normalize=1
filters=8
size=3
stride=2
pad=1
activation=leaky

[convolutional]
filters=24
size=1
stride=1
pad=1
activation=linear

[yolo]
mask=0,1,2
anchors=10,14, 23,27, 37,58
classes=3
num=3
"""


@pytest.fixture
def files(tmp_path):
    """A detector cfg, a good .data file with its list, labels and names, and bad inputs beside them."""
    (tmp_path / "det.cfg").write_text(DETECTOR)
    (tmp_path / "obj").mkdir()
    rows = []
    for i in range(4):
        (tmp_path / "obj" / f"im{i}.txt").write_text(f"0 0.5 0.5 0.{i + 1} 0.{i + 2}\n1 0.3 0.3 0.2 0.1\n")
        rows.append(str(tmp_path / "obj" / f"im{i}.jpg"))
    (tmp_path / "train.txt").write_text("\n".join(rows) + "\n")
    (tmp_path / "obj.names").write_text("a\nb\nc\n")
    (tmp_path / "obj.data").write_text(f"classes=3\ntrain={tmp_path / 'train.txt'}\nnames={tmp_path / 'obj.names'}\n")
    (tmp_path / "adir").mkdir()
    (tmp_path / "names-dir.data").write_text(f"classes=3\ntrain={tmp_path / 'train.txt'}\nnames={tmp_path / 'adir'}\n")
    # a label with numbers beyond float32 (inf when read, as darknet's atof into a float)
    (tmp_path / "huge").mkdir()
    (tmp_path / "huge" / "im0.txt").write_text("0 0.5 0.5 1e300 1e300\n1 0.5 0.5 0.2 -1e39\n")
    (tmp_path / "huge" / "list.txt").write_text(str(tmp_path / "huge" / "im0.jpg") + "\n")
    (tmp_path / "huge.data").write_text(f"classes=3\ntrain={tmp_path / 'huge' / 'list.txt'}\n"
                                        f"names={tmp_path / 'obj.names'}\n")
    (tmp_path / "empty.pth").write_bytes(b"")
    (tmp_path / "route-ahead.cfg").write_text("[net]\nwidth=64\nheight=64\nchannels=3\n\n[convolutional]\n"
                                              "filters=8\nsize=3\n\n[route]\nlayers=5\n")
    return tmp_path


def _one_line(err: str) -> list[str]:
    lines = err.strip().splitlines()
    assert 1 <= len(lines) <= 2, err
    assert len(lines) == 1 or lines[1].startswith("hint:"), err
    assert "Traceback" not in err and "internal error" not in err and "Warning" not in err, err
    return lines


def _nothing_left(folder, before: set[str]) -> None:
    left = {p.name for p in folder.iterdir()} - before
    assert not left, f"left behind: {left}"
    assert not [p for p in folder.rglob(".cfggen-*")], "a temp file is left"


# (arguments with {t} the fixture folder, exit code, text the message holds)
CASES = [
    # click's own argument checks: one line and a hint line, not a usage block
    (["anchors", "{t}/obj.data", "--size", "0x0"], 2, "cfggen anchors: error: Invalid value for '--size'"),
    (["draw", "{t}/det.cfg", "--size", "99999x1"], 2, "cfggen draw: error: Invalid value for '--size'"),
    (["anchors", "{t}/adir", "--size", "416x416"], 2, "'{t}/adir' is a directory"),
    (["validate", "--jobs", "0", "--data", "{t}/obj.data", "{t}/det.cfg"], 2, "Invalid value for '-j' / '--jobs'"),
    (["adapt", "{t}/det.cfg", "--data", "{t}/obj.data", "-o", "{t}/adir"], 2, "'{t}/adir' is a directory"),
    (["nosuchcommand"], 2, "cfggen: error: No such command"),
    # a seed numpy refuses (was an internal error)
    (["anchors", "{t}/obj.data", "--size", "416x416", "--num", "3", "--seed", "-1"], 2, "'--seed': -1 is not"),
    (["adapt", "{t}/det.cfg", "--data", "{t}/obj.data", "--seed", "-5"], 2, "'--seed': -5 is not"),
    # multipliers that are not numbers, or too big for darknet (were internal errors or a hang)
    (["build", "ghostnet", "--width-mult", "nan"], 2, "'nan' is not a finite number"),
    (["build", "mobilenetv3-large", "--width-mult", "inf"], 2, "'inf' is not a finite number"),
    (["build", "b0", "--depth-mult", "nan"], 2, "'nan' is not a finite number"),
    (["build", "ghostnet", "--width-mult", "1e9"], 2, "more than darknet's int holds"),
    (["build", "b0", "--depth-mult", "1e9"], 2, "blocks: more than 10,000"),
    (["anchors", "{t}/obj.data", "--size", "416x416", "--thr", "nan"], 2, "'nan' is not a finite number"),
    # a names file that is a directory: said so (was "no such names file")
    (["validate", "--data", "{t}/names-dir.data", "{t}/det.cfg"], 2, "{t}/adir: error: is a directory, not a names file"),
    # an empty torch checkpoint (was "EOFError: EOFError")
    (["import", "{t}/empty.pth", "--variant", "ghostnet", "-o", "{t}/out"], 2,
     "{t}/empty.pth: error: not a PyTorch checkpoint: the file is empty"),
]


@pytest.mark.parametrize("args, code, message", CASES, ids=[" ".join(c[0][:4]) for c in CASES])
def test_bad_input_is_one_line(files, args, code, message):
    if args[0] == "import":
        pytest.importorskip("torch")
    before = {p.name for p in files.iterdir()}
    got, out, err = run_cli(*[a.format(t=files) for a in args])
    assert got == code, (out, err)
    assert message.format(t=files) in err, err
    _one_line(err)
    _nothing_left(files, before)


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc (a folder that takes no new file)")
@pytest.mark.parametrize("command", [["adapt", "{t}/det.cfg", "--data", "{t}/obj.data"],
                                     ["validate", "{t}/det.cfg"], ["draw", "{t}/det.cfg"]])
def test_unwritable_output_is_one_line(files, command):
    """A folder that takes no file (mkstemp fails): was an internal error for adapt and validate."""
    out = "/proc/cfggen-out.svg" if command[0] == "draw" else "/proc/cfggen-out.txt"
    code, _, err = run_cli(*[a.format(t=files) for a in command], "-o", out)
    assert code == 2 and err.startswith(f"{out}: error: cannot write:"), err
    _one_line(err)


def test_failed_adapt_keeps_the_previous_output(files):
    out = files / "adapted.cfg"
    out.write_text("old")
    code, _, err = run_cli("adapt", files / "det.cfg", "--data", files / "names-dir.data", "-o", out)
    assert code == 2 and out.read_text() == "old", err
    _one_line(err)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_labels_beyond_float32_read_without_a_warning(files):
    """1e300 in a label is inf in float32, as darknet's atof into a float: no numpy overflow warning on
    stderr (an error here, which cli.main would report as an internal error)."""
    code, _, err = run_cli("validate", "--concise", "--data", files / "huge.data", files / "det.cfg")
    assert code == 1 and "Traceback" not in err and "internal error" not in err, err
    code, _, err = run_cli("anchors", files / "huge.data", "--size", "416x416", "--num", "1")
    assert "internal error" not in err and "Traceback" not in err, err


def test_draw_of_a_network_darknet_cannot_build(files):
    """Drawn (the picture shows where it breaks), but exit 1 with the first error's file:line and code."""
    out = files / "net.svg"
    code, _, err = run_cli("draw", files / "route-ahead.cfg", "-o", out)
    assert code == 1 and out.read_text().startswith("<svg")
    assert f"{files / 'route-ahead.cfg'}:11: error: layers=5" in err and "[DN207]" in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 2      # "wrote ..." and the error


def test_checkpoint_of_another_family_names_the_file(tmp_path):
    pytest.importorskip("safetensors")
    from safetensors.numpy import save_file

    from cfggen.convert.sequential import needs
    from cfggen.convert.shufflenet import NAMINGS
    from cfggen.standalone import compose

    tensors = {need.name: np.zeros(need.shapes[0], np.float32)
               for _, roles in needs(compose("shufflenetv2-x0.5"), NAMINGS[0]) for need in roles.values()}
    path = tmp_path / "shuffle.safetensors"
    save_file(tensors, str(path))
    code, _, err = run_cli("import", path, "--variant", "ghostnet", "-o", tmp_path / "g")
    assert code == 2 and err.startswith(f"{path}: error: a torchvision ShuffleNetV2 checkpoint, not one for "
                                        "--variant ghostnet"), err
    _one_line(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shuffle.safetensors"]


def test_safetensors_with_a_bad_header(tmp_path):
    pytest.importorskip("safetensors")
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", 40) + b"{not json" + b"x" * 40)
    code, _, err = run_cli("import", path, "--variant", "mobilenetv3-small", "-o", tmp_path / "m")
    assert code == 2 and err.startswith(f"{path}: error: not a readable .safetensors file"), err
    _one_line(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.safetensors"]
