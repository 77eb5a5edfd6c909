"""Robert-JunWang PeleeNet checkpoints (``peleenet.py``: ``features.stemblock.stem1.conv.weight``, ...): the
naming ``cfggen import`` detects. The per-tensor mapping comes from the generator (``cfggen/scale/peleenet.py``);
``cfggen/convert/sequential.py`` checks and writes it."""
from cfggen.convert.sequential import Naming, markers

NAMINGS = (Naming("Robert-JunWang PeleeNet", markers("features.stemblock.stem1.conv.weight"), ("peleenet",),
                  ("classifier",)),)
