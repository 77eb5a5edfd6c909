"""cfggen.generate / `cfggen build` / `cfggen list`, checked through the validator (cfggen.api).

The committed cfgs in generated_cfgs/ are regenerated with ONE command:

    python -m cfggen.generate --write generated_cfgs

and test_generated_cfgs_do_not_drift fails when a committed file differs from what the code makes.

Expected numbers are typed from docs/efficientnet.md section 3 (measured on PyTorch models and on
darknet's own parser), never copied from this code's output.
"""
from __future__ import annotations

import os
import re
import shlex

import pytest

from cfggen.api import analyze_text
from cfggen.cfg import parse
from cfggen.errors import GenerateError, UsageError
from cfggen.generate import HEADS, default_cfgs, default_filename, generate
from cfggen.scale import VARIANTS
from conftest import run_cli as run  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GENERATED = os.path.join(REPO, "generated_cfgs")

# variant: (params, darknet "Total BFLOPS", .weights floats, layers without [softmax], dropout rate)
OFFICIAL = {
    "b0": (5_288_548, "0.772", 5_330_564, 134, 0.2),
    "b1": (7_794_184, "1.374", 7_856_232, 196, 0.2),
    "b2": (9_109_994, "1.988", 9_177_562, 196, 0.3),
    "b3": (12_233_232, "3.656", 12_320_528, 223, 0.3),
    "b4": (19_341_616, "8.791", 19_466_816, 277, 0.4),
    "b5": (30_389_784, "20.540", 30_562_520, 339, 0.4),
    "b6": (43_040_704, "38.149", 43_265_136, 393, 0.5),
    "b7": (66_347_960, "75.517", 66_658_680, 482, 0.5),
    "lite0": (4_652_008, "0.771", 4_694_024, 70, 0.2),
    "lite1": (5_416_680, "1.201", 5_470_344, 95, 0.2),
    "lite2": (6_092_072, "1.720", 6_150_168, 95, 0.3),
    "lite3": (8_197_096, "2.767", 8_273_768, 110, 0.3),
    "lite4": (13_006_568, "5.108", 13_118_936, 140, 0.3),
}
RESOLUTION = {"b0": 224, "b1": 240, "b2": 260, "b3": 300, "b4": 380, "b5": 456, "b6": 528, "b7": 600,
              "lite0": 224, "lite1": 240, "lite2": 260, "lite3": 280, "lite4": 300}
DETECTORS = [h for h in HEADS if h != "classifier"]


def sections(text):
    """(header, {key: value}) for every layer section, in order."""
    return [(s.header, {o.key: o.value for o in s.options}) for s in parse(text).layer_sections]


def net_options(text):
    return {o.key: o.value for o in parse(text).net.options}


# --- acceptance: the classifier is the official model -------------------------------------------

def test_the_table_covers_every_efficientnet_variant():
    efficientnets = {n for n, v in VARIANTS.items() if v.family in ("efficientnet", "lite")}
    assert set(OFFICIAL) == efficientnets == set(RESOLUTION)


@pytest.mark.parametrize("variant", OFFICIAL)
def test_classifier_matches_the_official_model(variant):
    params, bflops, floats, layers, _ = OFFICIAL[variant]
    result = analyze_text(generate(variant, classes=1000), sizes="native")
    totals = result.network.totals
    assert list(result.findings) == []
    assert totals.params == params
    assert totals.bflops_printed == bflops
    assert totals.weights_file_floats == floats
    assert len(result.network.layers) == layers + 1        # + [softmax]
    assert result.network.layers[-1].type == "softmax"


@pytest.mark.parametrize("variant", OFFICIAL)
def test_classifier_head_is_the_official_head(variant):
    *_, dropout = OFFICIAL[variant]
    text = generate(variant, classes=10)
    tail = sections(text)[-5:]
    assert [h for h, _ in tail] == ["[convolutional]", "[avgpool]", "[dropout]", "[convolutional]",
                                    "[softmax]"]
    head_conv, _, drop, fc, _ = (opts for _, opts in tail)
    assert head_conv["batch_normalize"] == "1" and head_conv["size"] == "1"
    assert float(drop["probability"]) == dropout
    assert fc["filters"] == "10" and fc["activation"] == "linear" and "batch_normalize" not in fc
    net = net_options(text)
    assert (int(net["width"]), int(net["height"])) == (RESOLUTION[variant],) * 2


def test_classes_change_only_the_classifier():
    # 1280 * (1000 - 10) weights + (1000 - 10) biases fewer
    p1000 = analyze_text(generate("b0"), sizes="native").network.totals.params
    p10 = analyze_text(generate("b0", classes=10), sizes="native").network.totals.params
    assert p1000 - p10 == 1281 * 990


# --- residual blocks, readability ----------------------------------------------------------------

@pytest.mark.parametrize("variant", ["b0", "b3", "lite0"])
def test_every_shortcut_adds_the_block_input_after_a_dropout(variant):
    result = analyze_text(generate(variant), sizes="native")
    layers = result.network.layers
    shortcuts = [layer for layer in layers if layer.type == "shortcut"]
    blocks = len(re.findall(r"^# stage \d+ block \d+:", generate(variant), re.M))
    assert len(shortcuts) == blocks - 7                     # every block but each stage's first
    drop_rates = []
    for sc in shortcuts:
        (target,) = sc.refs
        assert layers[sc.index - 1].type == "dropout"
        assert layers[target].output == sc.input            # same shape: a true residual
        # the block input: the layer just before the block's first conv
        assert layers[target + 1].type == "convolutional"
        drop_rates.append(float(layers[sc.index - 1].conf["probability"]))
    assert drop_rates == sorted(drop_rates) and 0 < drop_rates[0] and drop_rates[-1] < 0.2


def test_from_offsets_are_relative():
    for header, opts in sections(generate("b2")):
        if "from" in opts:
            assert int(opts["from"]) < 0, header


def test_blocks_and_stages_are_named_in_comments():
    text = generate("b0")
    assert "# stage 3 block 2: MBConv6 k5 s1, 40 -> 40, SE 10, residual\n" in text
    assert "# ==== stage 6: 4 x MBConv6 k5, stride 2, 112 -> 192, output 7x7 (stride 32)\n" in text
    assert len(re.findall(r"^# stage \d+ block \d+: MBConv\d k\d s\d, \d+ -> \d+", text, re.M)) == 16
    # a comment is its own line: darknet would read an inline '#' as part of the value
    assert all(not ("#" in line and not line.startswith("#")) for line in text.splitlines())


def test_lite_keeps_relu6_and_explains_the_cpu_bug():
    text = generate("lite2")
    activations = {opts.get("activation") for _, opts in sections(text)} - {None}
    assert activations == {"relu6", "linear"}
    assert "[scale_channels]" not in text and "relu6 needs a GPU build" in text
    # the validator's relu6-cpu warning (DN501) is answered once, with the reason
    assert "\n# cfggen: disable-file DN501 -- relu6 is intended" in text
    assert "disable-file" not in generate("lite2", activation="relu")


# --- options ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("activation", ["leaky", "mish", "relu", "swish"])
def test_activation_replaces_the_default_everywhere(activation):
    text = generate("lite0", head="yolo", activation=activation)
    used = {opts["activation"] for _, opts in sections(text) if "activation" in opts}
    assert used == {activation, "linear"} | ({"logistic"} if "[scale_channels]" in text else set())


def test_unknown_activation_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown activation 'gelu'"):
        generate("b0", activation="gelu")


def test_no_se_removes_squeeze_and_excitation():
    text = generate("b0", se=False)
    assert "[scale_channels]" not in text
    totals = analyze_text(text, sizes="native").network.totals
    # B0's SE convs: 9,340 biases (doc section 3) plus their weights; all gone, nothing else touched
    assert totals.params < OFFICIAL["b0"][0] - 9_340


def test_variant_is_its_multipliers():
    # b4 is the baseline scaled by (1.4, 1.8) at 380 with dropout 0.4: spelled out, the same network
    custom = generate("b4", width_mult=1.4, depth_mult=1.8, resolution=380)
    assert custom.split("[net]", 1)[1] == generate("b4").split("[net]", 1)[1]


def test_custom_blocks_build_a_valid_network():
    blocks = "r1_k3_s22_e1_i32_o16_se0.25,r2_k5_s22_e4_o32_se0.25,r2_k3_s22_e6_o64,r1_k3_s22_e6_o128"
    text = generate(None, blocks=blocks, width_mult=1.5, depth_mult=1.5, resolution=192)
    result = analyze_text(text, sizes="native")
    assert list(result.findings) == []
    assert len(re.findall(r"^# stage \d+ block", text, re.M)) == 2 + 3 + 3 + 2
    assert result.network.layers[-2].output.c == 1000
    assert "cfggen build --blocks" in text


def test_custom_blocks_with_a_detector_need_the_tapped_strides():
    with pytest.raises(GenerateError, match="strides 8, 16, 32"):
        generate(None, head="yolo", blocks="r1_k3_s22_e1_o16,r1_k3_s22_e6_o24")
    text = generate(None, head="yolo-tiny", blocks="r1_k3_s22_e6_o24,r1_k3_s22_e6_o40,r1_k3_s22_e6_o80,"
                                                     "r1_k3_s22_e6_o112")
    assert list(analyze_text(text).findings) == []


def test_bad_block_string_names_the_token():
    with pytest.raises(GenerateError, match=r"block 2 'r1_k3_z2': token 3 'z2'"):
        generate(None, blocks="r1_k3_s11_e1_o16,r1_k3_z2")


def test_batch_and_subdivisions():
    net = net_options(generate("b0", batch=256))
    assert (net["batch"], net["subdivisions"]) == ("256", "8")      # at most 32 images per pass
    assert float(net["learning_rate"]) == pytest.approx(0.016)       # 0.016 per 256 images
    net = net_options(generate("b0", head="yolo", batch=32, subdivisions=8))
    assert (net["batch"], net["subdivisions"]) == ("32", "8")
    with pytest.raises(UsageError, match="not divisible"):
        generate("b0", batch=64, subdivisions=5)


def test_classifier_recipe_matches_the_doc_at_batch_4096():
    # docs/efficientnet.md section 7: 1 epoch ~ 313 iterations, step=751, burn_in=1565
    net = net_options(generate("b0"))
    assert net["batch"] == "4096" and float(net["learning_rate"]) == pytest.approx(0.256)
    assert (net["policy"], net["step"], net["scale"], net["burn_in"]) == ("step", "751", "0.97", "1565")
    assert int(net["max_batches"]) == pytest.approx(109_500, rel=1e-3)  # 350 epochs
    assert net["label_smooth_eps"] == "0.1" and net["ema_alpha"] == "0.9999"


# --- detector heads --------------------------------------------------------------------------------

@pytest.mark.parametrize("classes", [1, 3, 80])
@pytest.mark.parametrize("head", DETECTORS)
@pytest.mark.parametrize("variant", OFFICIAL)
def test_detectors_validate_at_every_training_size(variant, head, classes):
    result = analyze_text(generate(variant, head=head, classes=classes), sizes="training")
    assert list(result.findings) == []
    assert len(result.sizes) > 1                                        # multi-scale sizes were checked


@pytest.mark.parametrize("head, strides, masks", [
    ("yolo", (8, 16, 32), ("0,1,2", "3,4,5", "6,7,8")),
    ("yolo-tiny", (32, 16), ("3,4,5", "0,1,2")),
])
@pytest.mark.parametrize("variant", ["b0", "b5", "lite4"])
def test_yolo_layers(variant, head, strides, masks):
    classes = 3
    text = generate(variant, head=head, classes=classes)
    result = analyze_text(text, sizes="native")
    layers = result.network.layers
    width = int(net_options(text)["width"])
    yolos = [layer for layer in layers if layer.type == "yolo"]
    assert [width // y.output.w for y in yolos] == list(strides)
    assert [y.conf["mask"] for y in yolos] == list(masks)
    for y in yolos:
        before = layers[y.index - 1]
        assert before.type == "convolutional" and before.output.c == (classes + 5) * 3
        assert before.conf["activation"] == "linear" and not before.conf["batch_normalize"]
        assert y.conf["random"] == 1.0 and y.conf["num"] == 3 * len(strides)
        assert len(y.conf["anchors"].split(",")) == 2 * y.conf["num"]
    # concatenations only: no [shortcut] in the head, and every [route] joins equal grids
    for layer in layers:
        if layer.type == "shortcut":
            assert layers[layer.refs[0]].output == layer.input
        if layer.type == "route":
            grids = {(layers[r].output.w, layers[r].output.h) for r in layer.refs}
            assert len(grids) == 1


@pytest.mark.parametrize("variant", OFFICIAL)
@pytest.mark.parametrize("head", DETECTORS)
def test_detector_input_is_the_resolution_rounded_to_32(variant, head):
    text = generate(variant, head=head)
    side = int(net_options(text)["width"])
    assert side % 32 == 0 and abs(side - RESOLUTION[variant]) <= 16
    assert (f"native {RESOLUTION[variant]} rounded" in text) == (RESOLUTION[variant] % 32 != 0)


def test_b4_detector_says_why_its_input_is_384():
    text = generate("b4", head="yolo")
    assert net_options(text)["width"] == "384"
    assert "# input 384x384: efficientnet-b4's native 380 rounded to a multiple of 32" in text


@pytest.mark.parametrize("classes, max_batches", [(1, 6000), (3, 6000), (80, 160000)])
def test_detector_training_block(classes, max_batches):
    net = net_options(generate("b1", head="yolo", classes=classes))
    assert int(net["max_batches"]) == max_batches
    assert net["steps"] == f"{max_batches * 8 // 10},{max_batches * 9 // 10}"
    assert (net["policy"], net["scales"], net["mosaic"]) == ("steps", ".1,.1", "1")
    assert int(net["burn_in"]) > 0


def test_size_override():
    text = generate("b0", head="yolo", size="416x320")
    net = net_options(text)
    assert (net["width"], net["height"]) == ("416", "320")
    assert list(analyze_text(text).findings) == []
    assert net_options(generate("b0", size="200x180"))["height"] == "180"   # classifiers: any size
    with pytest.raises(UsageError, match="multiples of 32"):
        generate("b0", head="yolo-tiny", size="400x400")
    with pytest.raises(UsageError, match="WIDTHxHEIGHT"):
        generate("b0", size="big")


def test_default_anchors_scale_with_the_input():
    small = analyze_text(generate("b0", head="yolo"), sizes="native").network.layers[-1]
    large = analyze_text(generate("b0", head="yolo", size="608x608"), sizes="native").network.layers[-1]
    assert large.conf["anchors"] == "12,16,19,36,40,28,36,75,76,55,72,146,142,110,192,243,459,401"  # yolov4.cfg
    assert small.conf["anchors"] != large.conf["anchors"]


def test_anchors_option():
    anchors = "10,14, 23,27, 37,58, 81,82, 135,169, 344,319"
    text = generate("b0", head="yolo-tiny", anchors=anchors)
    assert text.count(f"anchors={anchors}\n") == 2
    with pytest.raises(UsageError, match="6 anchors, so 12 numbers"):
        generate("b0", head="yolo-tiny", anchors="10,14")
    with pytest.raises(UsageError, match="only applies"):
        generate("b0", anchors=anchors)


# --- rendering -----------------------------------------------------------------------------------

def test_templates_are_strict():
    jinja2 = pytest.importorskip("jinja2")
    from cfggen.render import render

    with pytest.raises(jinja2.UndefinedError):
        render("stem.cfg.j2", filters=32, activation="swish")   # out_w/out_h missing


def test_templates_load_from_the_source_checkout():
    from cfggen.render import templates_dir

    assert templates_dir() == __import__("pathlib").Path(REPO, "templates")
    assert (templates_dir() / "mbconv.cfg.j2").is_file()


def test_templates_load_from_the_installed_package(tmp_path, monkeypatch):
    # installed, setup.cfg maps templates/ to the package cfggen.templates (no __init__.py); fake
    # that layout by adding a second cfggen/ directory holding templates/ to the package path
    import shutil

    import cfggen
    from cfggen.render import env

    installed = tmp_path / "cfggen" / "templates"
    shutil.copytree(os.path.join(REPO, "templates"), installed)
    (installed / "stem.cfg.j2").write_text("# installed {{ filters }}\n")
    monkeypatch.setattr(cfggen, "__path__", [*cfggen.__path__, str(tmp_path / "cfggen")])
    env.environment.cache_clear()
    try:
        assert env.templates_dir() == installed
        assert env.render("stem.cfg.j2", filters=3) == "# installed 3\n"
    finally:
        env.environment.cache_clear()


# --- the committed defaults ----------------------------------------------------------------------

def test_generated_cfgs_do_not_drift():
    expected = default_cfgs()
    from cfggen.standalone import NAMES
    # + EfficientDet d0..d7, + the layer-by-layer families (MobileNetV3, GhostNet, ShuffleNetV2, PeleeNet)
    assert len(expected) == (len(VARIANTS) + len(NAMES)) * len(HEADS) + 8
    committed = sorted(f for f in os.listdir(GENERATED) if f.endswith(".cfg"))
    assert committed == sorted(expected), "regenerate: python -m cfggen.generate --write generated_cfgs"
    for name, text in expected.items():
        with open(os.path.join(GENERATED, name), encoding="utf-8", newline="") as fh:
            assert fh.read() == text, f"{name} drifted; run python -m cfggen.generate --write generated_cfgs"


@pytest.mark.parametrize("variant, options", [
    ("b0", {"head": "yolo"}), ("lite0", {"head": "yolo-tiny", "se": False}), ("mobilenetv2", {"head": "yolo"}),
    ("mixnet-s", {"width_mult": 1.1, "head": "yolo"}),      # unequal splits: chains of [route] slices
    ("mixnet-l", {}), ("d0", {"levels": "3-7"}),
])
def test_taps_are_the_last_layer_of_their_stage(variant, options):
    """Backbone layer indices come from the block plans, not from the text: count the sections."""
    from cfggen.generate import compose

    composed = compose(variant, **options)
    layers, block_starts = 0, []
    for line in composed.text.splitlines():
        if line.startswith("[") and line != "[net]":
            layers += 1
        elif re.match(r"# stage \d+ block \d+:", line):
            block_starts.append(layers)
        elif block_starts and line.startswith("# ==== ") and not line.startswith("# ==== stage"):
            block_starts.append(layers)          # the head (or neck) after the last block
            break
    ends = [start - 1 for start in block_starts[1:]]
    assert len(ends) == len(composed.net.blocks)
    expected = {block.out_stride: end for block, end in zip(composed.net.blocks, ends)}
    assert {stride: tap.index for stride, tap in composed.taps.items()} == expected


@pytest.mark.parametrize("variant, options", [("b0", {}), ("lite1", {"head": "yolo"}), ("mixnet-s", {"width_mult": 1.1}),
                                              ("mobilenetv2", {"activation": "mish"}), ("d0", {})])
def test_plain_convs_match_the_conv_macro(variant, options):
    """Templates write hot plain convs out as text (mbconv.cfg.j2): each must be what layers.cfg.j2's
    conv macro prints for the same options, so the macro stays the one definition of the section."""
    pytest.importorskip("jinja2")
    from cfggen.render import environment

    conv = environment().get_template("layers.cfg.j2").module.conv
    sections = re.findall(r"^\[convolutional\]\n(?:[a-z_]+=.*\n)+\n", generate(variant, **options), re.M)
    assert len(sections) > 50
    for section in sections:
        opts = dict(line.split("=", 1) for line in section.splitlines()[1:-1] if line)
        macro = conv(int(opts["filters"]), size=int(opts["size"]), stride=int(opts["stride"]),
                     activation=opts["activation"], bn="batch_normalize" in opts,
                     groups=int(opts.get("groups", 1)))
        assert macro == section


def test_default_file_names():
    assert default_filename("b0", "classifier") == "efficientnet-b0.cfg"
    assert default_filename("lite3", "yolo-tiny") == "efficientnet-lite3-yolo-tiny.cfg"


# --- CLI -----------------------------------------------------------------------------------------

def test_build_prints_the_cfg(capsys):
    code, out, err = run("build", "b0", "--head", "yolo", "--classes", "3")
    assert code == 0 and err == "loads in: alexeyab, hank-ai, opencv; not in: pjreddie (error: Layer before " \
        "convolutional layer must output image.)\n"
    assert out == generate("b0", head="yolo", classes=3)


@pytest.mark.parametrize("args", [
    ("b0",), ("b3", "--head", "yolo-tiny", "--classes", "1", "--size", "320x256"),
    ("lite1", "--activation", "relu", "--no-se", "--batch", "128"),
    ("--blocks", "r1_k3_s22_e1_i32_o16,r2_k5_s22_e6_o40_se0.25", "--width-mult", "1.2", "--resolution", "160"),
    ("b0", "--head", "yolo", "--anchors", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18"),
])
def test_the_header_command_reproduces_the_cfg(capsys, args):
    code, out, _ = run("build", *args)
    assert code == 0
    command = re.search(r"^# generated by cfggen: cfggen (build .*)$", out, re.M).group(1)
    code, again, _ = run(*shlex.split(command))
    assert code == 0 and again == out


def test_build_writes_a_file(capsys, tmp_path):
    target = tmp_path / "b1.cfg"
    code, out, err = run("build", "b1", "-o", str(target))
    assert code == 0 and out == "" and str(target) in err
    assert target.read_text() == generate("b1")
    assert [p.name for p in tmp_path.iterdir()] == ["b1.cfg"]                 # no temp file left


def test_build_reports_an_unwritable_output(capsys, tmp_path):
    code, out, err = run("build", "b0", "-o", str(tmp_path / "missing" / "b0.cfg"))
    assert code == 2 and out == "" and "cannot write" in err and "missing" in err


@pytest.mark.parametrize("args, message", [
    (("b9",), "unknown variant 'b9'"),
    (("b0", "--head", "yolo", "--size", "500x500"), "multiples of 32"),
    (("b0", "--batch", "10", "--subdivisions", "3"), "not divisible"),
    (("--blocks", "r1_k3_s11_e1_o16_zz"), "token 6 'zz'"),
    ((), "give a variant"),
    (("b0", "--classes", "0"), "at least 1"),
])
def test_build_errors_are_one_line_with_exit_2(capsys, args, message):
    code, out, err = run("build", *args)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_click_rejects_unknown_choices(capsys):
    code, _, err = run("build", "b0", "--head", "ssd")
    assert code == 2 and "--head" in err


def test_list_measures_every_variant(capsys):
    code, out, err = run("list")
    assert code == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    assert set(rows) >= set(OFFICIAL)
    for name, (params, bflops, _, layers, _) in OFFICIAL.items():
        _, size, n_layers, n_params, n_bflops = rows[name]
        assert size == f"{RESOLUTION[name]}x{RESOLUTION[name]}"
        assert (int(n_layers), int(n_params.replace(",", "")), n_bflops) == (layers + 1, params, bflops)


def test_list_for_a_detector_head(capsys):
    code, out, _ = run("list", "--head", "yolo")
    assert code == 0 and "b4" in out and "384x384" in out
