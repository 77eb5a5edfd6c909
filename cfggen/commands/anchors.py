"""``cfggen anchors``: anchors for a darknet training set, with darknet's and Ultralytics' figures."""
from __future__ import annotations

import json
import sys

import click

from cfggen.errors import EXIT_OK
from cfggen.options import FINITE, SEED, SIZE, output_option


@click.command()
@click.argument("data", type=click.Path(dir_okay=False))
@click.option("--num", type=int, default=None,
              help="Number of anchors (default: the cfg's num= with --cfg, else 9).")
@click.option("--size", type=SIZE, default=None,
              help="Network input size WxH the anchors are for (default: the cfg's width x height).")
@click.option("--cfg", "cfg", type=click.Path(dir_okay=False), default=None,
              help="Detector cfg: anchor count and size from it, masks split by its heads' strides.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the search (same seed, same anchors).")
@click.option("--thr", type=FINITE, default=4.0, show_default=True,
              help="Ultralytics' anchor-fit ratio threshold for BPR and AAT.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@output_option("Write the report to FILE (atomically) instead of standard output.")
def anchors(data, num, size, cfg, seed, thr, fmt, output):
    """Compute anchors from the label files of DATA's train= list (as darknet's calc_anchors reads them).

    Boxes are in network pixels at --size; clustering uses darknet's distance (1 - IoU of the centred
    width/height), many seeded k-means starts, then a mutation climb and a polish, keeping the best
    darknet average IoU. Prints the anchors sorted as darknet sorts them, darknet's avg IoU for them
    (computed as darknet computes it) and Ultralytics' BPR/AAT; with --cfg, the masks per head.
    """
    from cfggen.dataset.autoanchor import compute, to_json, to_text
    doc = None
    if cfg is not None:
        from cfggen.cfg.parse import read_file
        doc = read_file(cfg)
    report = compute(data, num=num, size=size, cfg=doc, seed=seed, thr=thr)
    text = json.dumps(to_json(report), indent=2) + "\n" if fmt == "json" else to_text(report)
    if output:
        from cfggen.fileio import write_output
        write_output(output, text)
    else:
        sys.stdout.write(text)
    return EXIT_OK
