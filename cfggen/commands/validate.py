"""``cfggen validate``: darknet's view of each cfg plus the mistakes darknet misses."""
from __future__ import annotations

import os
import sys

import click

from cfggen.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, CfggenError, InputError
from cfggen.options import SIZE, output_option


def collect_paths(paths: tuple[str, ...]) -> list[str]:
    """Files as given; directories recursed for ``*.cfg`` (sorted, hidden folders skipped)."""
    out: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            found = []
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(os.path.join(root, f) for f in sorted(files) if f.endswith(".cfg"))
            if not found:
                raise InputError("no .cfg files in this directory", path=p)
            out.extend(found)
        else:
            out.append(p)
    return out


def is_network(doc) -> bool:
    """A cfg darknet would treat as a network: it has [net]/[network] or a known layer section."""
    from cfggen.ir.layers import LAYERS
    return any(s.header in ("[net]", "[network]") or s.header in LAYERS for s in doc.sections)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Report format.")
@click.option("--table", is_flag=True, help="Print darknet's layer table for each file.")
@click.option("--size", "size", type=SIZE, default=None,
              help="Validate at this input size only (instead of the cfg's own and every training size).")
@click.option("--native-only", is_flag=True, help="Check the cfg's own size only, not the multi-scale sizes.")
@click.option("--sizes", "list_sizes", is_flag=True, help="List the input sizes at which every layer fits.")
@click.option("--aspect", is_flag=True, help="With --sizes: non-square sizes too.")
@click.option("--range", "size_range", nargs=2, type=int, default=(32, 2048), show_default=True,
              help="With --sizes: smallest and largest size.")
@click.option("--concise", is_flag=True, help="One line per finding (no source snippet, no hint).")
@output_option("Write the report to FILE (atomically).")
def validate(paths, fmt, table, size, native_only, list_sizes, aspect, size_range, concise, output):
    """Validate Darknet cfg files: shapes, wiring, heads; every multi-scale training size."""
    from cfggen.cfg.parse import read_file
    from cfggen.lint.engine import analyze
    from cfggen.report import FORMATTERS, Report, format_table

    report = Report([], concise=concise)
    sizes = [size] if size else ("native" if native_only else "training")
    chunks: list[str] = []
    files = collect_paths(paths)
    for path in files:
        try:
            doc = read_file(path)
        except CfggenError as exc:
            report.errors.append(str(exc))
            continue
        if doc.sections and not is_network(doc):
            report.notices.append(f"{path}: skipped: not a darknet network cfg (no [net] and no layer section)")
            continue
        analysis = analyze(doc, sizes)
        report.analyses.append(analysis)
        if table:
            chunks.append(format_table(analysis))
        if list_sizes:
            from cfggen.sizes_report import valid_sizes_text
            chunks.append(valid_sizes_text(analysis, size_range, aspect))
    text = "".join(chunks) + FORMATTERS[fmt](report)
    if output:
        from cfggen.fileio import write_atomic
        write_atomic(output, text)
    else:
        sys.stdout.write(text)
    if report.errors:
        for err in report.errors:
            click.echo(err, err=True)
        return EXIT_USAGE
    return EXIT_FINDINGS if any(d.severity == "error" for d in report.findings) else EXIT_OK
