"""unknown-activation: an activation name darknet does not know.

*Why*: names are compared exactly; an unknown one prints a warning and darknet uses ReLU, so the
network trains and runs with a different activation: `Leaky`, `LEAKY`, `silu`, `sigmoid`,
`identity`, `none` all become ReLU. (`leaky # note` is DN106.) The Hank.ai fork rejects them.

*Severity*: an error: darknet trains and runs with ReLU instead of the activation the file names. A
file that uses `silu` in most layers is written for a PyTorch reader: one DN121 note stands for
these findings.
The same unknown activation in several layers is one finding at the first, listing the others.

**FAIL**
    [convolutional]
    activation=silu
**PASS**
    [convolutional]
    activation=swish

*Fix safety*: safe where the name means exactly one of darknet's activations under another spelling:
`silu` is `swish` (x·σ(x)), `sigmoid` is `logistic`, `identity`/`none` are `linear`, `hardtanh` is
`hardtan`, `hardmish` is `hard_mish`, and a darknet name in other letter case (`Leaky`). Other names
are not renamed (`leakyrelu` is PyTorch's slope 0.01, darknet's `leaky` has 0.1): the hint names the
likely spelling.
"""
from __future__ import annotations

from cfggen.ir.layers import ACTIVATIONS
from cfggen.lint.model import Edit, Fix
from cfggen.lint.rules._base import RuleContext, at_option, facts, suggest, value_head

CODE, NAME, SEVERITY, SCOPE = "DN108", "unknown-activation", "error", "file"
SUMMARY = "activation name darknet does not know (it uses ReLU)"

# the names that mean exactly darknet's function (the rename is a safe fix)
EXACT = {"silu": "swish", "sigmoid": "logistic", "identity": "linear", "none": "linear", "hardtanh": "hardtan",
         "hard_tanh": "hardtan", "hardmish": "hard_mish", "hard-mish": "hard_mish"}
# and the likely meanings of others, only named in the hint (PyTorch's leaky slope is 0.01, darknet's 0.1)
ALIASES = {**EXACT, "leakyrelu": "leaky", "leaky_relu": "leaky", "lrelu": "leaky", "relu_6": "relu6"}
_KEYS = ("activation", "lstm_activation")


def exact_name(name: str) -> str | None:
    """Darknet's name for the very function ``name`` stands for, if there is no doubt about it."""
    lower = name.lower()
    if lower in ACTIVATIONS:
        return lower
    return EXACT.get(lower)


def check(ctx: RuleContext):
    f = facts(ctx.doc)
    for i, section, first in f.odd:   # the options that are not plainly right (one shared pass)
        types = f.key_types[i]
        key = first.key
        if types is None or key not in _KEYS or key not in types:
            continue
        opt = section.get(key)
        if opt is not first:
            continue   # darknet reads the first one only
        if opt.value is None or opt.value in ACTIVATIONS:
            continue
        if "#" in opt.value and value_head(opt.value) in ACTIVATIONS:
            continue  # the inline comment is the problem: DN106
        name = value_head(opt.value) or opt.value
        exact = exact_name(name) if name == opt.value else None
        guess = exact or ALIASES.get(name.lower()) or suggest(name, ACTIVATIONS, cutoff=0.7)
        named = f" (darknet's name for it is {exact})" if exact and exact.lower() != name.lower() else ""
        yield at_option(CODE, f"{key}={opt.value} is not an activation darknet knows: it uses ReLU instead{named}",
                        opt, value=True,
                        hint=f"did you mean {key}={guess}?" if guess else
                        f"darknet's activations: {', '.join(ACTIVATIONS[:12])}, ...",
                        fix=_rename(ctx.doc, opt, exact) if exact else None)


def _rename(doc, opt, name: str) -> Fix | None:
    """The line with the value written as darknet's ``name`` (None if the value is not found as written)."""
    text = doc.line_text(opt.line)
    start = opt.value_col - 1
    if text[start:start + len(opt.value)] != opt.value:
        return None
    return Fix(f"{opt.key}={opt.value} -> {opt.key}={name}",
               (Edit(opt.line, text[:start] + name + text[start + len(opt.value):]),))
