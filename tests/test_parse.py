"""The parser reads lines exactly as darknet does and gives the text back byte for byte."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from cfggen.cfg import emit, parse, parse_bytes
from cfggen.errors import CfgSyntaxError

from conftest import corpus_files, needs_shared


@needs_shared
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_round_trip_is_byte_identical(path):
    data = path.read_bytes()
    doc = parse_bytes(data, str(path))
    assert emit(doc).encode("utf-8") == data


@needs_shared
def test_corpus_has_95_files():
    assert len(corpus_files()) == 95


@given(st.text(alphabet=st.characters(blacklist_characters="\x00"), max_size=300))
@settings(max_examples=300, deadline=None)
def test_round_trip_any_text(text):
    assert emit(parse(text)) == text


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


@pytest.mark.parametrize("data,line", [(b"[net]\n\x00\x01", 2), (b"[net]\nwidth=\xff\n", 2)])
def test_binary_input_is_a_located_error(data, line):
    with pytest.raises(CfgSyntaxError) as exc:
        parse_bytes(data, "junk.cfg")
    assert exc.value.line == line and str(exc.value).startswith(f"junk.cfg:{line}:")
