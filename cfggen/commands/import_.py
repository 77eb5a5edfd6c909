"""``cfggen import``: a pretrained PyTorch checkpoint of a network `cfggen build` makes into a darknet cfg + weights.

numpy, safetensors and torch are imported only when the command runs (``cfggen.convert``).
"""
from __future__ import annotations

from contextlib import nullcontext

import click

from cfggen.errors import UsageError
from cfggen.generate import HEADS


@click.command("import")
@click.argument("checkpoint", type=click.Path(dir_okay=False))
@click.option("--variant", help="b0..b7, lite0..lite4, mixnet-s|m|l, mobilenetv2, mobilenetv3-large|small, ghostnet, shufflenetv2-x0.5|x1.0|x1.5|x2.0, "
              "peleenet [default: inferred from the tensor shapes].")
@click.option("--head", type=click.Choice(list(HEADS)), default="classifier", show_default=True,
              help="classifier: PREFIX.weights with every layer; yolo / yolo-tiny: the backbone only, "
                   "PREFIX.conv.N.")
@click.option("--classes", type=int, help="Classifier: must equal the checkpoint's [default: its]; "
              "detector heads: their classes [default: 80].")
@click.option("--size", metavar="WxH", help="Input size [default: the variant's resolution; detectors "
              "round it to a multiple of 32].")
@click.option("--no-normalize", is_flag=True, help="Leave out the input-normalization layer (layer 0): "
              "the network then expects normalized input, not RGB in [0, 1].")
@click.option("--mean", metavar="R,G,B", help="Input mean on the [0, 1] scale [default: ImageNet's; "
              "0.5 for timm tf_ Lite ports].")
@click.option("--std", metavar="R,G,B", help="Input std on the [0, 1] scale [default: as --mean].")
@click.option("--tf-port/--no-tf-port", default=None, help="timm/geffnet naming: the checkpoint is a "
              "TensorFlow port (tf_*: BN epsilon 1e-3, TF 'same' padding) [default: if the file name "
              "starts with tf_].")
@click.option("--no-measure", is_flag=True, help="Do not measure the TF-padding deviation (needs torch).")
@click.option("--hswish", type=click.Choice(("exact", "relu", "approx")),
              help="MobileNetV3/GhostNet: hard-swish/hard-sigmoid exactly from hardtan (default), exactly from relu "
                   "and fixed 1x1 convs (relu: for OpenCV, which has no hardtan), or as swish/logistic (approx: "
                   "the outputs then deviate from the checkpoint's).")
@click.option("-o", "--output", "prefix", required=True, metavar="PREFIX",
              help="Write PREFIX.cfg and PREFIX.weights (or PREFIX.conv.N).")
def import_(checkpoint, variant, head, classes, size, no_normalize, mean, std, tf_port, no_measure, hswish, prefix):
    """Import a PyTorch EfficientNet, MixNet, MobileNetV2, MobileNetV3, GhostNet, ShuffleNetV2 or PeleeNet
    (.pth/.pt/.bin or .safetensors) into darknet.

    Reads timm/geffnet (all of them), lukemelas efficientnet_pytorch (b0..b7), torchvision MobileNetV3 and
    ShuffleNetV2, huawei-noah GhostNet and Robert-JunWang PeleeNet state dicts. The cfg is what
    `cfggen build` writes for the same options, plus an input-normalization layer in front.
    """
    from cfggen.convert.checkpoint import open_checkpoint
    from cfggen.errors import CfggenError

    try:                                          # opened once: the naming and the import read the same one
        ckpt, unreadable = open_checkpoint(checkpoint), None
    except CfggenError as exc:
        ckpt, unreadable = None, exc
    with ckpt if ckpt is not None else nullcontext():
        result = _import(checkpoint, ckpt, unreadable, variant, head, classes, size, no_normalize, mean, std,
                         tf_port, no_measure, hswish, prefix)
    for line in result.info:
        click.echo(line, err=True)
    for line in result.warnings:
        click.echo(f"warning: {line}", err=True)


def _import(checkpoint, ckpt, unreadable, variant, head, classes, size, no_normalize, mean, std, tf_port,
            no_measure, hswish, prefix):
    """The import by the importer of ``ckpt``'s naming (None: the EfficientNet one). The errors come in the
    order the options and the file are checked: --hswish and --tf-port against the naming, then the
    importer's option checks, then an ``unreadable`` checkpoint, then the tensors."""
    from cfggen.convert.sequential import naming_for

    naming = naming_for(ckpt.names, variant) if ckpt is not None else None   # MobileNetV3, GhostNet, ...
    if hswish is not None and (naming is None or not _has_hswish(naming)):
        raise UsageError("--hswish applies to MobileNetV3 and GhostNet checkpoints")
    if naming is not None:
        from cfggen.convert.sequential import import_checkpoint as import_layered
        if tf_port:
            raise UsageError(f"--tf-port: TF ports of {naming.name} checkpoints (TF 'same' padding) are not supported")
        return import_layered(checkpoint, prefix, naming, variant=variant, head=head, classes=classes, size=size,
                              normalize=not no_normalize, mean=mean, std=std, hswish=hswish, ckpt=ckpt)
    from cfggen.convert.efficientnet import check_options, import_checkpoint
    if unreadable is not None:
        check_options(prefix, head, not no_normalize, mean, std)
        raise unreadable
    return import_checkpoint(checkpoint, prefix, variant=variant, head=head, classes=classes, size=size,
                             normalize=not no_normalize, mean=mean, std=std, tf_port=tf_port,
                             measure=not no_measure, ckpt=ckpt)


def _has_hswish(naming) -> bool:
    from cfggen.standalone import lookup
    return any("hswish" in lookup(v).options for v in naming.variants)
