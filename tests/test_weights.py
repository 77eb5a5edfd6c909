"""Darknet .weights I/O: header rules, layouts vs the goldens, round trips, check/extract/init/info."""
from __future__ import annotations

import json
import os
import re
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from cfggen.convert import weights as w
from cfggen.errors import InputError, UsageError, WeightsFormatError
from conftest import run_cli as run  # noqa: E402

SHARED = Path(os.environ.get("CFGGEN_SHARED", Path(__file__).resolve().parent.parent.parent / "shared"))
CORPUS = SHARED / "corpus" / "darknet"
GOLDEN = SHARED / "golden" / "darknet"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no shared corpus at {CORPUS}")


# Every layer type that has weights, in one small network (records of §7.2, sub-layers included).
ZOO = """[net]
batch=1
subdivisions=1
width=16
height=16
channels=3

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
activation=leaky

[convolutional]
filters=8
size=1
stride=1
pad=1
groups=2
activation=linear

[batchnorm]

[shortcut]
from=-3
weights_type=per_channel
weights_normalization=relu

[shortcut]
from=-2
weights_type=per_feature
weights_normalization=softmax

[convolutional]
share_index=1
filters=8
size=1
stride=1
pad=1
groups=2
activation=linear

[local]
filters=4
size=3
stride=2
pad=1
activation=leaky

[crnn]
batch_normalize=1
size=3
pad=1
output=4
hidden=4
activation=leaky

[conv_lstm]
batch_normalize=1
size=3
pad=1
output=4
peephole=1
activation=leaky

[maxpool]
size=2
stride=2

[connected]
output=10
batch_normalize=1
activation=leaky

[rnn]
batch_normalize=1
output=6
hidden=5
activation=leaky

[gru]
output=6

[lstm]
batch_normalize=1
output=5

[connected]
output=7
activation=linear

[implicit]
filters=7
"""

YOLO = """[net]
batch=64
subdivisions=16
width=64
height=64
channels=3

[convolutional]
batch_normalize=1
filters=16
size=3
stride=2
pad=1
activation=leaky

[convolutional]
size=1
stride=1
pad=1
filters=255
activation=linear

[yolo]
mask = 0,1,2
anchors = 10,13,  16,30,  33,23
classes=80
num=3
"""


def cfg_file(tmp_path, text, name="net.cfg"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


@pytest.fixture
def zoo(tmp_path):
    cfg = cfg_file(tmp_path, ZOO, "zoo.cfg")
    network, problems = w.load_network(cfg)
    assert not problems
    return cfg, network


# ------------------------------------------------------------------------------------------------
# header

@pytest.mark.parametrize("version, size, transpose", [
    ((0, 1, 0), 16, False), ((0, 0, 0), 16, False), ((0, 2, 0), 20, False), ((0, 2, 5), 20, False),
    ((1, 0, 0), 20, False), ((0, 1001, 0), 20, True), ((1001, 0, 0), 20, True),
])
def test_header_rules(tmp_path, version, size, transpose):
    h = w.Header(*version, seen=123456)
    assert h.size == size and h.transpose is transpose and len(h.pack()) == size
    p = tmp_path / "h.weights"
    p.write_bytes(h.pack() + b"\0" * 8)
    assert w.read_header(str(p)) == (h, size + 8)


def test_old_16_byte_header_file(tmp_path, zoo):
    _, network = zoo
    p, old, out = tmp_path / "a.weights", tmp_path / "old.weights", tmp_path / "x.weights"
    w.init(network, str(p), seed=1)
    data = p.read_bytes()
    old.write_bytes(struct.pack("<iiiI", 0, 1, 0, 42) + data[20:])       # version 0.1: 4-byte seen
    rep = w.check(str(old), network)
    assert rep.fits and rep.header == w.Header(0, 1, 0, 42) and rep.expected == len(data) - 4
    w.extract(str(old), network, 16, str(out), keep_seen=True)           # rewritten with a 20-byte header
    assert out.read_bytes() == struct.pack("<iiiQ", 0, 2, 5, 42) + data[20:]


def test_seen_is_64_bit(tmp_path):
    p = tmp_path / "h.weights"
    p.write_bytes(w.Header(0, 2, 5, 2 ** 40 + 7).pack())
    assert w.read_header(str(p))[0].seen == 2 ** 40 + 7


# ------------------------------------------------------------------------------------------------
# layouts

def test_layout_follows_records(zoo):
    _, network = zoo
    spans = w.layout(network)
    assert [s.index for s in spans] == [0, 1, 2, 3, 4, 6, 7, 8, 10, 11, 12, 13, 14, 15]   # 5 shares layer 1
    offset = 20
    for s in spans:
        assert s.start == offset
        for a, rec in zip(s.arrays, s.layer.records):
            assert (a.name, a.sub, a.count, a.offset) == (rec.name, rec.sub, rec.count, offset)
            offset += 4 * rec.count
        assert s.end == offset
    assert w.expected_size(network) == 20 + 4 * network.totals.weights_file_floats
    assert w.expected_size(network, header_size=16) == 16 + 4 * network.totals.weights_file_floats


def test_dontload_and_dontloadscales(tmp_path):
    text = ZOO.replace("[convolutional]\nbatch_normalize=1\nfilters=8", "[convolutional]\ndontloadscales=1\n"
                       "batch_normalize=1\nfilters=8", 1).replace("[local]\n", "[local]\ndontload=1\n")
    network, _ = w.load_network(cfg_file(tmp_path, text))
    full = 20 + 4 * network.totals.weights_file_floats
    assert w.expected_size(network, mode="save") == full
    local = network.layers[6]
    assert w.expected_size(network, mode="load") == full - 4 * (3 * 8) - 4 * local.params.file_floats
    spans = {s.index: s for s in w.layout(network)}
    assert spans[6].skipped == "dontload" and spans[6].arrays == ()
    assert spans[0].dropped == w.BN_ARRAYS and [a.name for a in spans[0].arrays] == ["biases", "weights"]
    # sub-layers of recurrent layers are not affected by dontloadscales (darknet reads the flag per layer)
    text2 = ZOO.replace("[crnn]\n", "[crnn]\ndontloadscales=1\n")
    network2, _ = w.load_network(cfg_file(tmp_path, text2, "b.cfg"))
    assert w.expected_size(network2) == 20 + 4 * network2.totals.weights_file_floats


def golden_cases():
    if not GOLDEN.is_dir():
        return []
    out = []
    for g in sorted(GOLDEN.glob("*.json")):
        data = json.loads(g.read_text())
        rel = g.name[:-5].replace("__", "/")          # corpus sub-folders are joined with "__"
        if data["status"] == "ok" and (CORPUS / rel).is_file():
            out.append((rel, data["totals"]["weights_file_floats"]))
    return out


@needs_corpus
def test_expected_size_matches_golden_for_every_ok_cfg():
    cases = golden_cases()
    assert len(cases) == 86
    for name, floats in cases:
        network, _ = w.load_network(str(CORPUS / name))
        assert w.expected_size(network, mode="save") == 20 + 4 * floats, name


@needs_corpus
def test_init_writes_golden_sizes_for_small_cfgs(tmp_path):
    small = [(n, f) for n, f in golden_cases() if f <= 5_000_000]
    assert len(small) >= 6
    for name, floats in small:
        network, _ = w.load_network(str(CORPUS / name))
        out = tmp_path / "x.weights"
        result = w.init(network, str(out), seed=1)
        assert os.path.getsize(out) == result.bytes == 20 + 4 * floats, name
        if w.expected_size(network, mode="load") == result.bytes:     # no dontload/dontloadscales
            assert w.check(str(out), network).fits, name


# ------------------------------------------------------------------------------------------------
# init, read, write

def test_round_trip_is_byte_identical(tmp_path, zoo):
    _, network = zoo
    a, b = tmp_path / "a.weights", tmp_path / "b.weights"
    w.init(network, str(a), seed=7)
    with w.read(str(a), network) as wf:
        assert wf.header == w.darknet_header() and wf.size == wf.expected
        w.save(str(b), wf)
    assert a.read_bytes() == b.read_bytes()


def test_init_values(tmp_path, zoo):
    _, network = zoo
    p = tmp_path / "a.weights"
    w.init(network, str(p), seed=1)
    raw = p.read_bytes()
    assert struct.unpack("<iiiQ", raw[:20]) == (0, 2, 5, 0)
    with w.read(str(p), network) as wf:
        assert np.all(wf.get(0, "biases") == 0) and np.all(wf.get(0, "scales") == 1)
        assert np.all(wf.get(0, "rolling_mean") == 0) and np.all(wf.get(0, "rolling_variance") == 1)
        assert np.all(wf.get(3, "weights") == 1)                        # weighted shortcut starts at 1
        bound = np.sqrt(6 / 27)                                          # conv 3x3x3: fan_in 27
        k = wf.get(0, "weights")
        assert np.all(np.abs(k) < bound) and k.std() > 0.4 * bound
        assert wf.tensor(0, "weights").shape == (8, 3, 3, 3)
        assert wf.tensor(1, "weights").shape == (8, 4, 1, 1)             # groups=2
        assert wf.tensor(10, "weights").shape == (10, 64)
        assert wf.tensor(11, "weights", "input").shape == (5, 10)
        assert np.all(wf.get(8, "rolling_variance", "uo") == 1)


def test_he_variance_on_a_big_layer(tmp_path):
    text = YOLO.replace("filters=16", "filters=256")
    network, _ = w.load_network(cfg_file(tmp_path, text))
    p = tmp_path / "a.weights"
    w.init(network, str(p), seed=3)
    with w.read(str(p), network) as wf:
        k = wf.get(1, "weights")                                          # 1x1 conv, fan_in 256
        assert abs(float(k.std()) - np.sqrt(2 / 256)) < 0.01 * np.sqrt(2 / 256)
        assert abs(float(k.mean())) < 1e-3


def test_init_is_deterministic_and_independent_of_blocking(tmp_path, zoo, monkeypatch):
    _, network = zoo
    paths = [tmp_path / f"{i}.weights" for i in range(4)]
    w.init(network, str(paths[0]), seed=5)
    w.init(network, str(paths[1]), seed=5)
    monkeypatch.setattr(w, "CHUNK", 97)
    w.init(network, str(paths[2]), seed=5)
    w.init(network, str(paths[3]), seed=6)
    data = [p.read_bytes() for p in paths]
    assert data[0] == data[1] == data[2] != data[3]


def test_transposed_connected_weights_are_written_back_in_darknet_order(tmp_path, zoo):
    _, network = zoo
    plain, flipped, back = (tmp_path / n for n in ("plain.weights", "t.weights", "back.weights"))
    w.init(network, str(plain), seed=2)
    # the same values in a file whose header says [connected] weights are input-major
    buf = bytearray(plain.read_bytes())
    buf[:20] = w.Header(1001, 0, 0, 0).pack()
    with w.read(str(plain), network) as wf:
        for a in wf.arrays.values():
            lay = network.layers[a.layer]
            if a.name == "weights" and lay.type in ("connected", "rnn", "gru", "lstm"):
                m = wf.tensor(a.layer, "weights", a.sub)                   # (out, in)
                buf[a.offset:a.end] = np.ascontiguousarray(m.T).tobytes()
    flipped.write_bytes(bytes(buf))
    with w.read(str(flipped), network) as wf:
        assert wf.header.transpose
        with w.read(str(plain), network) as ref:
            assert np.array_equal(wf.tensor(10, "weights"), ref.tensor(10, "weights"))
        w.write(str(back), wf, header=w.darknet_header())
    assert back.read_bytes() == plain.read_bytes()


# ------------------------------------------------------------------------------------------------
# check

def test_check_fits_short_long(tmp_path, zoo):
    _, network = zoo
    p = tmp_path / "a.weights"
    w.init(network, str(p), seed=1)
    data = p.read_bytes()
    rep = w.check(str(p), network)
    assert rep.fits and rep.first_mismatch is None and not rep.warnings
    # cut inside layer 6's weights ([local]: biases 256 then weights)
    local = next(s for s in w.layout(network) if s.index == 6)
    cut = local.arrays[1].offset + 4 * 100
    p.write_bytes(data[:cut])
    rep = w.check(str(p), network)
    assert rep.verdict == "short" and rep.first_mismatch.span.index == 6
    assert rep.first_mismatch.where == "weights (float 100 of 18,432)"
    assert f"ends inside layer 6 [local] (line 45), in its weights (float 100 of 18,432), at byte {cut:,}" \
        in rep.message
    p.write_bytes(data + b"\0" * 1234)
    rep = w.check(str(p), network)
    assert rep.verdict == "long" and "1,234 extra bytes after the last layer" in rep.message
    assert any("not a multiple of 4" in x for x in rep.warnings)


def test_check_backbone_conv_n(tmp_path, zoo):
    """A file ending exactly after layer N-1 is a pretrained backbone when its name says .conv.N (or
    --layers N says so): it fits. Any other cut, or a name that does not match where it ends, is short."""
    _, network = zoo
    full = tmp_path / "a.weights"
    w.init(network, str(full), seed=1)
    spans = [s for s in w.layout(network) if s.floats]
    k = spans[2].index                                 # the third layer with weights
    boundary = spans[2].start
    backbone = tmp_path / f"a.conv.{k}"
    backbone.write_bytes(full.read_bytes()[:boundary])
    rep = w.check(str(backbone), network)
    assert rep.verdict == "backbone" and rep.fits
    assert f"fits layers 0-{k - 1}" in rep.message and f".conv.{k}" in rep.message
    # N may name any index between the last layer in the file and the next one with weights
    assert w.check(str(backbone), network, upto=spans[1].index + 1).fits
    assert not w.check(str(backbone), network, upto=spans[1].index).fits          # layer in the file
    assert not w.check(str(backbone), network, upto=k + 1).fits                   # layer k is missing
    plain = tmp_path / "b.weights"
    plain.write_bytes(backbone.read_bytes())
    rep = w.check(str(plain), network)
    assert rep.verdict == "short" and "like a backbone made by 'darknet partial'" in rep.message
    wrong = tmp_path / f"a.conv.{k + 1}"
    wrong.write_bytes(backbone.read_bytes())
    rep = w.check(str(wrong), network)
    assert rep.verdict == "short" and f"the name says .conv.{k + 1}): it is not one" in rep.message
    cfg = zoo[0]
    assert run("weights", "check", "--brief", cfg, str(backbone))[0] == 0
    assert run("weights", "check", "--brief", cfg, str(plain))[0] == 1
    code, out, _ = run("weights", "check", "--brief", "--layers", str(k), "--format", "json", cfg, str(plain))
    assert code == 0 and json.loads(out)["verdict"] == "backbone"


def test_check_sanity_warnings(tmp_path, zoo):
    _, network = zoo
    p = tmp_path / "a.weights"
    w.init(network, str(p), seed=1)
    with w.read(str(p), network) as wf:
        var = wf.arrays[(2, "", "rolling_variance")]
        kern = wf.arrays[(7, "self", "weights")]
    mm = np.memmap(p, dtype="<f4", mode="r+")
    mm[(var.offset // 4) + 1] = -3.0
    mm[(kern.offset // 4) + 2] = np.nan
    mm[(kern.offset // 4) + 3] = np.inf
    mm.flush()
    del mm
    rep = w.check(str(p), network)
    assert rep.fits
    rows = {r.span.index: r for r in rep.rows}
    assert rows[2].negative_variance == 1 and (rows[7].nan, rows[7].inf) == (1, 1)
    assert any("layer 2 [batchnorm]" in x and "negative BN rolling_variance" in x for x in rep.warnings)
    assert any("layer 7 [crnn]" in x and "1 NaN and 1 Inf" in x for x in rep.warnings)


def test_classes_hint(tmp_path):
    network80, _ = w.load_network(cfg_file(tmp_path, YOLO, "c80.cfg"))
    network3, _ = w.load_network(cfg_file(tmp_path, YOLO.replace("classes=80", "classes=3").replace(
        "filters=255", "filters=24"), "c3.cfg"))
    p = tmp_path / "c80.weights"
    w.init(network80, str(p), seed=1)
    rep = w.check(str(p), network3)
    assert rep.verdict == "long" and "classes=80" in rep.hint
    q = tmp_path / "c3.weights"
    w.init(network3, str(q), seed=1)
    rep = w.check(str(q), network80)
    assert rep.verdict == "short" and "classes=3" in rep.hint


@pytest.mark.parametrize("content, fragment", [
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "PNG image"),
    (b"PK\x03\x04" + b"\0" * 100, "ZIP archive (a PyTorch"),
    (b"\x80\x02ctorch\n" + b"\0" * 100, "Python pickle"),
    (b"[net]\nwidth=416\nheight=416\nchannels=3\n" * 3, "text file (a cfg?)"),
    (struct.pack("<iii", -5, 7, 1) + b"\0" * 100, "bytes 0-11 read as version -5.7.1"),
    (struct.pack("<ii", 0, 2), "ends inside the header at byte 8"),
    (struct.pack("<iii", 0, 2, 5) + b"\0\0", "ends inside the header at byte 14"),
    (b"", "ends inside the header at byte 0"),
])
def test_foreign_and_truncated_headers(tmp_path, zoo, content, fragment):
    _, network = zoo
    p = tmp_path / "bad.weights"
    p.write_bytes(content)
    with pytest.raises(WeightsFormatError, match=re.escape(fragment)):
        w.check(str(p), network)


# ------------------------------------------------------------------------------------------------
# extract

def cut_cfg(text: str, layers: int) -> str:
    """The cfg with only layers 0..layers-1 (the sections before the (layers+1)-th after [net])."""
    from cfggen.cfg.parse import parse
    doc = parse(text)
    if layers >= len(doc.layer_sections):
        return text
    line = doc.layer_sections[layers].line
    return "".join(ln.text + ln.eol for ln in doc.lines[:line - 1])


@pytest.mark.parametrize("n", [1, 3, 6, 7, 10, 12, 16])
def test_extract_matches_the_cut_cfg(tmp_path, zoo, n):
    cfg, network = zoo
    src, out = tmp_path / "src.weights", tmp_path / "part.weights"
    w.init(network, str(src), seed=4)
    # a real training file has seen > 0; darknet partial writes 0
    data = bytearray(src.read_bytes())
    data[12:20] = struct.pack("<Q", 99)
    src.write_bytes(bytes(data))
    result = w.extract(str(src), network, n, str(out))
    assert os.path.getsize(out) == result.bytes
    cut_network, _ = w.load_network(cfg_file(tmp_path, cut_cfg(ZOO, n), "cut.cfg"))
    assert w.check(str(out), cut_network).fits
    assert out.read_bytes() == bytes(data[:12]) + b"\0" * 8 + bytes(data[20:result.bytes])
    full = w.check(str(out), network)
    if n < 16:
        nxt = next(s for s in w.layout(network) if s.index >= n)
        assert full.verdict == "short" and full.first_mismatch.span.index == nxt.index
        assert f"it holds layers 0-{nxt.index - 1}" in full.message
    w.extract(str(src), network, n, str(out), keep_seen=True)
    assert w.read_header(str(out))[0].seen == 99


def test_extract_from_a_short_file_fails_cleanly(tmp_path, zoo):
    _, network = zoo
    src, out = tmp_path / "src.weights", tmp_path / "part.weights"
    w.init(network, str(src), seed=4)
    src.write_bytes(src.read_bytes()[:5000])
    out.write_bytes(b"keep me")
    with pytest.raises(WeightsFormatError, match=r"ends at byte 5,000, inside layer 6 \[local\] \(line 45\)"):
        w.extract(str(src), network, 10, str(out))
    assert out.read_bytes() == b"keep me"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".cfggen-")] == []
    assert w.extract(str(src), network, 6, str(out)).bytes < 5000      # layers 0-5 are all there


def test_extract_fills_dontload_layers(tmp_path):
    text = ZOO.replace("[local]\n", "[local]\ndontload=1\n")
    network, _ = w.load_network(cfg_file(tmp_path, text))
    src, out = tmp_path / "src.weights", tmp_path / "part.weights"
    w.init(network, str(src), seed=4)
    src.write_bytes(src.read_bytes()[:w.expected_size(network, mode="load")])   # what darknet reads
    result = w.extract(str(src), network, 8, str(out))
    assert result.bytes == w.expected_size(network, mode="save", upto=8)
    assert any("layer 6" in n and "initial values" in n for n in result.notes)


def test_extract_usage_errors(tmp_path, zoo):
    _, network = zoo
    src = tmp_path / "src.weights"
    w.init(network, str(src), seed=4)
    with pytest.raises(UsageError, match="1..16"):
        w.extract(str(src), network, 0, str(tmp_path / "o.weights"))
    with pytest.raises(UsageError, match="is the input file"):
        w.extract(str(src), network, 3, str(src))
    with pytest.raises(InputError, match="output folder does not exist"):
        w.extract(str(src), network, 3, str(tmp_path / "nope" / "o.weights"))


# ------------------------------------------------------------------------------------------------
# the command

def test_cli_init_check_info_extract(tmp_path, zoo):
    cfg, network = zoo
    out = tmp_path / "z.weights"
    code, stdout, err = run("weights", "init", cfg, "-o", str(out), "--seed", "3")
    size = 20 + 4 * network.totals.weights_file_floats
    assert code == 0 and err == ""
    assert stdout == f"wrote {out}: 14 layers with weights, {network.totals.weights_file_floats:,} floats, " \
                     f"{size:,} bytes (seed 3)\n"
    code, stdout, err = run("weights", "check", cfg, str(out))
    assert code == 0 and err == ""
    assert f"fits: {size:,} bytes = header 20 + {network.totals.weights_file_floats:,} floats" in stdout
    assert "    6  local" in stdout and "ok" in stdout
    code, stdout, err = run("weights", "check", cfg, str(out), "--format", "json")
    data = json.loads(stdout)
    assert code == 0 and data["fits"] and data["size"] == size and len(data["layers"]) == 14
    code, stdout, err = run("weights", "info", str(out))
    assert code == 0 and "version 0.2.5, seen 0" in stdout and f"{size:,} bytes" in stdout
    code, stdout, err = run("weights", "info", str(out), cfg)
    assert code == 0 and "fits the cfg exactly" in stdout and "absmax" in stdout
    part = tmp_path / "p.weights"
    code, stdout, err = run("weights", "extract", cfg, str(out), "--layers", "6", "-o", str(part))
    assert code == 0 and stdout.startswith(f"wrote {part}: layers 0-5")
    code, stdout, err = run("weights", "check", cfg, str(part))
    assert code == 1 and "too short" in stdout and "it holds layers 0-5" in stdout
    assert "    6  local" in stdout and "missing" in stdout
    code, stdout, err = run("weights", "check", cfg, str(part), "--brief")
    assert code == 1 and "    6  local" not in stdout and "too short" in stdout


def test_cli_check_strict_and_long(tmp_path, zoo):
    cfg, network = zoo
    out = tmp_path / "z.weights"
    w.init(network, str(out), seed=3)
    mm = np.memmap(out, dtype="<f4", mode="r+")
    mm[100] = np.nan
    mm.flush()
    del mm
    code, stdout, _ = run("weights", "check", cfg, str(out))
    assert code == 0 and "warning: layer" in stdout and "1 NaN" in stdout
    code, stdout, _ = run("weights", "check", cfg, str(out), "--strict")
    assert code == 1
    with open(out, "ab") as fh:
        fh.write(b"\0" * 40)
    code, stdout, _ = run("weights", "check", cfg, str(out))
    assert code == 1 and "too long: 40 extra bytes" in stdout


@pytest.mark.parametrize("content, fragment", [
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "not a darknet weights file: byte 0 starts a PNG image"),
    (b"PK\x03\x04" + b"\0" * 100, "byte 0 starts a ZIP archive"),
    (b"hello, world\n", "byte 0 starts a text file"),
    (struct.pack("<ii", 0, 2), "ends inside the header at byte 8"),
])
def test_cli_foreign_files_one_line(tmp_path, zoo, content, fragment):
    cfg, _ = zoo
    bad = tmp_path / "bad.weights"
    bad.write_bytes(content)
    for args in (("check", cfg, str(bad)), ("info", str(bad)), ("info", str(bad), cfg),
                 ("extract", cfg, str(bad), "-n", "3", "-o", str(tmp_path / "o.weights"))):
        code, stdout, err = run("weights", *args)
        assert code == 1 and stdout == "", args
        assert err.count("\n") == 1 and fragment in err and str(bad) in err and "Traceback" not in err
    assert not (tmp_path / "o.weights").exists()


def test_cli_truncated_extract_names_offset_and_layer(tmp_path, zoo):
    cfg, network = zoo
    src = tmp_path / "z.weights"
    w.init(network, str(src), seed=3)
    src.write_bytes(src.read_bytes()[:3000])
    code, stdout, err = run("weights", "extract", cfg, str(src), "-n", "16", "-o", str(tmp_path / "o.weights"))
    assert code == 1 and stdout == "" and err.count("\n") == 1
    assert "3,000 bytes: it ends at byte 3,000, inside layer 6 [local] (line 45)" in err


def test_cli_usage_and_input_errors(tmp_path, zoo):
    cfg, _ = zoo
    code, stdout, err = run("weights", "check", cfg, str(tmp_path / "missing.weights"))
    assert code == 2 and "no such file" in err and stdout == ""
    code, stdout, err = run("weights", "check", str(tmp_path / "missing.cfg"), str(tmp_path / "x"))
    assert code == 2 and "no such file" in err
    code, stdout, err = run("weights", "init", cfg)
    assert code == 2 and "Missing option '-o'" in err
    src = tmp_path / "z.weights"
    w.init(w.load_network(cfg)[0], str(src), seed=1)
    code, stdout, err = run("weights", "extract", cfg, str(src), "-n", "99", "-o", str(tmp_path / "o.weights"))
    assert code == 2 and "--layers 99: the cfg has 16 layers" in err
    nonet = cfg_file(tmp_path, "[convolutional]\nfilters=3\n", "nonet.cfg")
    code, stdout, err = run("weights", "init", nonet, "-o", str(tmp_path / "o.weights"))
    assert code == 2 and "darknet cannot build this network" in err


def test_validate_does_not_import_numpy():
    import subprocess
    code = ("import sys; from cfggen.cli import main\n"
            "try:\n    main(['validate', '--help'])\nexcept SystemExit:\n    pass\n"
            "import cfggen.commands.weights, cfggen.commands.adapt, cfggen.convert.adapt\n"
            "print('numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("False")
