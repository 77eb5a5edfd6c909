"""``cfggen export CFG [WEIGHTS] -o model.onnx``: darknet cfg + weights to ONNX (onnx imported lazily)."""
from __future__ import annotations

import os

import click

from cfggen.errors import EXIT_OK, UsageError
from cfggen.options import SIZE

IN_FILE = click.Path(dir_okay=False)


class BatchType(click.ParamType):
    name = "N|dynamic"

    def convert(self, value, param, ctx):
        if value == "dynamic" or isinstance(value, int):
            return value
        if str(value).isdigit() and int(value) >= 1:
            return int(value)
        self.fail(f"{value!r}: a positive integer or 'dynamic'", param, ctx)


class NmsType(click.ParamType):
    name = "IOU,SCORE,MAXDET"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        parts = str(value).split(",")
        try:
            iou, score, maxdet = float(parts[0]), float(parts[1]), int(parts[2])
        except (ValueError, IndexError):
            self.fail(f"{value!r}: three values IOU,SCORE,MAXDET like 0.45,0.25,100", param, ctx)
        if len(parts) != 3 or not (0 <= iou <= 1) or not (0 <= score <= 1) or maxdet < 1:
            self.fail(f"{value!r}: IOU and SCORE in [0, 1], MAXDET >= 1", param, ctx)
        return (iou, score, maxdet)


def _read_names(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as fh:
            return [line.strip() for line in fh if line.strip()]
    except OSError as exc:
        raise UsageError(f"cannot read the names file: {exc.strerror or exc}", path=path) from None
    except UnicodeDecodeError:
        raise UsageError("the names file is not UTF-8 text", path=path) from None


def _debug_layers(value: str | None):
    if value is None or value == "all":
        return value
    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise UsageError(f"--debug-layers {value!r}: 'all' or comma-separated layer indices") from None


@click.command()
@click.argument("cfg", type=IN_FILE)
@click.argument("weights_path", metavar="[WEIGHTS]", type=IN_FILE, required=False)
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), required=True,
              help="The .onnx file to write (atomically: no file on error).")
@click.option("--size", type=SIZE, default=None, help="Export at another input size WxH (default: the cfg's).")
@click.option("--batch", type=BatchType(), default=1, show_default=True, help="Batch size N, or 'dynamic'.")
@click.option("--opset", type=click.IntRange(13, None), default=17, show_default=True, help="ONNX opset (13 or newer).")
@click.option("--fp16", is_flag=True, help="Half-precision weights and compute; float32 input and outputs.")
@click.option("--outputs", "outputs", type=click.Choice(["raw", "boxes", "boxes-noobj"]), default="raw",
              show_default=True, help="raw: each head's output map; boxes: [N, boxes, 5+C] decoded as darknet "
              "does; boxes-noobj: [N, 4+C, boxes] with objectness folded into the scores.")
@click.option("--nms", type=NmsType(), default=None, help="Append NonMaxSuppression: [1, K, 6] detections "
              "(x1, y1, x2, y2, score, class).")
@click.option("--names", "names_path", type=IN_FILE, default=None, help="Class names file (one per line) for "
              "the metadata.")
@click.option("--debug-layers", "debug", default=None, metavar="all|I,J,...",
              help="Also output these darknet layers' maps as layer_I (for layer-by-layer comparison).")
def export(cfg, weights_path, output, size, batch, opset, fp16, outputs, nms, names_path, debug):
    """Export CFG (+ WEIGHTS) to an ONNX model that computes what darknet's forward pass computes.

    Input "input": NCHW float32 RGB in [0, 1], what darknet's network_predict reads. Without WEIGHTS
    the 'weights init' values are used (an untrained model, for pipeline tests).
    """
    from cfggen.export import save, to_onnx

    names = _read_names(names_path) if names_path else None
    for p in (cfg, weights_path, names_path):
        if p and os.path.exists(output) and os.path.exists(p) and os.path.samefile(output, p):
            raise UsageError(f"the output {output} is an input file; write to another path")
    model = to_onnx(cfg, weights_path, size=size, batch=batch, opset=opset, fp16=fp16, outputs=outputs,
                    nms=nms, names=names, debug_layers=_debug_layers(debug))
    graph = model.graph
    outs = ", ".join(o.name for o in graph.output[:6]) + (f", ... ({len(graph.output)})" if len(graph.output) > 6 else "")
    inp = graph.input[0].type.tensor_type.shape.dim
    shape = "x".join(d.dim_param or str(d.dim_value) for d in inp)
    nodes = len(graph.node)
    from cfggen.export.check import check_light   # imports onnx: only once to_onnx found it

    check_light(model)      # checker full_check + strict shape inference, without a copy of the weights
    nbytes = save(model, output)
    click.echo(f"wrote {output}: opset {opset}, {nodes:,} nodes, {nbytes:,} bytes; input {shape}; outputs {outs}")
    xnor = next((p.value for p in model.metadata_props if p.key == "xnor_layers"), None)
    if xnor:
        click.echo(f"note: {xnor} xnor layer(s) binarise their input (x > 0): a value within float rounding of 0 "
                   "can take the other sign than in darknet, and each flip spreads through later xnor layers "
                   "(README, Export)", err=True)
    if weights_path is None:
        click.echo("note: no WEIGHTS given: the model uses 'weights init' values (seed 0), it is not trained",
                   err=True)
    return EXIT_OK
