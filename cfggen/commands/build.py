"""``cfggen build`` (generate a cfg) and ``cfggen list`` (the variants, measured by the validator)."""
from __future__ import annotations

import click

from cfggen.errors import UsageError
from cfggen.options import FINITE
from cfggen.generate import ACTIVATIONS, HEADS, NECKS


@click.command()
@click.argument("variant", required=False)
@click.option("--head", type=click.Choice(list(HEADS)),
              help="Classifier (the official head) or a YOLO detector head [default: classifier, "
              "yolo for d0..d7].")
@click.option("--classes", type=int, help="Number of classes [default: 1000, detectors 80].")
@click.option("--size", metavar="WxH", help="Input size [default: the variant's resolution; "
              "detectors round it to a multiple of 32].")
@click.option("--activation", type=click.Choice(ACTIVATIONS),
              help="Activation [default: swish, relu6 for Lite].")
@click.option("--no-se", "no_se", is_flag=True, help="Drop squeeze-and-excitation.")
@click.option("--anchors", metavar="W,H,...", help="Detector anchors in pixels (9 pairs for yolo, 6 for yolo-tiny).")
@click.option("--batch", type=int, help="[net] batch [default: 4096 classifier, 64 detectors].")
@click.option("--subdivisions", type=int, help="[net] subdivisions [default: at most 32 (classifier) "
              "or 4 (detector) images per pass].")
@click.option("--blocks", metavar="STAGES", help="Custom stages: comma-separated block strings, "
              "e.g. r1_k3_s11_e1_i32_o16_se0.25,r2_k3_s22_e6_o24_se0.25.")
@click.option("--width-mult", type=FINITE, help="Width multiplier (overrides the variant's).")
@click.option("--depth-mult", type=FINITE, help="Depth multiplier (overrides the variant's).")
@click.option("--resolution", type=int, help="Native resolution (overrides the variant's).")
@click.option("--neck", type=click.Choice(NECKS), help="Detector neck: pan (the yolo head's FPN+PAN, "
              "default) or bifpn (EfficientDet's BiFPN over P3-P7; default for d0..d7).")
@click.option("--bifpn-width", type=int, help="BiFPN channels [default: EfficientDet's for d0..d7, else 64].")
@click.option("--bifpn-repeats", type=int, help="BiFPN layers [default: EfficientDet's for d0..d7, else 3].")
@click.option("--levels", metavar="FIRST-LAST", help="BiFPN levels with a YOLO head: 3-5 (default) or 3-7.")
@click.option("--compound", type=int, metavar="PHI", help="EfficientDet compound scaling: the same as "
              "variant dPHI (backbone, input, BiFPN width and repeats from the paper's table 1).")
@click.option("--hswish", type=click.Choice(("exact", "approx")),
              help="MobileNetV3/GhostNet: hard-swish and hard-sigmoid built exactly from hardtan (default), or "
                   "approximated by swish and logistic (another network; fewer layers).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the cfg to FILE (atomically) instead of stdout.")
@click.option("--target", "targets", multiple=True,
              type=click.Choice(("alexeyab", "hank-ai", "pjreddie", "opencv", "all")),
              help="Build for this reader too (repeatable): opencv swaps Lite's relu6 for relu; pjreddie "
                   "refuses SE (it has no [scale_channels]). Refused if the reader would not load the output.")
def build(variant, head, classes, size, activation, no_se, anchors, batch, subdivisions, blocks,
          width_mult, depth_mult, resolution, neck, bifpn_width, bifpn_repeats, levels, compound, hswish, output,
          targets):
    """Generate a cfg: VARIANT is b0..b7, lite0..lite4, mixnet-s, mixnet-m, mixnet-l, mobilenetv2,
    mobilenetv3-large, mobilenetv3-small, ghostnet, shufflenetv2-x0.5|x1.0|x1.5|x2.0, peleenet, or an
    EfficientDet-style detector d0..d7 (EfficientNet + BiFPN + YOLO heads).

    Without VARIANT, --blocks / --width-mult / --depth-mult / --resolution describe a custom network
    (B0's stages and settings fill in whatever is not given).
    """
    from cfggen.generate import generate

    custom = (blocks, width_mult, depth_mult, resolution, compound)
    if variant is None and all(v is None for v in custom):
        raise UsageError("give a variant (b0..b7, lite0..lite4, mixnet-s/m/l, mobilenetv2, mobilenetv3-large/small, "
                         "ghostnet, shufflenetv2-x0.5..x2.0, peleenet, d0..d7) or a "
                         "custom network (--blocks, --width-mult, --depth-mult, --resolution, --compound)")
    from cfggen.report.verdicts import loads_in_text
    from cfggen.targets.build import choose_activation, refuse
    activation, notes = choose_activation(variant, activation, targets)
    text = generate(variant, head=head, classes=classes, size=size, activation=activation, se=not no_se,
                    anchors=anchors, batch=batch, subdivisions=subdivisions, blocks=blocks,
                    width_mult=width_mult, depth_mult=depth_mult, resolution=resolution, neck=neck,
                    bifpn_width=bifpn_width, bifpn_repeats=bifpn_repeats, levels=levels, compound=compound,
                    hswish=hswish)
    refuse(text, targets, variant)
    if output:     # written first: an output that cannot be written is the one line on stderr
        from cfggen.fileio import write_output
        write_output(output, text)
    for note in notes + [loads_in_text(text, output or "<stdout>", targets)]:
        click.echo(note, err=True)
    if output:
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


@click.command("list")
@click.option("--head", type=click.Choice(list(HEADS)), default="classifier", show_default=True,
              help="Head to measure the variants with.")
def list_variants(head):
    """List the variants with input size, layers, parameters and BFLOPs.

    The numbers are the validator's, computed from each generated cfg (not from a table).
    """
    from cfggen.generate import summarize
    from cfggen.scale import VARIANTS
    from cfggen.scale.bifpn import EFFICIENTDET
    from cfggen.standalone import NAMES

    # d0..d7 are detectors (EfficientNet + BiFPN + yolo heads): listed with their own head
    rows = [summarize(name, head) for name in VARIANTS] + [summarize(name) for name in EFFICIENTDET]
    rows += [summarize(name, head) for name in NAMES]            # the layer-by-layer families
    wide = max(11, *(len(r.variant) for r in rows))
    click.echo(f"{'variant':<{wide}} {'input':>9} {'layers':>6} {'params':>12} {'BFLOPs':>8}")
    for r in rows:
        click.echo(f"{r.variant:<{wide}} {f'{r.width}x{r.height}':>9} {r.layers:>6} {r.params:>12,} {r.bflops:>8}")
