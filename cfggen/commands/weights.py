"""``cfggen weights``: check, extract, init and inspect darknet .weights files.

numpy is imported only when a subcommand runs (through ``cfggen.convert.weights``).
"""
from __future__ import annotations

import json
import math
import sys

import click

from cfggen.errors import EXIT_FINDINGS, EXIT_OK
from cfggen.options import SEED

IN_FILE = click.Path(dir_okay=False)
OUT_FILE = click.Path(dir_okay=False, writable=True)


@click.group()
def weights():
    """Inspect, check, extract and initialise Darknet .weights files."""


def _bytes_range(span) -> str:
    return f"{span.start:,}-{span.end:,}" if span.end > span.start else f"{span.start:,}"


def _header_line(path: str, header, size: int) -> str:
    floats = (size - header.size) / 4
    floats_text = f"{int(floats):,}" if floats.is_integer() else f"{floats:,.2f}"
    return (f"weights: {path}: {size:,} bytes; header {header.size} bytes, version {header.version}, "
            f"seen {header.seen:,}; {floats_text} floats after it")


def _cfg_line(cfg: str, network, spans, expected: int) -> str:
    floats = sum(s.floats for s in spans)
    return (f"cfg:     {cfg}: {len(network.layers)} layers, {sum(1 for s in spans if s.arrays)} with weights, "
            f"{floats:,} floats: darknet reads {expected:,} bytes")


def format_check(report, cfg: str, network, table: bool = True) -> str:
    out = [_header_line(report.path, report.header, report.size),
           _cfg_line(cfg, network, [r.span for r in report.rows], report.expected)]
    if table:
        out.append(f"{'layer':>5}  {'type':<15} {'line':>5} {'floats':>12}  {'bytes':<27} status")
        for r in report.rows:
            s = r.span
            status = r.status if r.status != "partial" else f"partial: file ends in {r.where}"
            if r.status == "skipped":
                status = "skipped (dontload=1)"
            if r.nonfinite:
                status += f", {r.nan:,} NaN {r.inf:,} Inf"
            if r.negative_variance:
                status += f", {r.negative_variance:,} negative variances"
            out.append(f"{s.index:>5}  {s.layer.type:<15} {s.layer.section.line:>5} {s.floats:>12,}  "
                       f"{_bytes_range(s):<27} {status}")
    out.append(report.message)
    out += [f"warning: {w}" for w in report.warnings]
    if report.hint:
        out.append(f"hint: {report.hint}")
    return "\n".join(out) + "\n"


def check_json(report, cfg: str) -> str:
    first = report.first_mismatch
    data = {
        "weights": report.path, "cfg": cfg, "size": report.size, "expected": report.expected,
        "header": {"major": report.header.major, "minor": report.header.minor,
                   "revision": report.header.revision, "seen": report.header.seen, "bytes": report.header.size},
        "verdict": report.verdict, "fits": report.fits, "message": report.message,
        "first_mismatch": None if first is None else {"layer": first.span.index, "status": first.status,
                                                      "where": first.where or None},
        "layers": [{"index": r.span.index, "type": r.span.layer.type, "line": r.span.layer.section.line,
                    "floats": r.span.floats, "start": r.span.start, "end": r.span.end, "status": r.status,
                    "present": r.present, "nan": r.nan, "inf": r.inf,
                    "negative_variance": r.negative_variance} for r in report.rows],
        "warnings": report.warnings, "hint": report.hint,
    }
    return json.dumps(data, indent=2) + "\n"


@weights.command()
@click.argument("cfg", type=IN_FILE)
@click.argument("weights_path", metavar="WEIGHTS", type=IN_FILE)
@click.option("--brief", is_flag=True, help="Only the verdict and warnings, no per-layer table.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too (NaN/Inf, negative variances).")
@click.option("--layers", "-n", "upto", type=click.IntRange(min=1), default=None,
              help="WEIGHTS is a pretrained backbone holding layers 0..N-1 only (what 'darknet partial' "
                   "writes; a file named *.conv.N is taken as one without this option).")
def check(cfg, weights_path, brief, fmt, strict, upto):
    """Check that WEIGHTS fits CFG: sizes, where they part, per-layer sanity.

    Exit 0 when the file has exactly the bytes darknet reads for CFG (or for its layers 0..N-1, for a
    backbone: --layers N or a *.conv.N name), 1 when not. Darknet itself loads short files partially
    and ignores extra bytes, silently.
    """
    from cfggen.convert import weights as w

    network, problems = w.load_network(cfg)
    report = w.check(weights_path, network, problems, upto)
    text = check_json(report, cfg) if fmt == "json" else format_check(report, cfg, network, not brief)
    sys.stdout.write(text)
    if not report.fits:
        return EXIT_FINDINGS
    bad = [r for r in report.rows if r.nonfinite or r.negative_variance]
    return EXIT_FINDINGS if strict and (bad or report.warnings) else EXIT_OK


@weights.command()
@click.argument("cfg", type=IN_FILE)
@click.argument("weights_path", metavar="WEIGHTS", type=IN_FILE)
@click.option("--layers", "-n", "layers", type=int, required=True,
              help="Keep layers 0..N-1 (darknet partial's N; e.g. the backbone before the heads).")
@click.option("-o", "--output", "output", type=OUT_FILE, required=True, help="Output .weights file.")
@click.option("--keep-seen", is_flag=True, help="Keep the source's 'seen' count (darknet partial writes 0).")
def extract(cfg, weights_path, layers, output, keep_seen):
    """Write the first N layers of WEIGHTS (what 'darknet partial CFG WEIGHTS OUT N' does)."""
    from cfggen.convert import weights as w

    network, _ = w.load_network(cfg)
    result = w.extract(weights_path, network, layers, output, keep_seen)
    last = network.layers[layers - 1]
    click.echo(f"wrote {output}: layers 0-{layers - 1} (up to {last.section.header} at line {last.section.line}), "
               f"{result.layers} with weights, {result.floats:,} floats, {result.bytes:,} bytes")
    for note in result.notes:
        click.echo(f"note: {note}")
    return EXIT_OK


@weights.command()
@click.argument("cfg", type=IN_FILE)
@click.option("-o", "--output", "output", type=OUT_FILE, required=True, help="Output .weights file.")
@click.option("--seed", type=SEED, default=None, help="Random seed (default: a fresh one, printed).")
def init(cfg, output, seed):
    """Write freshly initialised weights for CFG (He-initialised kernels, BN at identity, biases 0)."""
    from cfggen.convert import weights as w

    network, problems = w.load_network(cfg)
    result = w.init(network, output, seed)
    click.echo(f"wrote {output}: {result.layers} layers with weights, {result.floats:,} floats, "
               f"{result.bytes:,} bytes (seed {result.seed})")
    for p in problems:
        click.echo(f"warning: cfg {p}", err=True)
    return EXIT_OK


def _fmt(v: float) -> str:
    return "-" if math.isnan(v) else f"{v:.4g}"


@weights.command()
@click.argument("weights_path", metavar="WEIGHTS", type=IN_FILE)
@click.argument("cfg", type=IN_FILE, required=False)
def info(weights_path, cfg):
    """Header, size and float count of WEIGHTS; with CFG, a per-layer summary too."""
    from cfggen.convert import weights as w

    header, size = w.read_header(weights_path)
    lines = [_header_line(weights_path, header, size)]
    if header.transpose:
        lines.append("note: the version says [connected] weights are stored transposed")
    if cfg:
        network, _ = w.load_network(cfg)
        with w.read(weights_path, network) as wf:
            lines.append(_cfg_line(cfg, network, wf.spans, wf.expected))
            lines.append(f"{'layer':>5}  {'type':<15} {'floats':>12}  {'bytes':<27} {'mean':>10} {'std':>10} "
                         f"{'absmax':>10}")
            for st in w.layer_stats(wf):
                s = st.span
                partial = "" if st.present == s.floats else f"  ({st.present:,} in file)"
                lines.append(f"{s.index:>5}  {s.layer.type:<15} {s.floats:>12,}  {_bytes_range(s):<27} "
                             f"{_fmt(st.mean):>10} {_fmt(st.std):>10} {_fmt(st.absmax):>10}{partial}")
            gap = size - wf.expected
            lines.append("fits the cfg exactly" if gap == 0 else
                         f"does not fit the cfg: {abs(gap):,} bytes {'too many' if gap > 0 else 'missing'} "
                         "(cfggen weights check says where)")
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK
