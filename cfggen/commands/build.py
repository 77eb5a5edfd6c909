"""``cfggen build`` (generate a cfg) and ``cfggen list`` (the variants, measured by the validator)."""
from __future__ import annotations

import click

from cfggen.errors import InputError, UsageError
from cfggen.generate import ACTIVATIONS, HEADS


@click.command()
@click.argument("variant", required=False)
@click.option("--head", type=click.Choice(list(HEADS)), default="classifier", show_default=True,
              help="Classifier (the official head) or a YOLO detector head.")
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
@click.option("--width-mult", type=float, help="Width multiplier (overrides the variant's).")
@click.option("--depth-mult", type=float, help="Depth multiplier (overrides the variant's).")
@click.option("--resolution", type=int, help="Native resolution (overrides the variant's).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the cfg to FILE (atomically) instead of stdout.")
@click.option("--target", "targets", multiple=True,
              type=click.Choice(("alexeyab", "hank-ai", "pjreddie", "opencv", "all")),
              help="Build for this reader too (repeatable): opencv swaps Lite's relu6 for relu; pjreddie "
                   "refuses SE (it has no [scale_channels]). Refused if the reader would not load the output.")
def build(variant, head, classes, size, activation, no_se, anchors, batch, subdivisions, blocks,
          width_mult, depth_mult, resolution, output, targets):
    """Generate an EfficientNet cfg: VARIANT is b0..b7 or lite0..lite4.

    Without VARIANT, --blocks / --width-mult / --depth-mult / --resolution describe a custom network
    (B0's stages and settings fill in whatever is not given).
    """
    from cfggen.generate import generate, write_atomic

    custom = (blocks, width_mult, depth_mult, resolution)
    if variant is None and all(v is None for v in custom):
        raise UsageError("give a variant (b0..b7, lite0..lite4) or a custom network "
                         "(--blocks, --width-mult, --depth-mult, --resolution)")
    from cfggen.targets.build import choose_activation, loads_in, refuse
    activation, notes = choose_activation(variant, activation, targets)
    text = generate(variant, head=head, classes=classes, size=size, activation=activation, se=not no_se,
                    anchors=anchors, batch=batch, subdivisions=subdivisions, blocks=blocks,
                    width_mult=width_mult, depth_mult=depth_mult, resolution=resolution)
    refuse(text, targets)
    for note in notes + [loads_in(text, output or "<stdout>", targets)]:
        click.echo(note, err=True)
    if output:
        try:
            write_atomic(output, text)
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror or exc}", path=output) from None
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

    rows = [summarize(name, head) for name in VARIANTS]
    click.echo(f"{'variant':<8} {'input':>9} {'layers':>6} {'params':>12} {'BFLOPs':>8}")
    for r in rows:
        click.echo(f"{r.variant:<8} {f'{r.width}x{r.height}':>9} {r.layers:>6} {r.params:>12,} {r.bflops:>8}")
