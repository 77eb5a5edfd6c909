"""``cfggen adapt``: a detector cfg for a new class count, input size, anchors or batch."""
from __future__ import annotations

import difflib
import sys

import click

from cfggen.errors import EXIT_OK, UsageError
from cfggen.options import SIZE, output_option
from cfggen.source import printable_bytes


def _read(path: str):
    from cfggen.cfg.parse import parse_bytes, read_file
    if path == "-":
        return parse_bytes(sys.stdin.buffer.read(), "<stdin>")
    return read_file(path)


def unified_diff(result) -> str:
    a = result.original.splitlines(keepends=True)
    b = result.text.splitlines(keepends=True)
    lines = list(difflib.unified_diff(a, b, fromfile=result.path, tofile=f"{result.path} (adapted)"))
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


@click.command()
@click.argument("cfg", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--classes", type=int, default=None,
              help="New class count: classes= in every head, filters= of the layer feeding each head, "
                   "max_batches and steps.")
@click.option("--size", type=SIZE, default=None, help="New input size WxH ([net] width and height).")
@click.option("--anchors", default=None, metavar="W,H,...",
              help="New anchors (width,height pairs) for every head; num= and masks follow the count.")
@click.option("--batch", type=int, default=None, help="New [net] batch.")
@click.option("--subdivisions", type=int, default=None, help="New [net] subdivisions.")
@click.option("--max-batches", "max_batches", type=int, default=None,
              help="New max_batches (default with --classes: max(6000, 2000 x classes)); steps follow at 80%/90%.")
@click.option("--force", is_flag=True, help="Accept a detector size that is not a multiple of 32.")
@output_option("Write the adapted cfg to FILE (atomically) instead of standard output.")
@click.option("--in-place", "in_place", is_flag=True, help="Rewrite CFG itself (atomically).")
@click.option("--diff", "show_diff", is_flag=True, help="Show a unified diff of the changes; write nothing.")
def adapt(cfg, classes, size, anchors, batch, subdivisions, max_batches, force, output, in_place, show_diff):
    """Rewrite a detector CFG for N classes (and/or a new size, anchors, batch).

    Only the values on the lines darknet needs changed are edited; comments, spacing, key spelling,
    order and line endings stay as they are. The result is validated and not written if the edit
    introduced an error.
    """
    from cfggen.convert.adapt import adapt_checked
    from cfggen.fileio import write_atomic

    if output and in_place:
        raise UsageError("give either -o/--output or --in-place, not both")
    if show_diff and (output or in_place):
        raise UsageError("--diff shows the changes without writing them; drop -o/--in-place")
    if in_place and cfg == "-":
        raise UsageError("--in-place needs a file, not standard input")
    doc = _read(cfg)
    result = adapt_checked(doc, classes=classes, size=size, anchors=anchors, batch=batch,
                           subdivisions=subdivisions, max_batches=max_batches, force=force)
    summary = result.summary()
    from cfggen.report.verdicts import loads_in_text
    summary += loads_in_text(result.text, result.path) + "\n"
    summary = printable_bytes(summary)
    if show_diff:
        sys.stderr.write(summary)
        # the file's own bytes, undecodable ones included, so that the diff applies with `patch`
        from cfggen.fileio import write_stdout
        write_stdout(unified_diff(result))
    elif output or in_place:
        target = output or cfg
        if in_place and not result.changed:
            summary += "nothing written: the cfg already has these values\n"
        else:
            write_atomic(target, result.text)
            summary += f"wrote {target}\n"
        sys.stdout.write(summary)
    else:
        sys.stderr.write(summary)
        sys.stdout.flush()
        sys.stdout.buffer.write(result.text.encode("utf-8", "surrogateescape"))
        sys.stdout.buffer.flush()
    return EXIT_OK
