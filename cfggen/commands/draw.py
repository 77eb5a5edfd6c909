"""``cfggen draw``: the network as an SVG picture or an HTML page, with its findings and cost."""
from __future__ import annotations

import os

import click

from cfggen.errors import InputError, UsageError
from cfggen.options import SIZE

FORMATS = {".svg": "svg", ".html": "html", ".htm": "html"}


@click.command()
@click.argument("cfg", type=click.Path(dir_okay=True))
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="net.svg (static picture) or net.html (click a block to expand it) [default: SVG on "
              "standard output]. Written atomically.")
@click.option("--size", type=SIZE, default=None, help="Input size to draw the network at [default: the cfg's own].")
@click.option("--collapse", type=click.Choice(("auto", "none")), default="auto", show_default=True,
              help="auto: fold blocks (residual, CSP, MBConv, runs of identical units); none: every layer.")
@click.option("--profile", "device", default=None, metavar="DEVICE",
              help="Fill boxes by estimated time share on DEVICE (cpu, t4, rtx2070, rtx3090, a100, "
              "jetson-nano, jetson-xavier: cfggen profile's model); the legend gives FLOP shares too.")
def draw(cfg, output, size, collapse, device):
    """Draw CFG: one box per layer (or folded block), every reference as an edge, findings marked."""
    from cfggen.api import analyze_file
    from cfggen.draw import draw as render

    fmt = "svg"
    if output is not None:
        fmt = FORMATS.get(os.path.splitext(output)[1].lower())
        if fmt is None:
            raise UsageError(f"-o {output}: the output must end in .svg or .html")
    if os.path.isdir(cfg):
        raise InputError("is a directory, not a cfg file", path=cfg)
    dev = None
    if device is not None:
        from cfggen.profile.devices import resolve
        dev = resolve(device)
    analysis = analyze_file(cfg, [size] if size else "training")
    net = analysis.network
    if net is None or not net.layers:
        first = next((d for d in analysis.findings if d.severity == "error"), None)
        raise InputError(first.message if first else "darknet cannot build this network: it has no layers",
                         path=cfg, line=first.line if first else None)
    text = render(analysis, fmt, collapse, dev)
    if output:
        from cfggen.fileio import write_output
        write_output(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)
    return _verdict(analysis, cfg)


def _verdict(analysis, cfg) -> int:
    """A network darknet cannot build as written is still drawn, its findings marked (the picture
    shows where it breaks), but the run fails as ``validate``'s does: one line naming the first error
    and its line, exit 1. Warnings alone are exit 0, as in ``validate`` without --strict."""
    from cfggen.errors import EXIT_FINDINGS, EXIT_OK
    errors = [d for d in analysis.findings if d.severity == "error"]
    if not errors:
        return EXIT_OK
    first = errors[0]
    where = ":".join(str(p) for p in (cfg, first.line) if p is not None)
    more = f" (+{len(errors) - 1} more; cfggen validate lists them)" if len(errors) > 1 else ""
    click.echo(f"{where}: error: {first.message} [{first.code}]; drawn with its findings marked{more}", err=True)
    return EXIT_FINDINGS
