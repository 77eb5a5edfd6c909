"""anchors-count: `anchors` does not supply exactly 2*num values.

*Why*: darknet reads the first 2*num values; missing ones stay 0.5 (pixels for [yolo], grid cells
for [region], whose anchors are in units of the output grid: useless anchors, silently) and an odd
count leaves the last anchor's height at 0.5. Extra values are ignored by [yolo] and
[region] (a warning here: usually `num` was not updated), but [Gaussian_yolo] writes them past its
table (memory corruption).

*Severity*: an error when values are missing or [Gaussian_yolo] overflows: darknet trains with
anchors the file does not give. Extra values for [yolo]/[region] are a warning: darknet uses the
first 2*num exactly as written and ignores the rest.
The same count mismatch in several heads is one finding at the first, listing the others; when a
missing comma (DN107) on the same line is the cause, only DN107 is reported.

**FAIL**
    [yolo]
    anchors=10,13, 16,30, 33,23
    num=9
**PASS**
    [yolo]
    anchors=10,13, 16,30, 33,23
    num=3

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

from cfggen.lint.rules._base import RuleContext, diag, layer_index

CODE, NAME, SEVERITY, SCOPE = "DN303", "anchors-count", "error", "network"
SUMMARY = "anchors= does not hold 2*num values"
LAYER_TYPES = ("yolo", "gaussian_yolo", "region")


def check(ctx: RuleContext):
    for layer in layer_index(ctx).of("yolo", "gaussian_yolo", "region"):
        num, text = layer.conf["num"], layer.conf["anchors"]
        unit = "grid cells" if layer.type == "region" else "pixels"   # [region] anchors are in grid cells
        want = 2 * num
        if text is None:
            yield diag(CODE, f"no anchors= but num={num}: every anchor is 0.5x0.5 {unit}", layer.section,
                       layer=layer.index, hint=f"give {want} values (w,h pairs)")
            continue
        head = text.split("#", 1)[0] if layer.type == "yolo" else text
        have = head.count(",") + 1
        if have == want:
            continue
        if have < want:
            msg = f"anchors= has {have} values but num={num} needs {want}: the missing ones are 0.5 {unit}"
        elif layer.type == "gaussian_yolo":
            msg = (f"anchors= has {have} values but num={num} needs {want}: [Gaussian_yolo] writes the extra ones "
                   "past its anchor table (memory corruption)")
        else:
            msg = f"anchors= has {have} values but num={num} uses only the first {want}"
        odd = " (an odd count: the last anchor has no height)" if have % 2 else ""
        # extra values are only ignored by [yolo]/[region]: a warning; everything else is an error
        sev = "warning" if have > want and layer.type != "gaussian_yolo" and not odd else ""
        yield diag(CODE, msg + odd, layer.section, "anchors", layer=layer.index, severity=sev,
                   hint="num= is the number of w,h pairs in anchors=")
