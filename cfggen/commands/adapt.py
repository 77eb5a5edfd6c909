"""``cfggen adapt``: a detector cfg for a new class count, input size, anchors or batch."""
from __future__ import annotations

import difflib
import sys

import click

from cfggen.errors import EXIT_OK, UsageError
from cfggen.options import SEED, SIZE, output_option
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


def _from_data(doc, data_file, classes, anchors, size, seed):
    """(classes, anchors text or None, masks or None, notes, (plan, network) of ``doc`` or None) for
    ``adapt --data``: the .data file is read and the cfg built once, for the anchors and the edit."""
    from cfggen.dataset.files import read_data, read_names
    notes: list[str] = []
    data = read_data(data_file)
    names_path = data.get("names")
    if names_path is None:
        raise UsageError("the .data file has no names= line: adapt --data takes the class count from it",
                         path=data_file)
    names = read_names(names_path)
    blank = [i for i, n in enumerate(names, 1) if not n.strip()]
    if blank:
        raise UsageError(f"names={names_path} line {blank[0]} is blank: darknet counts it as a class name "
                         f"({len(names)} names); remove it, or give --classes", path=data_file,
                         line=data.line("names"))
    if not names:
        raise UsageError(f"names={names_path} is empty: no classes", path=data_file, line=data.line("names"))
    if classes is not None and classes != len(names):
        raise UsageError(f"--classes {classes} but names={names_path} has {len(names)} names", path=data_file,
                         line=data.line("names"))
    classes = len(names)
    notes.append(f"classes={classes}: the {classes} lines of {names_path}")
    if anchors == "keep":
        return classes, None, None, notes, None
    if anchors is not None:
        return classes, anchors, None, notes, None
    if not any(s.header in ("[yolo]", "[Gaussian_yolo]", "[region]") for s in doc.sections):
        notes.append("anchors left alone: no head with anchors")
        return classes, None, None, notes, None
    from cfggen.dataset.autoanchor import built, compute, format_anchors
    build = built(doc)
    report = compute(data_file, cfg=doc, size=size, seed=seed, data=data, build=build)
    fig = report.figures
    before = (f" (the cfg's anchors: {report.before.avg_iou.printed} %, BPR {report.before.ratio.bpr:.4f})"
              if report.before is not None else "")
    notes += [f"anchors from {len(report.boxes.wh)} boxes of {report.boxes.train_path}: avg IoU "
              f"{fig.avg_iou.printed} %, BPR {fig.ratio.bpr:.4f} at thr {fig.ratio.thr:g}{before}; seed {seed}"]
    notes += [f"anchors: {w}" for w in report.warnings]
    if report.heads and not report.masks_ok:
        notes.append("anchors and masks left alone: a head would get no anchor (the how-to: keep the default "
                     "anchors then); `cfggen anchors --cfg` shows the split")
        return classes, None, None, notes, build
    masks = {h.layer: h.mask for h in report.heads} if report.heads else None   # [region]: no masks
    return classes, format_anchors(report.anchors, report.scale[0]), masks, notes, build


@click.command()
@click.argument("cfg", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--classes", type=int, default=None,
              help="New class count: classes= in every head, filters= of the layer feeding each head, "
                   "max_batches and steps.")
@click.option("--size", type=SIZE, default=None, help="New input size WxH ([net] width and height).")
@click.option("--anchors", default=None, metavar="W,H,...",
              help="New anchors (width,height pairs) for every head; num= and masks follow the count. "
                   "With --data: 'keep' leaves the cfg's anchors and masks as they are.")
@click.option("--data", "data_file", type=click.Path(dir_okay=False), default=None,
              help="Darknet .data file: classes from its names= file, anchors and masks from the labels "
                   "of its train= list (as `cfggen anchors --cfg` computes them).")
@click.option("--seed", type=SEED, default=0, show_default=True, help="With --data: seed of the anchor search.")
@click.option("--batch", type=int, default=None, help="New [net] batch.")
@click.option("--subdivisions", type=int, default=None, help="New [net] subdivisions.")
@click.option("--max-batches", "max_batches", type=int, default=None,
              help="New max_batches (default with --classes: max(6000, 2000 x classes)); steps follow at 80%/90%.")
@click.option("--force", is_flag=True, help="Accept a detector size that is not a multiple of 32.")
@output_option("Write the adapted cfg to FILE (atomically) instead of standard output.")
@click.option("--in-place", "in_place", is_flag=True, help="Rewrite CFG itself (atomically).")
@click.option("--diff", "show_diff", is_flag=True, help="Show a unified diff of the changes; write nothing.")
def adapt(cfg, classes, size, anchors, data_file, seed, batch, subdivisions, max_batches, force, output, in_place,
          show_diff):
    """Rewrite a detector CFG for N classes (and/or a new size, anchors, batch).

    With --data, the whole custom-dataset how-to in one edit: classes= from the names file,
    filters= before every head, max_batches = max(6000, 2000 x classes), steps at 80%/90%, and anchors
    with masks split by the heads' strides from the training labels.

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
    masks = build = None
    data_notes: list[str] = []
    if anchors is not None and anchors.strip().lower() == "keep":
        if data_file is None:
            raise UsageError("--anchors keep goes with --data (it keeps the cfg's anchors instead of computing "
                             "them from the labels)")
        anchors = "keep"
    if data_file is not None:
        classes, anchors, masks, data_notes, build = _from_data(doc, data_file, classes, anchors, size, seed)
    result = adapt_checked(doc, classes=classes, size=size, anchors=anchors, batch=batch,
                           subdivisions=subdivisions, max_batches=max_batches, force=force, masks=masks,
                           build=build)
    summary = result.summary() + "".join(f"note: {n}\n" for n in data_notes)
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
