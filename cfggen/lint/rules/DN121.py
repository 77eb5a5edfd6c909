"""other-reader: a file evidently written for another cfg reader, not for AlexeyAB darknet.

*Why*: the darknet cfg format is also read by PyTorch projects and by pjreddie's original darknet,
each with words AlexeyAB darknet does not know. YOLOR/YOLOv7-style PyTorch cfgs use PyTorch's
`activation=silu` (darknet's name is `swish`) in every layer and sections such as
`[implicit_add]`, `[implicit_mul]`, `[shift_channels]`, `[control_channels]`; pjreddie/darknet
has `[deconvolutional]`, `[iseg]`, `[logistic]`, `[l2norm]`. Run by AlexeyAB darknet, every
unknown activation becomes ReLU ("Couldn't find activation function silu, going with ReLU") and
every unknown section an all-zero layer ("Type not recognized"). Reporting that once per line gives
a hundred findings for one fact, so one note at the top says which reader the file is for and what
AlexeyAB darknet does with it, and stands for those per-line findings (DN108, DN101, DN214, DN102
on them). Other findings are reported as usual.

A file counts as written for another reader when it has a section only that reader knows, or when
`silu` is the activation of at least half of the layers that have one (and of 3 or more): a single
`silu` in a darknet cfg is a typo for `swish` and stays DN108's error.

*Severity*: an error, as severe as the findings it stands for (folding never lowers a severity):
darknet builds something else than the file says (ReLU where it says `silu`, all-zero layers where
it has a section darknet does not know). Where AlexeyAB darknet *stops* because of such a layer (the
first `[convolutional]` reading an `[implicit_add]`: "Layer before convolutional layer must output
image") that stop is its own error at the layer where darknet stops (DN209), not folded here.

**FAIL**
    [convolutional]
    activation=silu
    ...
    [implicit_add]
    filters=256
**PASS**
    [convolutional]
    activation=swish

*Fix safety*: the renames of the folded activations (`silu` -> `swish`, exact) are offered as one
fix; it is safe, and applied by `--fix`, when they are all the note stands for (a darknet-branch
YOLOv7 cfg: silu everywhere, no other reader's section); with sections darknet does not know, the
file stays for another program and nothing is rewritten.
"""
from __future__ import annotations

from cfggen.lint.model import Diagnostic
from cfggen.ir.layers import ACTIVATIONS as DARKNET_ACTIVATIONS, LAYERS
from cfggen.lint.rules._base import RuleContext, facts

CODE, NAME, SEVERITY, SCOPE = "DN121", "other-reader", "error", "file"
SUMMARY = "a file written for another cfg reader (YOLOR/YOLOv7 PyTorch, pjreddie darknet)"

# sections each reader has and AlexeyAB darknet does not (reference §1.6, §10.2)
READERS: dict[str, tuple[str, frozenset[str]]] = {
    "yolor": ("YOLOR/YOLOv7-style PyTorch cfg readers", frozenset({
        "[implicit_add]", "[implicit_mul]", "[implicit_cat]", "[implicit_add_2d]", "[implicit_mul_2d]",
        "[implicit_cat_2d]", "[shift_channels]", "[shift_channels_2d]", "[control_channels]",
        "[control_channels_2d]", "[alternate_channels]", "[alternate_channels_2d]", "[select_channels]",
        "[select_channels_2d]", "[route_lhalf]", "[reorg_old]"})),
    "pjreddie": ("pjreddie/darknet (the original)", frozenset({
        "[deconvolutional]", "[deconv]", "[iseg]", "[logistic]", "[l2norm]"})),
}
# activation names a reader uses where darknet has another name
ACTIVATIONS = {"silu": ("yolor", "swish")}
MIN_LAYERS = 3
_HEADERS = frozenset(h for _, names in READERS.values() for h in names)
# the quick test below holds when no reader's section is a darknet section type and no reader's
# activation name is darknet's (then every such option is among the options that are not plainly right)
_QUICK = (_HEADERS.isdisjoint(LAYERS) and not _HEADERS & {"[net]", "[network]"}
          and not set(DARKNET_ACTIVATIONS) & set(ACTIVATIONS))


def _possible(doc, f) -> bool:
    """Whether the file has a reader's section or activation name at all (most files have neither)."""
    if not _QUICK:
        return True
    sections = doc.sections
    return any(sections[i].header in _HEADERS for i in f.unknown) or \
        any(opt.key == "activation" and opt.value in ACTIVATIONS for _, _, opt in f.odd)


def check(ctx: RuleContext):
    doc = ctx.doc
    f = facts(doc)
    if not _possible(doc, f):
        return
    sections: dict[str, list] = {r: [] for r in READERS}
    acts: dict[str, list] = {}
    with_activation = 0
    for i, section in enumerate(doc.sections):
        for reader, (_, names) in READERS.items():
            if section.header in names:
                sections[reader].append(section)
        if f.key_types[i] is not None and "activation" in f.key_types[i]:
            opt = section.get("activation")
            if opt is not None and opt.value is not None:
                with_activation += 1
                if opt.value in ACTIVATIONS:
                    acts.setdefault(opt.value, []).append(opt)
    for reader, (who, _) in READERS.items():
        secs = sections[reader]
        used = {name: opts for name, opts in acts.items() if ACTIVATIONS[name][0] == reader}
        everywhere = {name: opts for name, opts in used.items()
                      if len(opts) >= MIN_LAYERS and 2 * len(opts) >= with_activation}
        if not secs and not everywhere:
            continue
        marks = used if secs else everywhere
        parts, does, covers, places = [], [], set(), []
        for name, opts in marks.items():
            parts.append(f"activation={name} in {len(opts)} layer{'s' * (len(opts) > 1)}")
            does.append(f"runs {name} as ReLU (darknet's name is {ACTIVATIONS[name][1]})")
            covers.update(o.line for o in opts)
            places.extend((o.line, f"activation={name}") for o in opts)
        kinds = sorted({s.header for s in secs})
        if secs:
            parts.append(", ".join(f"{k} x{sum(s.header == k for s in secs)}" for k in kinds))
            does.append("inserts an all-zero layer for each of " + ", ".join(kinds))
            for s in secs:
                covers.add(s.line)
                covers.update(o.line for o in s.options)
                places.append((s.line, s.header))
        places.sort()
        yield Diagnostic(CODE, f"this file is written for {who} ({'; '.join(parts)}): AlexeyAB darknet "
                         f"{' and '.join(does)}; the per-line findings about these are folded into this note",
                         line=1, col=1, related=tuple(places),
                         hint="use the reader the file was written for, or replace these for darknet",
                         # the renames of its activations remove the note only where there is no section
                         extra={"covers": frozenset(covers), "own_related": 3, "fixed_by_folded": not secs})
