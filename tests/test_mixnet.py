"""MixNet-S/M/L and MobileNetV2 (issue 12): exact against geffnet 1.0.2, per stage and block.

The totals are typed from the issue (geffnet, random init); the per-block comparison builds the
geffnet model when torch and geffnet are installed (test extras) and counts its parameters module by
module, against the parameters cfggen's validator infers for the generated cfg's sections.
"""
from __future__ import annotations

import os
import re
from collections import defaultdict

import pytest
from hypothesis import given, strategies as st

from cfggen.api import analyze_text
from cfggen.errors import GenerateError
from cfggen.generate import generate
from cfggen.scale import BlockArgs, decode, encode, get_variant
from cfggen.scale.mixconv import MAX_CHUNKS, plan_conv, split_channels
from conftest import run_cli as run  # noqa: E402

GEFFNET = {"mixnet-s": ("mixnet_s", 4_134_606), "mixnet-m": ("mixnet_m", 5_014_382),
           "mixnet-l": ("mixnet_l", 7_329_252), "mobilenetv2": ("mobilenetv2_100", 3_504_872)}


@pytest.mark.parametrize("variant", GEFFNET)
def test_classifier_parameters_equal_geffnet(variant):
    result = analyze_text(generate(variant), sizes="native")
    assert list(result.findings) == []
    assert result.network.totals.params == GEFFNET[variant][1]


def cfg_params_by_part(text: str) -> dict[tuple, int]:
    """Trainable parameters per ('stem',), ('block', stage, index), ('head',), ('classifier',)."""
    layers = analyze_text(text, sizes="native").network.layers
    marks = sorted((n + 1, m) for n, line in enumerate(text.splitlines())
                   for m in [re.match(r"# stage (\d+) block (\d+):|# ==== (head)", line)] if m)
    parts: dict[tuple, int] = defaultdict(int)
    last_conv = max(layer.index for layer in layers if layer.type == "convolutional")
    for layer in layers:
        before = [m for line, m in marks if line < layer.line]
        if layer.index == last_conv:
            key: tuple = ("classifier",)
        elif not before:
            key = ("stem",)
        elif before[-1].group(3):
            key = ("head",)
        else:
            key = ("block", int(before[-1].group(1)), int(before[-1].group(2)))
        parts[key] += layer.params.trainable
    return dict(parts)


def geffnet_params_by_part(name: str) -> dict[tuple, int]:
    geffnet = pytest.importorskip("geffnet", reason="geffnet (extras 'test') not installed")

    model = getattr(geffnet, name)(pretrained=False)

    def count(*modules):
        return sum(p.numel() for m in modules for p in m.parameters())

    parts = {("stem",): count(model.conv_stem, model.bn1), ("head",): count(model.conv_head, model.bn2),
             ("classifier",): count(model.classifier)}
    for s, stage in enumerate(model.blocks, start=1):
        for b, block in enumerate(stage, start=1):
            parts["block", s, b] = count(block)
    return parts


@pytest.mark.parametrize("variant", GEFFNET)
def test_every_stage_and_block_equals_geffnet(variant):
    name, total = GEFFNET[variant]
    ours, theirs = cfg_params_by_part(generate(variant)), geffnet_params_by_part(name)
    assert sum(theirs.values()) == total
    assert ours.keys() == theirs.keys()          # same stages, same blocks per stage
    for stage in {key[1] for key in theirs if key[0] == "block"}:
        in_stage = [key for key in theirs if key[:2] == ("block", stage)]
        assert sum(ours[k] for k in in_stage) == sum(theirs[k] for k in in_stage), f"stage {stage}"
    assert ours == theirs


def test_mixnet_l_is_mixnet_m_at_width_1_3():
    assert get_variant("mixnet_l").width_mult == 1.3

    def layers(text):
        return [(la.type, la.output, la.params) for la in analyze_text(text, sizes="native").network.layers]

    assert layers(generate("mixnet-l")) == layers(generate("mixnet-m", width_mult=1.3))


# --- block strings with MixNet's tokens ----------------------------------------------------------

def test_timm_mixnet_tokens_decode():
    b = decode("ir_r3_k3.5.7.9_a1.1_p1.1_s1_e3_c120_se0.5_nsw")
    assert (b.kernel, b.expand_groups, b.project_groups, b.activation) == ((3, 5, 7, 9), 2, 2, "swish")
    assert (b.repeats, b.stride, b.expand_ratio, b.out_filters, b.se_ratio) == (3, 1, 3, 120, 0.5)
    # TF MixNet's spelling of the same block
    assert decode("r3_k3.5.7.9_a1.1_p1.1_s11_e3_o120_se0.5_sw") == b
    assert encode(b) == "r3_k3.5.7.9_a1.1_p1.1_s11_e3_o120_se0.5_sw"
    assert decode(encode(b)) == b
    assert decode("ds_r1_k3_s1_c16_nr6").activation == "relu6"


@pytest.mark.parametrize("text, token", [("r1_k3.4_s11_e1_o16", "'k3.4'"), ("r1_k3_a1.2_s11_e6_o16", "'a1.2'"),
                                         ("r1_k3_s11_e6_o16_sw_nre", "'nre'")])
def test_bad_mixnet_tokens_are_named(text, token):
    with pytest.raises(GenerateError, match=f"token \\d {token}"):
        decode(text)


# --- channel splits: darknet's route semantics, simulated ----------------------------------------

def route_channels(layers, refs, groups, group_id):
    """darknet [route]: concatenate, per input, channels [gid*C/G, (gid+1)*C/G) (C % G == 0)."""
    out = []
    for ref in refs:
        channels = layers[ref]
        assert len(channels) % groups == 0, "darknet would slice through channels"
        part = len(channels) // groups
        out += channels[group_id * part:(group_id + 1) * part]
    return out


def simulate(plan, in_channels):
    """Which input channels each conv of the plan reads, following its sections as darknet does."""
    layers = [list(range(in_channels))]            # layer 0: the plan's input
    reads = []
    for piece in plan.pieces:
        for r in piece.routes:
            here = len(layers)
            layers.append(route_channels(layers, [here + int(x) for x in r.layers.split(",")],
                                         r.groups, r.group_id))
        reads.append(layers[-1] if piece.routes else layers[0])
        layers.append([("conv", len(reads) - 1)] * piece.filters)
    return reads


@given(st.integers(1, 160).map(lambda n: 8 * n), st.integers(2, 5))
def test_split_routes_read_exactly_geffnets_channel_groups(channels, parts):
    try:
        plan = plan_conv(channels, channels, (3, 5, 7, 9, 11)[:parts], depthwise=True)
    except GenerateError as exc:
        assert "refusing" in str(exc)
        return
    sizes = split_channels(channels, parts)
    starts = [sum(sizes[:j]) for j in range(parts)]
    assert simulate(plan, channels) == [list(range(s, s + n)) for s, n in zip(starts, sizes)]
    assert [p.kernel for p in plan.pieces] == [3, 5, 7, 9, 11][:parts]
    assert all(p.groups == p.filters == n for p, n in zip(plan.pieces, sizes))   # depthwise


def test_equal_splits_take_one_route_per_group():
    plan = plan_conv(144, 144, (3, 5, 7), stride=2, depthwise=True)
    assert [[(r.layers, r.groups, r.group_id) for r in p.routes] for p in plan.pieces] == \
        [[("-1", 3, 0)], [("-3", 3, 1)], [("-5", 3, 2)]]
    assert plan.join == "-5,-3,-1" and plan.note == "" and plan.layers == 7


def test_grouped_pointwise_is_one_grouped_conv():
    plan = plan_conv(40, 240, (1,), groups=2)
    assert len(plan.pieces) == 1 and plan.pieces[0].groups == 2 and plan.join is None


def test_a_split_needing_too_many_routes_is_refused():
    # 202 = 2 x 101: the parts 68+67+67 have no aligned chunk larger than 2 channels
    with pytest.raises(GenerateError, match=r"68\+67\+67 .* equal parts only.*refusing"):
        plan_conv(202, 202, (3, 5, 7), depthwise=True, where="stage 9 block 1 depthwise")
    assert MAX_CHUNKS >= 8


def test_unequal_splits_build_exact_valid_networks():
    # width 1.1: stage 6 block 1 expands 136 -> 816 channels, split 164+163+163+163+163
    text = generate("mixnet-s", width_mult=1.1)
    assert "# unequal split 164+163+163+163+163 of 816 channels" in text
    assert list(analyze_text(text).findings) == []


# --- activations, SE, headers ---------------------------------------------------------------------

def block_activations(text):
    acts, block = defaultdict(set), None
    for line in text.splitlines():
        m = re.match(r"# stage (\d+) block (\d+):", line)
        if m:
            block = int(m.group(1))
        elif line.startswith("# ==== head"):
            block = "head"
        elif line.startswith("activation=") and block is not None:
            acts[block].add(line.split("=", 1)[1])
    return acts


def test_mixnet_uses_relu_and_swish_where_the_reference_does():
    text = generate("mixnet-m")
    acts = block_activations(text)
    assert acts[1] == acts[2] == {"relu", "linear"}                 # no nsw in stages 1-2
    for stage in (3, 4, 5, 6):
        assert acts[stage] == {"swish", "logistic", "linear"}       # nsw blocks, SE gates
    assert acts["head"] == {"relu", "linear"}
    se_blocks = len(re.findall(r"^# stage [3-6] block \d+:.*, SE \d+", text, re.M))
    assert text.count("[scale_channels]") == se_blocks == 4 * 4     # every block of stages 3-6
    everywhere = generate("mixnet-m", activation="mish")
    assert {a for v in block_activations(everywhere).values() for a in v} == {"mish", "logistic", "linear"}


def test_mobilenetv2_is_relu6_without_se_and_answers_the_cpu_warning():
    text = generate("mobilenetv2")
    assert "[scale_channels]" not in text and "[route]" not in text
    assert {a for v in block_activations(text).values() for a in v} == {"relu6", "linear"}
    assert "\n# cfggen: disable-file DN501 -- relu6 is intended (MobileNetV2); GPU-only, see above\n" in text
    result = analyze_text(text, sizes="native")
    assert list(result.findings) == []
    assert len([ln for ln in text.splitlines() if ln.startswith("[shortcut]")]) == 10  # 17 blocks - 7 stages


@pytest.mark.parametrize("head", ["yolo", "yolo-tiny"])
@pytest.mark.parametrize("variant", GEFFNET)
def test_detectors_on_the_new_backbones_validate(variant, head):
    result = analyze_text(generate(variant, head=head, classes=3))
    assert list(result.findings) == [] and len(result.sizes) > 1


# --- CLI ----------------------------------------------------------------------------------------

def test_build_and_list_know_the_new_families(capsys):
    code, out, err = run("build", "mixnet_m", "--head", "yolo")
    assert code == 0 and out == generate("mixnet-m", head="yolo")
    code, out, _ = run("list")
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:] if line.strip()}
    for variant, (_, params) in GEFFNET.items():
        assert int(rows[variant][3].replace(",", "")) == params


def test_the_header_command_reproduces_a_custom_mixnet(capsys):
    code, out, _ = run("build", "mixnet-s", "--width-mult", "1.1", "--head", "yolo-tiny")
    command = re.search(r"^# generated by cfggen: cfggen (build .*)$", out, re.M).group(1)
    assert run(*command.split())[1] == out


# --- OpenCV's darknet importer reads the splits as darknet does ----------------------------------

def test_opencv_gathers_the_unequal_split_exactly(tmp_path):
    cv2 = pytest.importorskip("cv2")
    np = pytest.importorskip("numpy")
    text = generate("mixnet-s", width_mult=1.1, size="64x64")
    from test_opencv import write_weights

    network = analyze_text(text, sizes="native").network
    layers = network.layers
    (cfg := tmp_path / "m.cfg").write_text(text)
    write_weights(tmp_path / "m.weights", network.totals.weights_file_floats)
    net = cv2.dnn.readNetFromDarknet(str(cfg), str(tmp_path / "m.weights"))
    names = set(net.getLayerNames())
    # each concatenation of chunk routes must equal a contiguous channel range of the routes' source
    gathers = [layer for layer in layers if layer.type == "route" and len(layer.refs) > 1
               and all(layers[r].type == "route" and layers[r].conf.get("groups", 1) > 1 for r in layer.refs)]
    assert gathers
    source_index = layers[gathers[0].refs[0]].refs[0]
    activation = layers[source_index].conf["activation"]
    source_name = f"{activation}_{source_index + 1}"     # OpenCV names a conv's activation by index + 1
    assert source_name in names
    net.setInput(np.random.default_rng(0).random((1, 3, 64, 64), dtype=np.float32))
    outs = net.forward([source_name] + [f"concat_{g.index}" for g in gathers])
    source, gathered = outs[0], outs[1:]
    checked = 0
    for g, out in zip(gathers, gathered):
        if layers[g.refs[0]].refs[0] != source_index:
            break
        first = layers[g.refs[0]]
        start = first.conf["group_id"] * (layers[source_index].output.c // first.conf["groups"])
        assert np.array_equal(out, source[:, start:start + out.shape[1]])
        checked += 1
    assert checked >= 3                       # the 816-channel split: parts 1-3 at least are gathered


mixnet_blocks = st.builds(
    lambda kernels, a, p, act, **kw: BlockArgs(kernel=kernels[0] if len(kernels) == 1 else tuple(kernels),
                                               expand_groups=a, project_groups=p, activation=act, **kw),
    kernels=st.lists(st.sampled_from([1, 3, 5, 7, 9, 11]), min_size=1, max_size=5),
    a=st.integers(1, 4), p=st.integers(1, 4), act=st.sampled_from([None, "swish", "relu", "relu6"]),
    repeats=st.integers(1, 9), stride=st.integers(1, 3), expand_ratio=st.integers(1, 8),
    out_filters=st.integers(1, 512), se_ratio=st.none() | st.sampled_from([0.25, 0.5]),
    id_skip=st.booleans())


@given(mixnet_blocks)
def test_decode_inverts_encode_with_mixnet_fields(b):
    assert decode(encode(b)) == b


@given(st.integers(1, 64), st.integers(1, 64), st.integers(2, 4))
def test_grouped_pointwise_with_unequal_parts_reads_geffnets_groups(c_in, c_out, groups):
    if c_in < groups or c_out < groups:
        return
    try:
        plan = plan_conv(c_in, c_out, (1,), groups=groups)
    except GenerateError as exc:
        assert "refusing" in str(exc)
        return
    if plan.single:     # darknet's groups=: equal parts on both sides
        assert c_in % groups == 0 and c_out % groups == 0 and plan.single.groups == groups
        return
    sizes = split_channels(c_in, groups)
    starts = [sum(sizes[:j]) for j in range(groups)]
    assert simulate(plan, c_in) == [list(range(s, s + n)) for s, n in zip(starts, sizes)]
    assert [p.filters for p in plan.pieces] == list(split_channels(c_out, groups))


def test_mobilenetv2_has_no_drop_connect_and_mixnet_does():
    mobilenet, mixnet = generate("mobilenetv2"), generate("mixnet-s")
    assert "[dropout]\n" not in mobilenet.split("# ==== head")[0] and "drop-connect" not in mobilenet
    assert "probability=0.0000" not in mixnet               # block 0's rate 0: no [dropout] at all
    rates = [float(v) for v in re.findall(r"^probability=(0\.\d+)$", mixnet.split("# ==== head")[0], re.M)]
    assert rates == sorted(rates) and 0 < rates[0] and rates[-1] < 0.2
