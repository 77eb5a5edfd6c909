"""names-count: the dataset's class names do not match `classes=`.

*Why*: with `--data obj.data` (its `names=` file) or `--names obj.names`, cfggen counts the class
names the way darknet does (one per line, empty lines included) and compares them with `classes=`
of every detection head, and with `classes=` of the .data file. darknet only notices during
training with `-map`, and at test time it may index past the names list.

**FAIL**
    [yolo]
    classes=80      # obj.names has 3 lines
**PASS**
    [yolo]
    classes=3

*Fix safety*: not fixable automatically (use `cfggen adapt --classes N`).
"""
from __future__ import annotations

from cfggen.lint.model import Diagnostic
from cfggen.lint.rules._base import RuleContext, at
from cfggen.lint.training import detection_heads

CODE, NAME, SEVERITY, SCOPE = "DN408", "names-count", "error", "network"
SUMMARY = "classes= differs from the number of names in the dataset files"


def check(ctx: RuleContext):
    info = ctx.options.get("names")
    if info is None:
        return
    heads = detection_heads(ctx.net)
    blank = f", {info.empty} of them empty" if info.empty else ""
    for h in heads:
        classes = h.conf["classes"]
        line, col = at(h.section, "classes")
        if info.count is not None and classes != info.count:
            yield Diagnostic(CODE, f"classes={classes} but {info.names_path} has {info.count} name"
                             f"{'s' * (info.count != 1)}{blank}", line=line, col=col, layer=h.index,
                             hint="one class name per line, no blank lines; classes= must match in every head")
        if info.data_classes is not None and classes != info.data_classes:
            yield Diagnostic(CODE, f"classes={classes} but {info.data_path} says classes={info.data_classes}",
                             line=line, col=col, layer=h.index, hint="make the .data file's classes= match")
