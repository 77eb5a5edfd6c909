"""The lint engine's shortcuts compute what their plain definitions compute (issue #14, speed).

The shared option pass and the text scans in ``cfggen.lint.rules._base`` replace simple definitions
by faster ones; these tests hold them to the definitions on arbitrary text (the corpus snapshot only
covers the files we have).
"""
from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from cfggen.cfg.parse import parse
from cfggen.lint.rules import _base

# DN107's definition of a line where blanks split a number
SPACED = re.compile(r"[0-9.]([ \t]+)[-+0-9.]")
TEXT = st.text(alphabet=st.sampled_from(list("0123456789.+- \t\n\r\x01\x02ab=#[]é\udcff")), max_size=200)
CFG = st.lists(st.sampled_from(["[net]", "[convolutional]", "[yolo]", "[route]", "[foo]", "filters=16", "filters=1 6",
                                "size = 3", "stride=2", "activation=leaky", "activation=silu", "layers=-1,-4",
                                "learning_rate=0.001", "learning_rate=1e-3", "mask=", "batch", "size=3", "pad=1",
                                "filters=١٢", "dilation=2", "# note 1 2", "", "max_delta=.5", "resize_step=32",
                                "random=1", "filters=16", "[sam]", "[scale_channels]", "[shortcut]", "from=-1,-2",
                                "from=-2", "mask=0,1,2", "layers=-1,-4,", "layers=-1,,-4", "layers=+1,2",
                                "anchors=10,13,16,30", "steps=100,200", "scales=.1,.1", "layers=-1, -4"]), max_size=30)


def spaced_by_definition(text: str) -> frozenset[int]:
    return frozenset(text.count("\n", 0, m.start()) + 1 for m in SPACED.finditer(text))


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_spaced_lines_are_the_regex_definition(text):
    assert _base._spaced(text) == spaced_by_definition(text)


def odd_by_definition(doc) -> list:
    """Every option that is not plainly right, by the words of ``_odd_options``'s docstring."""
    spaced = spaced_by_definition(doc.text)
    out = []
    for i, section in enumerate(doc.sections):
        if i == 0 and section.header in ("[net]", "[network]"):
            types = _base.NET_TYPES
        else:
            spec = _base.LAYERS.get(section.header)
            types = {**spec.types, **_base.COMMON_KEYS} if spec is not None else None
        for opt in section.options:
            typ = types.get(opt.key) if types is not None else None
            v = opt.value
            plain = types is not None and opt.form == "ok" and opt.line not in spaced and (
                (typ == "i" and v.isascii() and v.isdigit())
                or (typ == "f" and opt.key not in _base._FLOAT_TO_INT and _base._PLAIN_FLOAT.fullmatch(v) is not None)
                or (typ == "l" and v.isascii() and (v[1:] if v[0] == "-" else v).isdigit())
                or (typ == "l" and re.fullmatch(r"-?[0-9]+(,-?[0-9]+)+", v) is not None
                    and not (opt.key == "from" and section.header in ("[sam]", "[scale_channels]")))
                or (typ == "s" and opt.key == "activation" and v in _base._ACTIVATIONS))
            if not plain:
                out.append((i, section, opt))
    return out


@settings(max_examples=300, deadline=None)
@given(CFG)
def test_odd_options_and_repeated_keys_are_their_definitions(lines):
    doc = parse("\n".join(lines) + "\n")
    facts = _base._facts(doc)
    assert list(facts.odd) == odd_by_definition(doc)
    repeated = [i for i, section in enumerate(doc.sections) if facts.key_types[i] is not None
                and len({opt.key for opt in section.options}) != len(section.options)]
    assert list(facts.repeated) == repeated
    assert list(facts.unknown) == [i for i, t in enumerate(facts.key_types) if t is None]


@given(st.lists(st.sampled_from(["a", "b\r", "", "c d", "\r"]), max_size=8), st.booleans())
def test_line_end_is_document_lines_eol(pieces, trailing):
    text = "\n".join(pieces) + ("\n" if trailing else "")
    doc = parse(text)
    lines = doc.lines
    for n, line in enumerate(lines, start=1):
        assert doc.line_end(n) == line.eol
        assert doc.line_text(n) == line.text


@settings(max_examples=200, deadline=None)
@given(CFG)
def test_no_rule_reports_a_plainly_right_option(lines):
    """The option rules look only at ``Facts.odd``: handing them every option instead must find the
    very same things (otherwise a plain form of ``_kinds`` hides a finding)."""
    from cfggen.lint.engine import analyze
    text = "\n".join(lines) + "\n"
    fast = analyze(parse(text), "native").findings
    real = _base._odd_options

    def everything(doc, kinds, spaced):
        _, repeated = real(doc, kinds, spaced)
        return tuple((i, s, o) for i, s in enumerate(doc.sections) for o in s.options), repeated
    _base._odd_options = everything
    try:
        slow = analyze(parse(text), "native").findings
    finally:
        _base._odd_options = real
    assert fast == slow


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["<<<<<<< ours", "=======", ">>>>>>> theirs", "||||||| base", "#=======", " =======",
                                 "======= ", "x=1", "[net]", "", "\r", "<<<<<<<", "========"]), max_size=12))
def test_conflict_lines_are_the_regex_definition(lines):
    text = "\n".join(lines)
    expected = {text.count("\n", 0, m.start()) + 1 for m in re.finditer(_base._CONFLICT, text, re.MULTILINE)}
    assert _base._facts(parse(text)).conflict_lines == expected


def max_scale_by_definition(net) -> tuple[float, float]:
    """DN219's total downsampling by its words: per layer, its input's factor times its strides
    (divided by an [upsample]'s or a reverse [reorg]'s), None after a layer without a map, a
    [route]/[sam]/[scale_channels]'s source's; the maximum over the layers with a map (1.0 if none)."""
    from cfggen.lint.rules import DN219
    out, cur = [], (1.0, 1.0)
    for layer in net.layers:
        t, k = layer.type, layer.conf
        if t in DN219._FLAT:
            cur = None
        elif t in ("route", "sam", "scale_channels"):
            cur = out[layer.refs[0]] if layer.refs and 0 <= layer.refs[0] < len(out) else None
        elif cur is None:
            pass
        elif t == "upsample":
            s = k["stride"]
            cur = None if s == 0 else (cur[0] / s, cur[1] / s) if s > 0 else (cur[0] * -s, cur[1] * -s)
        elif t in ("reorg", "reorg3d"):
            s = k["stride"]
            cur = None if s <= 0 else (cur[0] / s, cur[1] / s) if k["reverse"] else (cur[0] * s, cur[1] * s)
        else:
            s = DN219._strides(layer)
            if s is not None:
                cur = None if s[0] <= 0 or s[1] <= 0 else (cur[0] * s[0], cur[1] * s[1])
        out.append(cur)
    maps = [f for f in out if f is not None]
    return max((f[0] for f in maps), default=1.0), max((f[1] for f in maps), default=1.0)


LAYER_BLOCKS = st.sampled_from([
    "[convolutional]\nfilters=4\nsize=3\nstride=2\npad=1", "[convolutional]\nfilters=4\nsize=1",
    "[convolutional]\nfilters=4\nsize=3\nstride_x=2\nstride_y=1\npad=1", "[convolutional]\nsize=1\nstride=0",
    "[convolutional]\nfilters=4\nsize=1\nstride_y=3", "[maxpool]\nsize=2\nstride=2", "[maxpool]\nsize=1\nstride=1",
    "[maxpool]\nstride_x=2\nstride_y=1", "[local_avgpool]\nstride=2", "[upsample]\nstride=2", "[upsample]\nstride=-2",
    "[upsample]\nstride=0", "[reorg]\nstride=2", "[reorg]\nstride=2\nreverse=1", "[reorg3d]\nstride=0",
    "[route]\nlayers=-2", "[route]\nlayers=-1,-3", "[route]\nlayers=5", "[route]\nlayers=0", "[sam]\nfrom=-2",
    "[scale_channels]\nfrom=-3", "[shortcut]\nfrom=-2", "[avgpool]", "[connected]\noutput=4", "[softmax]",
    "[yolo]\nmask=0\nanchors=1,1\nclasses=1", "[dropout]", "[activation]\nactivation=relu", "[foo]"])


@settings(max_examples=300, deadline=None)
@given(st.lists(LAYER_BLOCKS, min_size=0, max_size=14))
def test_max_scale_is_its_definition(blocks):
    """DN219 takes the maxima over the factors a stride computes (and the input's, when the first
    layers carry it), not over every layer's: the result is the layer-by-layer definition's, exactly
    (floats included)."""
    from cfggen.ir.build import infer, plan
    from cfggen.lint.rules import DN219
    p = plan(parse("[net]\nwidth=64\nheight=48\nchannels=3\n" + "\n".join(blocks) + "\n"))
    net, _ = infer(p)
    assert DN219.max_scale(net) == max_scale_by_definition(net)
