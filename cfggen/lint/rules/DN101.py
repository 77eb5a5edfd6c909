"""unknown-section: a section header darknet does not recognise.

*Why*: darknet prints "Type not recognized", inserts an all-zero layer and carries on; the next
spatial layer then dies with "Layer before ... must output image" (DN209, at that layer), or, if no
layer needs an image from it (the section is last, or a `[route]` skips it), the network loads and
its output (a head: that head) is lost, and *running* it crashes at the first such layer: the
all-zero layer has no forward function. Section names are case-sensitive
(`[Yolo]` is unknown, and `[Gaussian_yolo]` needs its capital G); a second `[net]` is unknown too.

*Severity*: an error: darknet builds a different network (an empty layer where the file has one).
A file written for another reader (`[implicit_add]` of YOLOR-style PyTorch cfgs, pjreddie's
`[deconvolutional]`) gets one file-level note (DN121) instead of one error per section; the section
where running the network crashes stays its own error.

**FAIL**
    [convolutinal]
**PASS**
    [convolutional]

*Fix safety*: not fixable automatically (the intended type is a guess).
"""
from __future__ import annotations

from cfggen.ir.layers import LAYERS
from cfggen.lint.rules._base import RuleContext, diag, facts

CODE, NAME, SEVERITY, SCOPE = "DN101", "unknown-section", "error", "file"
SUMMARY = "section type darknet does not recognise"

_HEADS = ("[yolo]", "[Gaussian_yolo]", "[region]", "[detection]")
_KNOWN = sorted(set(LAYERS) | {"[net]", "[network]"})

# Sections other darknet dialects and cfg readers know, which AlexeyAB's parser does not (reference §1.6).
_ELSEWHERE = {
    "[deconvolutional]": "pjreddie/darknet", "[deconv]": "pjreddie/darknet", "[iseg]": "pjreddie/darknet",
    "[logistic]": "pjreddie/darknet", "[l2norm]": "pjreddie/darknet",
    "[implicit_add]": "YOLOR-style PyTorch cfg readers (darknet has only [implicit])",
    "[implicit_mul]": "YOLOR-style PyTorch cfg readers (darknet has only [implicit])",
    "[control_channels]": "YOLOR-style PyTorch cfg readers", "[reorg_old]": "no darknet ([reorg] is the old reorg)",
}


def suggest(header: str) -> str | None:
    folded = {h.lower(): h for h in _KNOWN}
    if header.lower() in folded:
        return folded[header.lower()]
    import difflib

    close = difflib.get_close_matches(header, _KNOWN, n=1, cutoff=0.75)
    return close[0] if close else None


def check(ctx: RuleContext):
    if not facts(ctx.doc).unknown:
        return   # every section type is known (the items of the plan are the sections after the first)
    net = ctx.net
    # when darknet builds the network, running it crashes at the first all-zero layer (reference §1.6)
    crash = min((k for k in net.empty if net.layers[k].type == "blank"), default=None) \
        if net is not None and net.stop is None else None
    for sec, spec, _ in ctx.plan.items:
        if spec is None:
            guess = suggest(sec.header)
            what = f"{sec.header} (a second network section)" if sec.header in ("[net]", "[network]") else sec.header
            where = _ELSEWHERE.get(sec.header)
            extra = f" ({sec.header} exists in {where}, not in AlexeyAB darknet)" if where else ""
            if guess and guess != sec.header:
                hint = f"did you mean {guess}?"
            else:
                hint = "see `cfggen rules DN101` for the section names darknet knows"
            last = sec.index == len(ctx.plan.items) - 1
            head = guess in _HEADS or any(w in sec.header.lower() for w in ("yolo", "region", "detection"))
            loads = net is not None and net.stop is None and sec.index in net.empty
            effect = ("the network loads and this head is lost" if head else
                      "the network loads and its output is lost" if last else
                      "the network loads (no layer needs an image from it)" if loads else
                      "a layer that reads it gets an empty input (darknet exits at the next one that needs an "
                      "image)")
            info = {"head": head}
            if loads and sec.index == crash:
                # a darknet crash is a finding of its own: a note about another reader does not fold it
                effect += "; running the network crashes here: the all-zero layer has no forward function"
                info["stop"] = True
            yield diag(CODE, f"unknown section {what}{extra}: darknet prints 'Type not recognized' and inserts an "
                       f"all-zero layer (layer {sec.index}); {effect}", sec, layer=sec.index, hint=hint,
                       extra=info)
