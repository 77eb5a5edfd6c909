"""The engine: which sizes it checks, how findings from several sizes merge, ordering and stamping."""
from __future__ import annotations

from cfggen.api import analyze_text
from cfggen.ir.sizes import training_sizes


def _stride32_shortcut_net(random: str, step: int = 16, width: int = 416) -> str:
    """Five 2x2 maxpools, then an upsampled stride-32 map added to the stride-16 map: only sizes whose
    width/16 is even line up (at an odd width/16 the pooled map rounds up and the upsample is 1 too big)."""
    pools = "".join("[maxpool]\nsize=2\nstride=2\n\n" for _ in range(5))
    return (f"[net]\nwidth={width}\nheight={width}\nchannels=3\nresize_step={step}\n\n"
            "[convolutional]\nfilters=8\nsize=3\npad=1\nactivation=leaky\n\n" + pools +
            "[upsample]\nstride=2\n\n[shortcut]\nfrom=-3\nactivation=linear\n\n"
            "[convolutional]\nfilters=18\nsize=1\nactivation=linear\n\n"
            f"[yolo]\nmask=0,1,2\nanchors=10,13,16,30,33,23\nclasses=1\nnum=3\nrandom={random}\n")


def test_native_size_is_clean_but_training_sizes_break():
    text = _stride32_shortcut_net("1")
    native = analyze_text(text, sizes="native")
    assert native.findings == () and native.sizes == ()
    a = analyze_text(text)
    assert set(a.sizes) == set(training_sizes(416, 416, 1.0, 16)) - {(416, 416)}
    broken = sorted(s for s in a.sizes if (s[0] // 16) % 2)
    (d,) = [f for f in a.findings if f.code == "DN201"]
    assert d.size == broken[0] and d.layer == 7 and d.severity == "error"
    assert d.message.endswith(f"(at input sizes {', '.join(f'{w}x{h}' for w, h in broken[:6])}"
                              + (f" and {len(broken) - 6} more)" if len(broken) > 6 else ")"))


def test_random_zero_checks_only_the_native_size():
    a = analyze_text(_stride32_shortcut_net("0"))
    assert a.sizes == () and a.findings == ()


def test_explicit_size_replaces_the_native_one():
    a = analyze_text(_stride32_shortcut_net("0"), sizes=[(400, 400)])
    assert a.network.width == 400
    (d,) = [f for f in a.findings if f.code == "DN201"]
    assert d.size == (400, 400) and "25x25x8" in d.message and "26x26x8" in d.message and "(at input size 400x400)" in d.message


def test_findings_are_sorted_and_stamped():
    text = ("[net]\nwidth=64\nheight=64\nchannels=3\n\n[convolutinal]\n\n[convolutional]\nfilters=30\n"
            "size=1\n\n[yolo]\nmask=0,1,2,3\nanchors=1,2\nnum=3\nclasses=1\n")
    a = analyze_text(text, sizes="native")
    assert [d.line for d in a.findings] == sorted(d.line for d in a.findings)
    assert all(d.name and d.severity in ("error", "warning", "info") and d.path == "<string>" for d in a.findings)
    codes = {d.code for d in a.findings}
    assert "DN101" in codes and "DN302" in codes and "DN303" in codes


def test_anchor_coverage_names_both_layers():
    head = "[convolutional]\nfilters=18\nsize=1\nactivation=linear\n\n[yolo]\nmask={}\nanchors=1,1,2,2,3,3,4,4,5,5,6,6\nnum=6\nclasses=1\n\n"
    text = ("[net]\nwidth=64\nheight=64\nchannels=3\n\n" + head.format("3,4,5") +
            "[route]\nlayers=-3\n\n" + head.format("1,2,3"))
    a = analyze_text(text, sizes="native")
    msgs = sorted(d.message for d in a.findings if d.code == "DN304")
    # one cause (a mask shifted by one), one finding that names both layers and the mask to use
    assert msgs == ["mask=1,2,3 of layer 4 looks shifted: anchor 0 is used by no head and anchor 3 is shared; "
                    "with mask=0,1,2 every anchor is used once"]
    (d,) = [d for d in a.findings if d.code == "DN304"]
    assert d.layer == 4 and [line for line, _ in d.related] == [12] and d.hint == "mask=0,1,2"


def test_layer_type_gates_skip_rules_and_change_no_finding(monkeypatch):
    """A classifier does not run the head rules; on every corpus and generated cfg the gated engine
    reports exactly what running every rule reports."""
    from pathlib import Path
    from conftest import corpus_files
    from cfggen.cfg import read_file
    from cfggen.lint import engine
    from cfggen.lint.rules import RULES
    skipped = {c.__module__.rsplit(".", 1)[1] for c, _ in engine._ALL_CHECKS} - \
        {c.__module__.rsplit(".", 1)[1] for c, _ in engine._gated_checks({"convolutional", "avgpool", "softmax"})}
    assert {"DN302", "DN304", "DN309", "DN213"} <= skipped and "DN215" not in skipped
    assert all(getattr(RULES[code], "LAYER_TYPES", None) for code in skipped)
    paths = corpus_files() + sorted((Path(__file__).resolve().parent.parent / "generated_cfgs").glob("*.cfg"))

    def findings(path):
        return [(d.code, d.line, d.col, d.message, d.size) for d in engine.analyze(read_file(str(path))).findings]

    gated = [findings(p) for p in paths]
    monkeypatch.setattr(engine, "_GATES", ())
    assert [findings(p) for p in paths] == gated
