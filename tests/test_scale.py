"""The scaling engine (cfggen.scale) against docs/efficientnet.md sections 1-3.

Expected values below are typed from the doc's tables (measured on three PyTorch implementations),
not copied from the code's output.
"""
from __future__ import annotations

import math

import pytest
from hypothesis import given, strategies as st

from cfggen.errors import GenerateError, UsageError
from cfggen.scale import (BASELINE_BLOCKS, FAMILIES, VARIANTS, BlockArgs, decode, decode_list, encode,
                          get_variant, round_filters, round_repeats, scale)

widths = st.floats(min_value=0.05, max_value=8.0, allow_nan=False)
filters = st.integers(min_value=1, max_value=4096)


# --- round_filters / round_repeats ---------------------------------------------------------------

@given(filters, widths)
def test_round_filters_is_a_multiple_of_8_near_the_scaled_value(f, w):
    new = round_filters(f, w)
    assert new % 8 == 0 and new >= 8
    assert new >= 0.9 * f * w          # the 10% rule
    assert new < f * w + 8             # ...and it never adds a whole divisor


@given(filters, widths, widths)
def test_round_filters_is_monotone_in_width(f, w1, w2):
    lo, hi = sorted((w1, w2))
    assert round_filters(f, lo) <= round_filters(f, hi)


def test_round_filters_ten_percent_rule_fires_for_16_at_1_2():
    # efficientnet.md section 1: 16 * 1.2 = 19.2 rounds to 16, which loses > 10%, so 24
    assert round_filters(16, 1.2) == 24
    assert round_filters(32, 1.0) == 32 and round_filters(1280, 1.4) == 1792


@given(st.integers(min_value=1, max_value=64), st.floats(min_value=1.0, max_value=8.0))
def test_round_repeats_never_shrinks_a_stage(r, d):
    new = round_repeats(r, d)
    assert new >= r and new >= d * r and new - 1 < d * r


@given(st.integers(min_value=1, max_value=64), st.floats(min_value=0.01, max_value=8.0))
def test_round_repeats_is_the_ceiling(r, d):
    assert round_repeats(r, d) == math.ceil(d * r) >= 1


# --- block strings -------------------------------------------------------------------------------

block_args = st.builds(
    BlockArgs,
    repeats=st.integers(1, 20), kernel=st.sampled_from([1, 3, 5, 7, 9]), stride=st.integers(1, 9),
    expand_ratio=st.integers(1, 12), out_filters=st.integers(1, 2048),
    in_filters=st.none() | st.integers(1, 2048),
    se_ratio=st.none() | st.floats(min_value=1e-6, max_value=1.0),
    id_skip=st.booleans())


@given(block_args)
def test_decode_inverts_encode(b):
    assert decode(encode(b)) == b


@pytest.mark.parametrize("text", BASELINE_BLOCKS)
def test_baseline_strings_are_canonical(text):
    assert encode(decode(text)) == text


def test_decode_reads_the_tf_fields():
    b = decode("r2_k5_s22_e6_i24_o40_se0.25")
    assert b == BlockArgs(repeats=2, kernel=5, stride=2, expand_ratio=6, out_filters=40, in_filters=24,
                          se_ratio=0.25, id_skip=True)
    assert decode("r1_k3_s11_e6_i16_o16_noskip").id_skip is False


def test_timm_spelling_means_the_same():
    assert decode("ds_r1_k3_s1_c16_se0.25") == decode("r1_k3_s11_e1_o16_se0.25")
    assert decode("ir_r2_k3_s2_e6_c24_se0.25") == decode("r2_k3_s22_e6_o24_se0.25")


@pytest.mark.parametrize("text, token, position", [
    ("r1_k3_s11_x5_o16", "'x5'", 4),
    ("r1_k4_s11_e1_o16", "'k4'", 2),           # even kernel
    ("r1_k3_s12_e1_o16", "'s12'", 3),          # unequal strides
    ("r1_k3_s11_e1_o16_se1.5", "'se1.5'", 6),  # ratio out of range
    ("r0_k3_s11_e1_o16", "'r0'", 1),
    ("r1_k3_s11_e1_o16_o24", "'o24'", 6),      # duplicate
    ("r1_k3__s11_e1_o16", "''", 3),            # empty token
    ("r1_k3_s11_eX_o16", "'eX'", 4),
    ("r1_k3_s11_e1_o16_noskip1", "'noskip1'", 6),
])
def test_a_bad_token_is_named_with_its_position(text, token, position):
    with pytest.raises(GenerateError) as err:
        decode(text)
    assert f"token {position} {token}" in str(err.value)


def test_missing_keys_are_named():
    with pytest.raises(GenerateError, match="missing 'k'"):
        decode("r1_s11_e1_o16")
    with pytest.raises(GenerateError, match="e must be 1"):
        decode("ds_r1_k3_s1_e6_c16")


def test_decode_list_names_the_block():
    assert len(decode_list(",".join(BASELINE_BLOCKS))) == 7
    with pytest.raises(GenerateError, match=r"block 2 'r1_q3'"):
        decode_list("r1_k3_s11_e1_o16,r1_q3")
    with pytest.raises(GenerateError):
        decode_list(" ")


# --- variants and the scaled networks ------------------------------------------------------------

# efficientnet.md section 2: stem, head, repeats per stage, out filters per stage
STRUCTURE = {
    "b0": (32, 1280, (1, 2, 2, 3, 3, 4, 1), (16, 24, 40, 80, 112, 192, 320)),
    "b1": (32, 1280, (2, 3, 3, 4, 4, 5, 2), (16, 24, 40, 80, 112, 192, 320)),
    "b2": (32, 1408, (2, 3, 3, 4, 4, 5, 2), (16, 24, 48, 88, 120, 208, 352)),
    "b3": (40, 1536, (2, 3, 3, 5, 5, 6, 2), (24, 32, 48, 96, 136, 232, 384)),
    "b4": (48, 1792, (2, 4, 4, 6, 6, 8, 2), (24, 32, 56, 112, 160, 272, 448)),
    "b5": (48, 2048, (3, 5, 5, 7, 7, 9, 3), (24, 40, 64, 128, 176, 304, 512)),
    "b6": (56, 2304, (3, 6, 6, 8, 8, 11, 3), (32, 40, 72, 144, 200, 344, 576)),
    "b7": (64, 2560, (4, 7, 7, 10, 10, 13, 4), (32, 48, 80, 160, 224, 384, 640)),
    "lite0": (32, 1280, (1, 2, 2, 3, 3, 4, 1), (16, 24, 40, 80, 112, 192, 320)),
    "lite1": (32, 1280, (1, 3, 3, 4, 4, 5, 1), (16, 24, 40, 80, 112, 192, 320)),
    "lite2": (32, 1280, (1, 3, 3, 4, 4, 5, 1), (16, 24, 48, 88, 120, 208, 352)),
    "lite3": (32, 1280, (1, 3, 3, 5, 5, 6, 1), (24, 32, 48, 96, 136, 232, 384)),
    "lite4": (32, 1280, (1, 4, 4, 6, 6, 8, 1), (24, 32, 56, 112, 160, 272, 448)),
}

# efficientnet.md section 3: trainable parameters with a 1000-class classifier
OFFICIAL_PARAMS = {
    "b0": 5_288_548, "b1": 7_794_184, "b2": 9_109_994, "b3": 12_233_232, "b4": 19_341_616,
    "b5": 30_389_784, "b6": 43_040_704, "b7": 66_347_960, "lite0": 4_652_008, "lite1": 5_416_680,
    "lite2": 6_092_072, "lite3": 8_197_096, "lite4": 13_006_568,
}


def network(name, **kw):
    v = VARIANTS[name]
    return scale([decode(s) for s in BASELINE_BLOCKS], v.width_mult, v.depth_mult, v.rules, **kw)


def test_the_table_covers_every_efficientnet_variant():
    efficientnets = {n for n, v in VARIANTS.items() if v.family in ("efficientnet", "lite")}
    assert efficientnets == set(STRUCTURE) == set(OFFICIAL_PARAMS)


@pytest.mark.parametrize("name", STRUCTURE)
def test_structure_matches_the_measured_models(name):
    stem, head, repeats, outs = STRUCTURE[name]
    net = network(name)
    assert (net.stem, net.head) == (stem, head)
    stages = [[b for b in net.blocks if b.stage == s] for s in range(1, 8)]
    assert tuple(len(s) for s in stages) == repeats
    assert tuple(s[-1].out_filters for s in stages) == outs
    for s, kernel, stride, expand in zip(stages, (3, 3, 5, 3, 5, 5, 3), (1, 2, 2, 2, 1, 2, 1),
                                         (1, 6, 6, 6, 6, 6, 6)):
        assert [(b.kernel, b.expand_ratio) for b in s] == [(kernel, expand)] * len(s)
        assert [b.stride for b in s] == [stride] + [1] * (len(s) - 1)


def test_se_width_comes_from_the_block_input_filters():
    # efficientnet.md section 2: "SE widths in B0: 8 | 4, 6 | 6, 10 | 10, 20, 20 | 20, 28, 28 |
    # 28, 48, 48, 48 | 48"
    assert [b.se_filters for b in network("b0").blocks] == [8, 4, 6, 6, 10, 10, 20, 20, 20, 28, 28,
                                                            28, 48, 48, 48, 48]


@pytest.mark.parametrize("name", STRUCTURE)
def test_residual_on_every_block_but_the_first_of_each_stage(name):
    for b in network(name).blocks:
        assert b.skip == (b.index > 1)
        assert b.skip == (b.stride == 1 and b.in_filters == b.out_filters)


@pytest.mark.parametrize("name", STRUCTURE)
def test_drop_connect_rate_is_linear_in_the_block_index(name):
    blocks = network(name).blocks
    for b in blocks:
        assert b.drop_rate == (pytest.approx(0.2 * b.number / len(blocks)) if b.skip else 0.0)
    assert max(b.drop_rate for b in blocks) < 0.2


@pytest.mark.parametrize("name", [n for n in STRUCTURE if n.startswith("lite")])
def test_lite_has_no_se_and_relu6(name):
    v = VARIANTS[name]
    assert v.rules.activation == "relu6"
    assert all(b.se_filters == 0 for b in network(name).blocks)


def count_params(net, classes=1000):
    """Trainable parameters by efficientnet.md section 3's rules (bias-free BN convs, biased SE convs,
    FC with bias), computed from the block records, not from any cfg."""
    bn_conv = lambda cin, cout, k=1, groups=1: cin // groups * k * k * cout + 2 * cout  # noqa: E731
    total = bn_conv(3, net.stem, 3)
    for b in net.blocks:
        e = b.in_filters * b.expand_ratio
        total += bn_conv(b.in_filters, e) if b.expand_ratio != 1 else 0
        total += bn_conv(e, e, b.kernel, groups=e)
        if b.se_filters:
            total += (e * b.se_filters + b.se_filters) + (b.se_filters * e + e)
        total += bn_conv(e, b.out_filters)
    total += bn_conv(net.blocks[-1].out_filters, net.head)
    return total + net.head * classes + classes


@pytest.mark.parametrize("name", OFFICIAL_PARAMS)
def test_the_scaled_network_has_the_official_parameter_count(name):
    assert count_params(network(name)) == OFFICIAL_PARAMS[name]


def test_no_se_removes_every_squeeze():
    assert all(b.se_filters == 0 for b in network("b3", se=False).blocks)


def test_explicit_input_filters_must_chain():
    stages = decode_list("r1_k3_s11_e1_i32_o16,r1_k3_s22_e6_i24_o24")
    with pytest.raises(GenerateError, match="stage 2 has input filters i24, but stage 1 outputs o16"):
        scale(stages, 1.0, 1.0, FAMILIES["efficientnet"])


def test_stem_follows_the_first_stage_input():
    net = scale(decode_list("r1_k3_s22_e1_i24_o16"), 1.0, 1.0, FAMILIES["efficientnet"])
    assert net.stem == 24 and net.blocks[0].in_filters == 24


def test_stage_ends_give_the_detector_taps():
    ends = network("b0").stage_ends()
    assert {s: (b.stage, b.out_filters) for s, b in ends.items()} == {
        2: (1, 16), 4: (2, 24), 8: (3, 40), 16: (5, 112), 32: (7, 320)}


@pytest.mark.parametrize("spelling", ["b4", "B4", "efficientnet-b4", "efficientnet_b4"])
def test_variant_names(spelling):
    assert get_variant(spelling) is VARIANTS["b4"]


def test_unknown_variant_lists_the_choices():
    with pytest.raises(UsageError, match="unknown variant 'b8'.*lite4"):
        get_variant("b8")
