"""names-count: the dataset's class names do not match `classes=`.

*Why*: with `--data obj.data` (its `names=` file) or `--names obj.names`, cfggen counts the class
names the way darknet does (one per line, empty lines included) and compares them with `classes=`
of every detection head, and with `classes=` of the .data file. darknet only notices during
training with `-map`, and at test time it may index past the names list.

*Severity*: an error: darknet trains or detects with a class count that does not match the dataset's
names.

**FAIL**
    [yolo]
    classes=80      # obj.names has 3 lines
**PASS**
    [yolo]
    classes=3

*Fix safety*: not fixable automatically (use `cfggen adapt --classes N`).
"""
from __future__ import annotations

from cfggen.errors import CfggenError
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
                             f"{'s' * (info.count != 1)}{blank}: darknet's train -map exits at its first mAP "
                             "pass (no _final weights), map exits, test goes on", line=line, col=col, layer=h.index,
                             hint="one class name per line, no blank lines; classes= must match in every head")
        if info.data_classes is not None and classes != info.data_classes:
            yield Diagnostic(CODE, f"classes={classes} but {info.data_path} says classes={info.data_classes}",
                             line=line, col=col, layer=h.index, hint="make the .data file's classes= match")


# ------------------------------------------------------------------------------------------------
# reading the dataset files (darknet's read_data_cfg and get_labels rules)

class NamesInfo:
    """What --data/--names say about the classes: the names count and the .data's classes=.

    ``data`` (the ``DataFile``) and ``names`` (the names as read) are kept for ``validate --data``'s
    dataset checks, which then read neither file again."""

    __slots__ = ("count", "empty", "names_path", "data_path", "data_classes", "data", "names")

    def __init__(self, count=None, empty=0, names_path="", data_path="", data_classes=None, data=None, names=None):
        self.count, self.empty, self.names_path = count, empty, names_path
        self.data_path, self.data_classes = data_path, data_classes
        self.data, self.names = data, names


def _read_data(path: str):
    """The ``DataFile`` of ``path`` (``cfggen.dataset``); unreadable is a UsageError (exit 2)."""
    from cfggen.dataset.files import read_data
    from cfggen.errors import UsageError
    try:
        return read_data(path)
    except CfggenError as exc:
        raise UsageError(exc.message, path=path, line=exc.line) from None


def read_data_file(path: str) -> dict[str, str]:
    """A darknet .data file as ``option_find`` sees it: key -> the first entry's value (``cfggen.dataset``)."""
    return _values(_read_data(path))


def _values(data) -> dict[str, str]:
    return {key: opt.value for key, opt in data.first.items() if opt.value is not None}


def _blank(names: list[str]) -> int:
    return sum(1 for name in names if not name.strip())


def count_names(path: str) -> tuple[int, int]:
    """(names, blank ones) as darknet's get_labels reads them: ``cfggen.dataset.files.read_names``, the
    one names reader (a NUL byte is unreadable input, exit 2, at its line)."""
    from cfggen.dataset.files import read_names
    names = read_names(path)
    return len(names), _blank(names)


def load_names(data: str | None, names: str | None, missing_ok: bool = False) -> NamesInfo | None:
    """--data and/or --names -> NamesInfo; a missing file is a UsageError (exit 2). ``missing_ok``: a
    names file the .data file names but that cannot be found leaves the count unknown (the dataset
    checks of ``validate --data`` report it, as DN442)."""
    import os
    from cfggen.errors import UsageError
    if data is None and names is None:
        return None
    info = NamesInfo()
    if data is not None:
        if not os.path.isfile(data):
            raise UsageError("no such .data file", path=data)
        info.data = _read_data(data)
        conf = _values(info.data)
        info.data_path = data
        if "classes" in conf:
            from cfggen.ir.cnum import atoi
            info.data_classes = atoi(conf["classes"])
        if names is None:
            ref = conf.get("names")
            if not ref:
                if missing_ok:
                    return info
                raise UsageError("the .data file has no names= line (or use --names)", path=data)
            here = os.path.join(os.path.dirname(os.path.abspath(data)), ref)
            if os.path.isabs(ref) or os.path.isfile(ref):
                names = ref
            elif os.path.isfile(here):
                names = here
            elif missing_ok:
                return info
            else:
                raise UsageError(f"names={ref}: no such file (looked in the current folder and next to the "
                                 ".data file)", path=data)
    if names is not None:
        from cfggen.dataset.files import read_names     # missing, a directory, binary: one-line input errors
        info.names = read_names(names)
        info.count, info.empty = len(info.names), _blank(info.names)
        info.names_path = names
    return info
