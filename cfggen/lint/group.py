"""One finding per fact per file, one finding per cause.

Two steps run once over a file's findings, after suppressions (so a suppression comment still
works on its own line or section) and before the report:

1. ``absorb``: when one finding explains another, only the explaining one is kept. ``ABSORBS`` is
   the table: (winner, loser, relation), e.g. an unknown section (DN101) is not also a dead layer
   (DN214), a trailing comma in ``steps=`` (DN111) is not also a steps/scales count (DN118).
   Folding never lowers a severity: the winner is as severe as the most severe finding it stands for
   (a DN121 note that folds ``activation=silu`` errors is an error). A note that folds findings
   (``covers``) and has no fix of its own offers theirs, merged: safe when every finding it folds had
   a safe fix and the note says that fixing them removes it (``extra["fixed_by_folded"]``: ``silu`` ->
   ``swish`` in every layer of a file without other sections), else offered and not applied.
2. ``merge``: the same rule saying the same thing in many places (``activation=silu`` in 134 layers,
   the same partial residual in every CSP block) becomes one finding at the first place, whose
   message ends "… and 133 more layers: 54, 67, …" and whose ``related`` lists every other place
   (JSON ``related``, SARIF ``relatedLocations``). "The same thing" is the message with its layer
   and line numbers taken out (the first place's hint is kept), unless the rule module defines
   ``fact(d)`` (e.g. DN202: every channel-only shortcut of a file is one design choice). Safe fixes
   of the merged findings are merged too, so ``--fix`` still fixes every place.

Findings at different input sizes, of different severities, or with and without a safe fix are
never merged. ``places(d)`` gives back every place a finding stands for (for tools that count).
"""
from __future__ import annotations

import functools
import re
from typing import Callable, Iterable

from cfggen.findings import SEVERITY_RANK, replace
from cfggen.lint.model import Diagnostic, Fix

# compiled on first use by re's own cache (most files have no finding to merge; import stays cheap)
_PLACE = r"\b(layers?|lines?) -?\d+(?:'s)?|\blayer -?\d+|\(layer -?\d+\)"
SHOWN = 8   # places listed in the message; `related` has all of them


def _lines(d: Diagnostic) -> set[int]:
    return {d.line} | {line for line, _ in d.related}


def same_layer(winner: Diagnostic, loser: Diagnostic) -> bool:
    return winner.layer is not None and winner.layer == loser.layer


def same_line(winner: Diagnostic, loser: Diagnostic) -> bool:
    return winner.line == loser.line


def touches(winner: Diagnostic, loser: Diagnostic) -> bool:
    """The loser is at, or points to, the winner's line."""
    return winner.line in _lines(loser)


def covers(winner: Diagnostic, loser: Diagnostic) -> bool:
    """The winner says it stands for the loser's line (``extra["covers"]``: a file-level note), unless the
    loser is where darknet stops (``extra["stop"]``): a stop is never folded into a note."""
    return loser.line in winner.extra.get("covers", ()) and not loser.extra.get("stop")


def breaks_here(winner: Diagnostic, loser: Diagnostic) -> bool:
    """The layer a non-multiple input size breaks (DN219's ``extra["breaks"]``) is the winner's layer."""
    return winner.layer is not None and loser.extra.get("breaks") == winner.layer


def empty_mask(winner: Diagnostic, loser: Diagnostic) -> bool:
    """An empty ``mask=`` (the head uses every anchor) explains that head's anchor coverage."""
    return winner.message.startswith("mask=") and winner.layer is not None and winner.layer == loser.layer


def lost_head(winner: Diagnostic, loser: Diagnostic) -> bool:
    """A head darknet does not recognise takes its anchors with it: coverage is not judged then."""
    return bool(winner.extra.get("head"))


# (winner, loser, relation): the loser is a consequence of the winner and is dropped
ABSORBS: tuple[tuple[str, str, Callable[[Diagnostic, Diagnostic], bool]], ...] = (
    ("DN101", "DN214", same_layer),      # an unknown section is an empty layer: of course nothing reads it
    ("DN101", "DN213", same_layer),      # ... and it cannot be resized
    ("DN111", "DN118", touches),         # steps=a,b, has "3" steps: the trailing comma is the cause
    ("DN111", "DN401", touches),         # ... and a step at 0, out of order
    ("DN111", "DN403", touches),
    ("DN104", "DN304", empty_mask),      # mask= empty: the head uses every anchor
    ("DN101", "DN304", lost_head),       # [Yolo]: the head is lost, and its anchors with it
    ("DN107", "DN401", touches),         # steps=4e5 read as 4: the bad value explains the order
    ("DN107", "DN403", touches),
    ("DN107", "DN402", touches),
    ("DN107", "DN303", same_line),      # anchors=10,13  16,30: the missing comma is why the count is off
    ("DN203", "DN219", breaks_here),     # the route that breaks at a non-multiple size: its hint names the cause
    ("DN201", "DN219", breaks_here),
    ("DN121", "DN108", covers),         # a file written for another reader: one note (DN121) instead
    ("DN121", "DN101", covers),
    ("DN121", "DN214", covers),
    ("DN121", "DN213", covers),
    ("DN121", "DN102", covers),
)

# the loser's hint says how to remove the winner's cause: the winner keeps it
CARRY_HINT = frozenset({("DN203", "DN219"), ("DN201", "DN219")})


def absorb(found: list[Diagnostic]) -> list[Diagnostic]:
    by_code: dict[str, list[Diagnostic]] = {}
    for d in found:
        by_code.setdefault(d.code, []).append(d)
    dropped: set[int] = set()
    hints: dict[int, str] = {}
    worst: dict[int, str] = {}                 # winner -> the most severe severity it stands for
    folded: dict[int, list[Diagnostic]] = {}   # note (``covers``) -> the findings it folds
    for winner, loser, related in ABSORBS:
        if winner in by_code and loser in by_code:
            for w in by_code[winner]:
                for d in by_code[loser]:
                    if id(d) not in dropped and related(w, d):
                        dropped.add(id(d))
                        level = worst.get(id(d), d.severity)   # a loser may itself stand for others
                        if SEVERITY_RANK.get(level, 0) > SEVERITY_RANK.get(worst.get(id(w), w.severity), 0):
                            worst[id(w)] = level
                        if related is covers:
                            folded.setdefault(id(w), []).append(d)
                        if (winner, loser) in CARRY_HINT and d.hint and id(w) not in hints:
                            hints[id(w)] = f"{w.hint}; here: {d.hint}" if w.hint else d.hint
    if not dropped:
        return found
    out = []
    for d in found:
        if id(d) in dropped:
            continue
        changes = {}
        if id(d) in hints:
            changes["hint"] = hints[id(d)]
        if id(d) in worst:
            changes["severity"] = worst[id(d)]
        if id(d) in folded and d.fix is None:
            fix = _folded_fix(folded[id(d)], d.extra.get("fixed_by_folded", False))
            if fix is not None:
                changes["fix"] = fix
        out.append(replace(d, **changes) if changes else d)
    return out


def _folded_fix(members: list[Diagnostic], removes_note: bool) -> Fix | None:
    """The fixes of the findings a note folds, as one fix: safe when every one of them had a safe fix and
    fixing them removes the note's cause (``removes_note``: the note's ``extra["fixed_by_folded"]``)."""
    fixes = [d.fix for d in members if d.fix is not None]
    if not fixes:
        return None
    edits = _joined(fixes)
    if edits is None:
        return None
    safe = removes_note and len(fixes) == len(members) and all(f.safe for f in fixes)
    what = "; ".join(dict.fromkeys(f.description for f in fixes))
    n = len(fixes)
    return Fix(f"{what} ({n} place{'s' * (n != 1)})" if n > 1 else what, edits, safe)


def _joined(fixes: list[Fix]) -> tuple | None:
    """The edits of several fixes as one fix's, None when two of them edit the same line."""
    edits = tuple(e for f in fixes for e in f.edits)
    return edits if len({e.line for e in edits}) == len(edits) else None


def _fact(d: Diagnostic, facts: dict) -> tuple:
    own = facts.get(d.code)
    key = own(d) if own is not None else None
    if key is None:
        key = re.sub(_PLACE, "#", d.message)
    return (d.code, d.severity, d.size is None, d.fix is not None and d.fix.safe, key)


def merge(found: Iterable[Diagnostic], facts: dict | None = None) -> list[Diagnostic]:
    """Merge findings of one file that state the same fact; ``found`` is sorted, the first place wins."""
    facts = facts or {}
    groups: dict[tuple, list[Diagnostic]] = {}
    order: list[tuple] = []
    for d in found:
        key = _fact(d, facts)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(d)
    return [_one(groups[k]) for k in order]


def _one(members: list[Diagnostic]) -> Diagnostic:
    first = members[0]
    others = members[1:]
    if not others:
        return first
    layers = [d.layer for d in members]
    in_layers = None not in layers and len(set(layers)) == len(layers)
    places = [str(d.layer) if in_layers else str(d.line) for d in others]
    unit = ("layer" if in_layers else "line") + ("s" * (len(others) > 1))
    listed = ", ".join(places[:SHOWN]) + (", …" if len(places) > SHOWN else "")
    message = f"{first.message} … and {len(others)} more {unit}: {listed}"
    also = tuple((d.line, f"layer {d.layer}: the same finding" if d.layer is not None else "the same finding")
                 for d in others)
    fix = first.fix
    if fix is not None and fix.safe:
        edits = _joined([d.fix for d in members])
        if edits is not None:
            fix = Fix(fix.description, edits, True)
    extra = dict(first.extra)
    extra["own_related"] = len(first.related)
    extra["same"] = tuple((d.line, d.layer) for d in others)
    return replace(first, message=message, related=first.related + also, fix=fix, extra=extra)


def places(d: Diagnostic) -> tuple[tuple[int, int | None], ...]:
    """Every (line, layer) a finding stands for: its own place first, then the merged ones."""
    return ((d.line, d.layer),) + tuple(d.extra.get("same", ()))


def group(found: list[Diagnostic]) -> list[Diagnostic]:
    """``absorb`` then ``merge``, with each rule's own ``fact`` (found sorted by position)."""
    if len(found) < 2:
        return found
    return merge(absorb(found), _facts())


@functools.lru_cache(maxsize=1)
def _facts() -> dict:
    """code -> the rule's own ``fact(d)``, for the rules that define one."""
    from cfggen.lint.rules import RULES
    return {code: rule.fact for code, rule in RULES.items() if hasattr(rule, "fact")}
