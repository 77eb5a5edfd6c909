"""label-path-unusable: an image path darknet cannot map to a label file.

*Why*: darknet replaces only `.jpg .JPG .jpeg .JPEG .png .PNG .bmp .BMP .ppm .PPM .tiff .TIFF` at the very
end of the path by `.txt` (and only when that is where the extension first occurs: `a.jpg.jpg`
stays). Any other path (`.Jpg`, `.tif`, `.webp`, a CR left at the end of the list's last line)
prints "Failed to infer label file name (check image extension is supported): <path>" and darknet
reads the *image file itself* as its label file: its bytes do not parse, so the image silently
becomes a negative sample and its real labels are never read. A path of 4 characters or less prints
"Label file name is too short".

*Severity*: an error: the image's labels are never read.

**FAIL**
    data/obj/1.Jpg
**PASS**
    data/obj/1.jpg

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

CODE, NAME, SEVERITY, SCOPE = "DN447", "label-path-unusable", "error", "dataset"
SUMMARY = "an image path darknet cannot map to a label file"
check = None   # found by ``cfggen.dataset.checks`` (``validate --data``), not by the cfg engine
