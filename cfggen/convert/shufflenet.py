"""torchvision ShuffleNetV2 checkpoints (``shufflenet_v2_x0_5`` .. ``x2_0``): the naming ``cfggen import``
detects. The per-tensor mapping, with the channel permutations of the split and shuffle, comes from the
generator (``cfggen/scale/shufflenet.py``: ``ConvSource`` rows/cols); ``cfggen/convert/sequential.py`` checks
and writes it."""
from cfggen.convert.sequential import Naming, markers

NAMINGS = (Naming("torchvision ShuffleNetV2", markers("conv1.0.weight", "stage2.0.branch1.0.weight", "conv5.0.weight"),
                  ("shufflenetv2-x0.5", "shufflenetv2-x1.0", "shufflenetv2-x1.5", "shufflenetv2-x2.0"), ("fc",)),)
