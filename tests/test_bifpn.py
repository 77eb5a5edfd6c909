"""EfficientDet-style BiFPN neck and d0..d7 (issue 12), checked through the validated network.

The topology is read back from the layers cfggen's validator infers (which layers feed each
[shortcut], at which grid), not from the layout records that produced the text. The compound
scaling table is typed from the EfficientDet paper, table 1.
"""
from __future__ import annotations

import math
import re
import shlex

import pytest

from cfggen.api import analyze_text
from cfggen.errors import UsageError
from cfggen.generate import generate
from conftest import run_cli as run  # noqa: E402

# EfficientDet paper, table 1: input, backbone, BiFPN width, BiFPN layers
TABLE = {
    "d0": (512, "b0", 64, 3), "d1": (640, "b1", 88, 4), "d2": (768, "b2", 112, 5),
    "d3": (896, "b3", 160, 6), "d4": (1024, "b4", 224, 7), "d5": (1280, "b5", 288, 7),
    "d6": (1280, "b6", 384, 8), "d7": (1536, "b6", 384, 8),
}
# per repeat: (output level, resampling, levels of the other inputs), in automl's node order
TOP_DOWN = [(6, "upsample", (6,)), (5, "upsample", (5,)), (4, "upsample", (4,)), (3, "upsample", (3,))]
BOTTOM_UP = [(4, "maxpool", (4, 4)), (5, "maxpool", (5, 5)), (6, "maxpool", (6, 6)), (7, "maxpool", (7,))]


def fusions(network):
    return [layer for layer in network.layers
            if layer.type == "shortcut" and layer.conf.get("weights_type", "none") != "none"]


def level(network, layer):
    return int(math.log2(network.width // layer.output.w))


def neck(text):
    result = analyze_text(text, sizes="native")
    assert list(result.findings) == []
    return result.network


@pytest.mark.parametrize("levels, last_repeat", [("3-5", 6), ("3-7", 8)])
def test_fusion_graph_has_the_papers_topology(levels, last_repeat):
    network = neck(generate("d1", levels=levels))
    layers = network.layers
    nodes = fusions(network)
    repeats = TABLE["d1"][3]
    assert len(nodes) == 8 * (repeats - 1) + last_repeat
    # the BiFPN inputs: P3-P5 projected from the backbone's stride 8/16/32 stage ends, P6, P7 pooled
    laterals = layers[nodes[0].index - 11:nodes[0].index - 1]
    assert [la.type for la in laterals] == ["route", "convolutional"] * 4 + ["maxpool", "maxpool"]
    backbone = layers[:laterals[0].index]
    # a stage end is a block output (a residual [shortcut] or linear project conv) at that stride
    outputs = [la for la in backbone if la.type == "shortcut" or la.conf.get("activation") == "linear"]
    ends = {s: max(la.index for la in outputs if network.width // la.output.w == s) for s in (8, 16, 32)}
    assert [laterals[i].refs for i in (0, 2, 4, 6)] == [(ends[8],), (ends[16],), (ends[32],), (ends[32],)]
    inputs = {3: laterals[1].index, 4: laterals[3].index, 5: laterals[5].index, 6: laterals[8].index,
              7: laterals[9].index}
    assert all(level(network, layers[i]) == lv for lv, i in inputs.items())
    assert {laterals[i].output.c for i in (1, 3, 5, 7)} == {TABLE["d1"][2]}
    current = dict(inputs)                       # level -> layer holding that level's features now
    expected = TOP_DOWN + BOTTOM_UP
    for r in range(repeats):
        repeat = nodes[8 * r:8 * r + 8]
        td: dict[int, int] = {}
        outs: dict[int, int] = {}
        for node, (out_level, resample, others) in zip(repeat, expected):
            prev = layers[node.index - 1]
            source = layers[node.index - 2]      # [upsample]/[maxpool] read the previous layer
            assert prev.type == resample and level(network, node) == out_level
            assert len(node.refs) + 1 in (2, 3) and len(node.refs) == len(others)
            assert node.conf["weights_type"] == "per_feature" and node.conf["weights_normalization"] == "relu"
            assert node.params.trainable == len(node.refs) + 1        # one fusion weight per input
            # which nodes feed it: the level's current input, its top-down node (bottom-up only),
            # and the resampled neighbour (the node just computed, one level up or down)
            wanted = [current[out_level]] + ([td[out_level]] if len(others) == 2 else [])
            assert list(node.refs) == wanted
            neighbour = out_level + 1 if resample == "upsample" else out_level - 1
            made = td if resample == "upsample" else outs
            assert source.index == (current[7] if (out_level, resample) == (6, "upsample") else
                                    outs.get(neighbour, td.get(neighbour)))
            # then a depthwise-separable conv: 3x3 depthwise, 1x1 with BN and swish
            dw, pw = layers[node.index + 1], layers[node.index + 2]
            width = TABLE["d1"][2]
            assert (dw.conf["size"], dw.conf["groups"], dw.output.c) == (3, width, width)
            assert (pw.conf["size"], pw.conf["batch_normalize"], pw.conf["activation"]) == (1, 1, "swish")
            if out_level == 3:
                outs[3] = pw.index
            else:
                made[out_level] = pw.index
        for lv in range(3, 8):
            if lv in outs:
                current[lv] = outs[lv]
    yolos = [layer for layer in layers if layer.type == "yolo"]
    assert [level(network, y) for y in yolos] == list(range(3, 8 if levels == "3-7" else 6))
    for y in yolos:          # each head reads its level's last BiFPN output
        route = layers[y.index - 3]
        assert route.type == "route" and route.refs == (current[level(network, y)],)


@pytest.mark.parametrize("name", TABLE)
def test_compound_scaling_follows_the_table(name):
    resolution, backbone, width, repeats = TABLE[name]
    text = generate(name)
    network = neck(text)
    assert (network.width, network.height) == (resolution, resolution)
    nodes = fusions(network)
    assert len(nodes) == 8 * repeats - 2                      # last repeat: heads on P3-P5 only
    assert {network.layers[n.index + 2].output.c for n in nodes} == {width}
    assert f"+ BiFPN (width {width}, {repeats} repeats, P3-P7)" in text
    # the backbone is the EfficientNet variant itself, layer for layer
    plain = generate(backbone, head="yolo", size=resolution)
    ours = text.split("# ==== BiFPN neck")[0].split("[net]")[1].split("# ==== stem")[1]
    theirs = plain.split("# ==== yolo head")[0].split("# ==== stem")[1]
    assert ours == theirs
    assert re.search(r"^resize_step=128$", text, re.M)


def test_compound_option_is_the_d_variant():
    assert generate(None, compound=4, classes=3) == generate("d4", classes=3)
    assert generate("efficientdet-d2") == generate("d2")


@pytest.mark.parametrize("classes", [1, 3, 80])
@pytest.mark.parametrize("name", TABLE)
def test_every_detector_validates_at_every_training_size(name, classes):
    result = analyze_text(generate(name, classes=classes), sizes="training")
    assert list(result.findings) == []
    assert len(result.sizes) >= 3
    assert all(w % 128 == 0 and h % 128 == 0 for w, h in result.sizes)


def test_five_heads_spread_the_anchors():
    network = neck(generate("d0", levels="3-7", classes=2))
    yolos = [layer for layer in network.layers if layer.type == "yolo"]
    assert [network.width // y.output.w for y in yolos] == [8, 16, 32, 64, 128]
    assert [y.conf["mask"] for y in yolos] == ["0,1,2", "3,4,5", "6,7,8", "9,10,11", "12,13,14"]
    anchors = [float(v) for v in yolos[0].conf["anchors"].split(",")]
    assert len(anchors) == 30 and all(y.conf["num"] == 15 for y in yolos)
    # EfficientDet's anchors: 4 x stride, aspect ratios 1:1, 1.4:0.7, 0.7:1.4 at each level
    for n, y in enumerate(yolos):
        stride = network.width // y.output.w
        w, h = anchors[6 * n:6 * n + 2]
        assert (w, h) == (4 * stride, 4 * stride)


def test_bifpn_on_other_backbones():
    for variant in ("mixnet-m", "mobilenetv2", "lite1"):
        text = generate(variant, head="yolo", neck="bifpn", bifpn_width=48, bifpn_repeats=2, classes=3)
        result = analyze_text(text)
        assert list(result.findings) == []
        assert len(fusions(result.network)) == 8 + 6
        assert result.network.width % 128 == 0


@pytest.mark.parametrize("kwargs, message", [
    (dict(variant="b0", neck="bifpn"), "use --head yolo"),
    (dict(variant="b0", head="yolo-tiny", neck="bifpn"), "use --head yolo"),
    (dict(variant="b0", head="yolo", bifpn_width=64), "only apply with --neck bifpn"),
    (dict(variant="d0", levels="2-5"), "levels 3 to 7"),
    (dict(variant="d0", levels="three"), "FIRST-LAST"),
    (dict(variant="d0", size="600x600"), "multiples of 128"),
    (dict(variant="d0", neck="pan"), "its neck is the BiFPN"),
    (dict(variant="d1", bifpn_repeats=0), "at least 1"),
    (dict(variant=None, compound=9), "expected 0..7"),
    (dict(variant="b0", compound=1), "give no variant"),
    (dict(variant="d0", anchors="1,2"), "9 anchors"),
])
def test_bad_neck_options_are_usage_errors(kwargs, message):
    with pytest.raises(UsageError, match=message):
        generate(**kwargs)


def test_cli_builds_and_reproduces_a_detector(capsys):
    code, out, err = run("build", "--neck", "bifpn", "--compound", "2", "--classes", "3", "--levels", "3-7")
    assert code == 0 and out == generate("d2", classes=3, levels="3-7")
    command = re.search(r"^# generated by cfggen: cfggen (build .*)$", out, re.M).group(1)
    assert command == "build d2 --levels 3-7 --classes 3"
    assert run(*shlex.split(command))[1] == out
    code, out, _ = run("build", "b1", "--head", "yolo", "--neck", "bifpn", "--bifpn-width", "72")
    command = re.search(r"^# generated by cfggen: cfggen (build .*)$", out, re.M).group(1)
    assert run(*shlex.split(command))[1] == out
    code, out, err = run("build", "d0", "--head", "classifier")
    assert code == 2 and "use --head yolo" in err and len(err.strip().splitlines()) == 1


def test_list_shows_the_detectors(capsys):
    code, out, _ = run("list")
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    for name, (resolution, *_) in TABLE.items():
        assert rows[name][1] == f"{resolution}x{resolution}"
