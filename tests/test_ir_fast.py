"""infer's per-type fast paths (cfggen/ir/build.py) compute exactly what the layer table computes.

The fast paths are a specialisation of the clean case of a few layer functions; the general path
(``spec.infer`` through ``Ctx``) is the reference. Every layer record, finding and total must be
identical, at the cfg's own size and at sizes where maps shrink to nothing or stop lining up.
"""
from __future__ import annotations

import glob
import os

from hypothesis import given, settings, strategies as st

from cfggen.cfg.parse import parse, read_file
from cfggen.ir.build import infer, plan
from cfggen.ir.cnum import _atof_prefix, atof, atoi, wrap32
from conftest import SHARED, needs_shared

SIZES = (None, (416, 416), (97, 61), (33, 1), (8, 8), (1, 1), (0, 5), (-32, 64))
CORPUS_SIZES = (None, (97, 61), (8, 8), (0, 5))    # the corpus is large: fewer sizes keep the test quick


def _general_only(p):
    p.fast = [None] * len(p.items)
    return p


def _same_everywhere(doc, sizes=SIZES):
    fast, slow = plan(doc), _general_only(plan(doc))
    if doc.net is None:
        return
    for size in sizes:
        for stop in (False, True):
            net_f, found_f = infer(fast, size, stop)
            net_s, found_s = infer(slow, size, stop)
            assert [tuple(l) for l in net_f.layers] == [tuple(l) for l in net_s.layers], (doc.path, size)
            assert [repr(l.bflops) for l in net_f.layers] == [repr(l.bflops) for l in net_s.layers]
            assert net_f.totals == net_s.totals and found_f == found_s, (doc.path, size)
            assert net_f.totals == _totals(net_f.layers, stop and fast.usable), (doc.path, size)


def _totals(layers, stop):
    """Darknet's running sums, layer by layer: parameters, then (unless it stops there) float32 BFLOPs."""
    from cfggen.ir.cnum import f32
    from cfggen.ir.model import Totals
    params = floats = 0
    total = 0.0
    for layer in layers:
        params += layer.params.trainable
        floats += layer.params.bn_rolling
        if layer.broken and stop:
            break
        if layer.bflops > 0:
            total = f32(total + layer.bflops)
    return Totals(params, params + floats, total, "%5.3f" % total)


def _corpus():
    files = sorted(glob.glob(os.path.join(str(SHARED), "corpus", "darknet", "**", "*.cfg"), recursive=True))
    return files + sorted(glob.glob("generated_cfgs/*.cfg"))


@needs_shared
def test_fast_paths_match_the_layer_table_on_the_corpus():
    files = _corpus()
    assert files
    for f in files:
        _same_everywhere(read_file(f), CORPUS_SIZES)


EDGE = """[net]
width=64
height=48
channels=3
[convolutional]
filters=8
size=3
stride=2
pad=1
batch_normalize=1
[convolutional]
filters=8
size=1
xnor=1
groups=4
[shortcut]
from=-2
weights_type=per_channel
weights_normalization=relu
[shortcut]
from=-1,-3
weights_type=per_feature
weights_normalization=softmax
[route]
layers=-1
groups=2
[route]
layers=-2
[upsample]
stride=3
[maxpool]
size=3
stride=3
[maxpool]
size=3
stride=2
[maxpool]
stride=1
size=2
padding=0
[convolutional]
filters=4
size=5
stride_x=2
stride_y=3
padding=-1
[shortcut]
from=-2
[shortcut]
from=-3
weights_type=per_channel
weights_normalization=relu
[route]
layers=-1,-3
groups=2
[route]
layers=-1,1
[route]
layers=-2,5
group_id=1
groups=-3
[upsample]
stride=3
[upsample]
stride=0
[route]
layers=2
[convolutional]
filters=18
size=1
[yolo]
mask=0,1,2
classes=1
[route]
layers=-3
[yolo]
classes=1
num=2
[route]
layers=99
"""


def test_fast_paths_match_the_layer_table_on_edge_cases():
    _same_everywhere(parse(EDGE, "edge.cfg"))
    for cut in range(1, EDGE.count("\n[")):   # every prefix: different layers end the file, other refs dangle
        _same_everywhere(parse("[".join(EDGE.split("[")[:cut + 1]), "edge.cfg"))


# atoi/atof take a shortcut for plain numbers; the regex (strtol/strtod's longest prefix) is the reference


def _atoi_prefix(text: str) -> int:
    import re
    m = re.match(r"[ \t\n\v\f\r]*([+-]?[0-9]+)", text, re.ASCII)
    return wrap32(max(-(2**63), min(2**63 - 1, int(m.group(1))))) if m else 0


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="0123456789.eE+-_ x\u0663", min_size=1, max_size=12))
def test_number_shortcuts_agree_with_the_prefix_rules(text):
    assert repr(atof(text)) == repr(_atof_prefix(text))
    assert atoi(text) == _atoi_prefix(text)


STOP = """[net]
width=32
height=32
channels=3
[convolutional]
filters=4
size=3
pad=1
[convolutional]
filters=4
size=3
stride=2
pad=1
[route]
layers=-1,-2
[route]
layers=-3
[shortcut]
from=-2
[convolutional]
filters=2
size=1
"""


def test_stop_at_break_ends_at_the_first_broken_layer():
    # layer 2 concatenates 32x32 and 16x16 maps (darknet exits); the [shortcut] reads it, so it is
    # broken too although it computes BFLOPs
    doc = parse(STOP, "stop.cfg")
    net, _ = infer(plan(doc), None, stop_at_break=True)
    assert [layer.broken for layer in net.layers] == [False, False, True]
    net, _ = infer(plan(doc), (32, 32), stop_at_break=False)
    assert net.layers[4].broken and net.layers[4].bflops > 0
    _same_everywhere(doc)     # and the totals are darknet's running sums either way


def test_network_totals_are_summed_when_asked():
    import pickle
    from cfggen.cfg import parse
    from cfggen.ir.build import infer, plan
    from cfggen.ir.model import Network, Totals
    text = "[net]\nwidth=32\nheight=32\nchannels=3\n[convolutional]\nfilters=8\nsize=3\npad=1\n[maxpool]\nsize=2\nstride=2\n"
    net, _ = infer(plan(parse(text)))
    assert not isinstance(net._totals, Totals)             # not summed by infer
    eager = Network(net.width, net.height, net.channels, net.layers, net.totals, net.net)
    assert net.totals == Totals(8 * 3 * 9 + 8, 8 * 3 * 9 + 8, net.totals.bflops, net.totals.bflops_printed)
    assert eager == net and repr(eager) == repr(net) and pickle.loads(pickle.dumps(net)) == net
    from cfggen.ir.cnum import f32
    total = 0.0
    for layer in net.layers:
        total = f32(total + layer.bflops)      # darknet's float32 running sum
    assert net.totals.bflops == total > 0
