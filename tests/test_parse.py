"""The parser reads lines exactly as darknet does and gives the text back byte for byte."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from cfggen.cfg import emit, encode, parse, parse_bytes

from conftest import corpus_files, needs_shared


@needs_shared
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_round_trip_is_byte_identical(path):
    data = path.read_bytes()
    doc = parse_bytes(data, str(path))
    assert encode(emit(doc)) == data


@needs_shared
def test_corpus_has_95_files():
    assert len(corpus_files()) == 95


@given(st.text(alphabet=st.characters(blacklist_characters="\x00"), max_size=300))
@settings(max_examples=300, deadline=None)
def test_round_trip_any_text(text):
    assert emit(parse(text)) == text


_CFG_BITS = ["[net]", "[conv]", "[", "key", "=", "value", " ", "\t", "\r", "\n", "\r\n", "#", ";", "x=1",
             " = ", "\udcff", "é", "[route]\n", "layers = -1, -4\n"]


@given(st.lists(st.sampled_from(_CFG_BITS) | st.text(alphabet=st.characters(blacklist_characters="\x00\ufeff"),
                                                     max_size=8), max_size=60).map("".join))
@settings(max_examples=400, deadline=None)
def test_whole_text_parse_equals_line_by_line_parse(text):
    """parse() strips whitespace from the whole text at once; the line-at-a-time reading (kept for files
    with a NUL or a BOM) is the reference: every record, line and column must be the same."""
    from cfggen.cfg.parse import _parse_slow
    fast, slow = parse(text), _parse_slow(text, "<string>", text.split("\n"))
    assert (fast.sections, fast.orphans, fast.comments) == (slow.sections, slow.orphans, slow.comments)


def test_darknet_line_rules():
    text = ("# comment\r\n[ net ]\r\nwidth = 4 16\r\n\t;x\r\nbatch=1\r\nbatch=64\r\nmask=\r\nnovalue\r\n"
            "[conv]\r\nactivation=leaky # note\r\nlayers = -1, -4\r\n")
    doc = parse(text)
    net, conv = doc.sections
    assert net.header == "[net]" and net.index == -1 and conv.index == 0
    assert net.get("width").value == "416"            # every space inside the line is deleted
    assert net.get("batch").value == "1"              # first duplicate wins
    assert net.get("mask") is None                    # 'key=' is dropped
    assert net.options[-1].form == "noeq" and net.get("novalue").value is None
    assert conv.get("activation").value == "leaky#note"  # no inline comments in darknet
    assert conv.get("layers").value == "-1,-4"
    assert [c.line for c in doc.comments] == [1, 4]
    assert emit(doc) == text


def test_positions_are_physical():
    doc = parse("[net]\n  width =  416\n")
    opt = doc.sections[0].options[0]
    assert (opt.line, opt.col, opt.value_col) == (2, 3, 12)


def test_section_names_are_case_sensitive_and_whole_line():
    doc = parse("[net]\n[Yolo]\n[yolo]#head\n")
    assert [s.header for s in doc.sections] == ["[net]", "[Yolo]", "[yolo]#head"]


def test_option_before_first_section_and_bom():
    doc = parse("\ufeffbatch=1\n[net]\n")
    assert doc.bom and doc.orphans[0].key == "batch" and doc.orphans[0].col == 2


BYTES = [
    "# café\n[net]\nwidth=416\n".encode("latin-1"),
    "# 检测层\r\n[net]\r\nwidth=416\r\n".encode("gbk"),
    b"[net]\nfilters=64\xe9\n[conv\xff]\n\xfe=1\n",
    b"\xff\xfe[\x00n\x00e\x00t\x00]\x00\n\x00",        # UTF-16
    bytes(range(256)) * 3,
    b"[net]\r\nwidth=4\x00junk\r\nheight=5\r\n",
    b"",
]


@pytest.mark.parametrize("data", BYTES)
def test_any_bytes_round_trip(data):
    doc = parse_bytes(data, "x.cfg")
    assert encode(emit(doc)) == data


@given(st.binary(max_size=400))
@settings(max_examples=300, deadline=None)
def test_round_trip_any_bytes(data):
    assert encode(emit(parse_bytes(data))) == data


def test_bytes_are_read_as_darknet_reads_them():
    doc = parse_bytes(b"# caf\xe9\n[net]\nfilters=64\xe9\n[conv\xff]\n")
    net, conv = doc.sections
    assert net.get("filters").value == "64\udce9" and conv.header == "[conv\udcff]"
    assert doc.undecoded and len(doc.comments) == 1


def test_nul_cuts_the_line_and_joins_the_next():
    """fgetl: strlen stops at the NUL, fgets reads on at that spot: the next line is glued on."""
    doc = parse_bytes(b"[net]\nwidth=4\x00junk\nheight=5\nchannels=3\n")
    (net,) = doc.sections
    assert [(o.key, o.value, o.line) for o in net.options] == [("width", "4height=5", 2), ("channels", "3", 4)]
    assert [(c.line, c.col, c.dropped) for c in doc.cuts] == [(2, 8, "\x00junk")]


def test_nul_at_line_start_and_at_the_end():
    doc = parse_bytes(b"\x00abc\n[net]\nw=1\x00")
    (net,) = doc.sections
    assert net.header == "[net]" and net.line == 1 and net.get("w").value == "1"
    assert [(c.line, c.col) for c in doc.cuts] == [(1, 1), (3, 4)]


def test_nul_in_a_line_longer_than_fgets_buffer():
    """The first fgets reads 511 bytes: after the NUL, the rest of the *same* line (from byte 511) is glued on."""
    line = b"a=" + b"1" * 10 + b"\x00" + b"x" * 600
    doc = parse_bytes(b"[net]\n" + line + b"\nb=2\n")
    (net,) = doc.sections
    assert net.options[0].value == "1" * 10 + "x" * (len(line) - 511)
    assert net.get("b").value == "2"


def test_atoi_reads_ascii_digits_only():
    from cfggen.ir.cnum import atof, atoi
    assert atoi("\uff13") == 0 and atoi("\u0663") == 0 and atoi("64\udce9") == 64 and atoi("\x0b7") == 7
    assert atof("\uff13") == 0.0 and atof("\x0c1.5") == 1.5


_TWIN_BITS = ["[convolutional]\n", "[route]\n", "filters=16\n", "filters = 16\n", "size=3\n", "#note\n", "\n",
              "layers=-1,-3\n", "size=3", "x\n", "y=\n", "\r\n"]


@given(st.lists(st.sampled_from(_TWIN_BITS), max_size=40).map("".join))
@settings(max_examples=300, deadline=None)
def test_twin_sections_have_the_same_options(text):
    """Twins (found by comparing stripped section text) read to the same options: the same header and
    the same keys, values and forms in order; the comparison of content (``Document.twins`` of an eager
    document) groups at least as much."""
    from cfggen.cfg.parse import _parse_slow
    doc, slow = parse(text), _parse_slow(text, "<string>", text.split("\n"))
    content = lambda s: (s.header, [(o.key, o.value, o.form) for o in s.options])  # noqa: E731
    assert len(doc.twins) == len(doc.sections)
    for i, t in enumerate(doc.twins):
        assert t <= i and (i > 0 or t == 0)
        assert content(doc.sections[i]) == content(doc.sections[t])
        assert slow.twins[i] == slow.twins[t]


def test_options_are_built_when_read_and_twins_of_clean_sections_never():
    from cfggen.lint.engine import analyze
    conv = "[convolutional]\nfilters=16\nsize=3\nactivation=leaky\n\n"
    text = "[net]\nwidth=64\nheight=64\nchannels=3\n\n" + conv * 3 + "[convolutional]\nfilters=16\nsize=3\nactivation=leakyy\n\n" \
        + "[convolutional]\nfilters = 16\nsize=3\nactivation=leakyy\n"
    doc = parse(text)
    assert doc.twins == [0, 1, 1, 1, 4, 4]          # whitespace does not matter, a value does
    assert not any(s.built for s in doc.sections)
    found = analyze(doc, "native").findings
    # [net] is read option by option; plain key=value sections are read from their pairs (no records);
    # the sections with a finding build their records
    assert [s.built for s in doc.sections] == [True, False, False, False, True, True]
    # the twin of a section with a finding has the finding too, at its own line
    (d,) = [d for d in found if d.code == "DN108"]
    assert d.line == 24 and 29 in [line for line, _ in d.related]
    assert doc.sections[5].options[2].line == 29 and doc.sections[5].options[0].value_col == 11


def test_comments_are_found_when_asked():
    text = "# top\n[net]\n ; semi\nwidth=1\n  #x\r\nkey#=1\n"
    assert parse(text).comments == _parse_slow_comments(text)
    assert [c.line for c in parse(text).comments] == [1, 3, 5]


def _parse_slow_comments(text):
    from cfggen.cfg.parse import _parse_slow
    return _parse_slow(text, "<string>", text.split("\n")).comments


@given(st.lists(st.sampled_from(_TWIN_BITS + ["a=b=c\n", "=5\n", "k=v#x\n", ";c\n", "[yolo]\n", "mask=0,1\n"]),
                max_size=40).map("".join))
@settings(max_examples=300, deadline=None)
def test_pairs_are_the_options_when_every_line_is_plain(text):
    """``Section.pairs`` (no records) says what the records say, or nothing; the conf read
    from pairs is the conf read from the records."""
    from cfggen.ir.build import _read, _read_pairs
    from cfggen.ir.layers import LAYERS
    for section in parse(text).sections:
        pairs = section.pairs()
        opts = section.options
        assert section.pairs() is None          # once built, the records are the source
        plain = [o for o in opts if o.form == "ok"]
        if pairs is None:
            continue
        assert pairs == [(o.key, "=", o.value) for o in opts] and len(plain) == len(opts)
        spec = LAYERS.get(section.header)
        if spec is not None:
            assert _read_pairs(pairs, spec.types, spec.defaults, {"i": {}, "f": {}}) == \
                _read(opts, spec.types, spec.defaults, {"i": {}, "f": {}})


def test_a_lazy_section_behaves_as_the_named_tuple_it_replaced():
    import pickle
    from cfggen.cfg.model import Section
    doc = parse("[net]\nwidth=8\n\n[convolutional]\nfilters = 4\nsize=3\n")
    lazy = doc.sections[1]
    assert not lazy.built
    header, line, col, options, index = lazy          # unpacking builds the records
    eager = Section(header, line, col, options, index)
    assert lazy == eager and hash(lazy) == hash(eager) and repr(lazy) == repr(eager)
    assert lazy[0] == "[convolutional]" and lazy[3][0].value_col == 11 and len(lazy) == 5
    assert pickle.loads(pickle.dumps(parse("[net]\nwidth=8\n").sections[0])) == parse("[net]\nwidth=8\n").sections[0]
    assert lazy._replace(index=7) == Section(header, line, col, options, 7)
    assert lazy._asdict()["options"] == options


def test_file_readers_share_one_reading_and_keep_their_messages(tmp_path):
    """cfg/parse.read_file, fileio.read_head and the dataset readers read through fileio.read_bytes;
    each names its own kind of file in the errors."""
    import os

    from cfggen.cfg.parse import read_file
    from cfggen.dataset.files import read_list, read_names
    from cfggen.errors import InputError
    from cfggen.fileio import read_bytes, read_head
    folder, missing = str(tmp_path), str(tmp_path / "none")
    cases = [
        (read_file, (), "no such file", "is a directory, not a cfg file"),
        (read_head, (8, "weights file"), "no such file", "is a directory, not a weights file"),
        (read_names, (), "no such names file", "is a directory, not a names file"),
        (read_list, (), "no such image list", "is a directory, not an image list"),
    ]
    for reader, args, gone, folder_msg in cases:
        for path, message in ((missing, gone), (folder, folder_msg)):
            with pytest.raises(InputError) as e:
                reader(path, *args)
            assert str(e.value) == f"{path}: error: {message}", reader.__name__
    f = tmp_path / "w.bin"
    f.write_bytes(bytes(range(100)))
    assert read_head(str(f), 8, "weights file") == (bytes(range(8)), 100)
    assert read_bytes(str(f)) == (bytes(range(100)), 100)
    if hasattr(os, "geteuid") and os.geteuid() != 0:     # root reads a mode-000 file anyway
        f.chmod(0)
        with pytest.raises(InputError) as e:
            read_names(str(f))
        assert str(e.value) == f"{f}: error: cannot read the names file: Permission denied"
        with pytest.raises(InputError) as e:
            read_file(str(f))
        assert str(e.value) == f"{f}: error: cannot read: Permission denied"
