"""Robert-JunWang PeleeNet checkpoints (``peleenet.py``: ``features.stemblock.stem1.conv.weight``, ...): the
naming ``cfggen import`` detects. The per-tensor mapping comes from the generator
(``cfggen/scale/peleenet.py``: ``Source``); ``cfggen/convert/standalone.py`` checks and writes it."""
from cfggen.convert.standalone import Naming

NAMING = Naming("Robert-JunWang PeleeNet", markers=("features.stemblock.stem1.conv.weight",),
                variants=("peleenet",), classifier="classifier")
