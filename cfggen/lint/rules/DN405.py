"""testing-batch-active: both the "Testing" and the "Training" `batch=` lines are active in [net].

*Why*: stock cfgs ship with a `# Testing` block (`batch=1`, `subdivisions=1`) and a `# Training`
block (`batch=64`, `subdivisions=16`), one of them commented out. With both active darknet reads the
first `batch=` (1): with the Testing `subdivisions=1` first too, one image per iteration, and
darknet's `train_detector` stops at the start ("Error: You set incorrect value batch=1 for
Training!", then `getchar()` waits for a key; builds that replaced it with `error()` exit);
with another `subdivisions=` first, it trains with that tiny batch. Inference is not affected
(darknet forces batch 1 there), which is why it goes unnoticed.

*Severity*: an error: training does not run, or runs with another batch than the Training block
says.

**FAIL**
    [net]
    # Testing
    batch=1
    subdivisions=1
    # Training
    batch=64
    subdivisions=16
**PASS**
    [net]
    # Testing
    #batch=1
    #subdivisions=1
    # Training
    batch=64
    subdivisions=16

*Fix safety*: not fixed automatically (it changes how the network trains): comment out the Testing lines.
"""
from __future__ import annotations

from cfggen.ir.cnum import atoi
from cfggen.lint.model import Diagnostic
from cfggen.lint.rules._base import facts

CODE, NAME, SEVERITY, SCOPE = "DN405", "testing-batch-active", "error", "file"
SUMMARY = "Testing and Training batch= both active (training runs at batch 1)"


def _active(net, key):
    return [o for o in net.options if o.key == key and o.form == "ok"]


def covered_keys(doc) -> frozenset[str]:
    """The [net] keys whose duplicates this rule reports (DN103 leaves them alone)."""
    memo = facts(doc).memo
    keys = memo.get("DN405")
    if keys is None:
        keys = memo["DN405"] = _covered(doc)
    return keys


def _covered(doc) -> frozenset[str]:
    net = doc.net
    if net is None:
        return frozenset()
    batches = _active(net, "batch")
    if len(batches) < 2 or atoi(batches[0].value) != 1 or not any(atoi(o.value) > 1 for o in batches[1:]):
        return frozenset()
    return frozenset({"batch", "subdivisions"})


def check(ctx):
    doc = ctx.doc
    if not covered_keys(doc):
        return
    net = doc.net
    batches = _active(net, "batch")
    train = next(o for o in batches[1:] if atoi(o.value) > 1)
    subs = _active(net, "subdivisions")
    related = [(train.line, f"the training batch={train.value}, ignored")]
    if len(subs) > 1:
        related.append((subs[1].line, f"subdivisions={subs[1].value}, ignored"))
    first = batches[0]
    sub = atoi(subs[0].value) if subs else 1
    if sub == 1:
        effect = ("training stops at the start ('You set incorrect value batch=1 for Training!': darknet waits "
                  f"for a key press, newer builds exit) instead of using batch={train.value}")
    else:
        effect = f"training runs with batch={first.value} (subdivisions={sub}) instead of batch={train.value}"
    yield Diagnostic(CODE, f"batch= appears {len(batches)} times in [net] and darknet reads the first (batch="
                     f"{first.value}): {effect}", line=first.line, col=first.col, related=tuple(related),
                     hint="comment out the '# Testing' batch= and subdivisions= lines for training")
