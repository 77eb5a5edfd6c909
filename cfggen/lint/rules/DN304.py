"""anchor-coverage: anchors not used by exactly one [yolo] head.

*Why*: each anchor is meant for one scale. An anchor listed in no head is never trained; an anchor in
two heads (or twice in one mask) predicts the same box shape on two scales. Darknet reports neither.
The published enet-coco.cfg has `mask=3,4,5` and `mask=1,2,3`: anchor 0 unused, anchor 3 shared (a
typo inherited from yolov3-tiny; `0,1,2` was meant). When one mask moved to a different run of
anchors covers every anchor exactly once, that is the one finding, with the mask to use. Masks
that slide on purpose (`0,1,2` / `1,2,3` / `2,3,4` / `3,4,5`: distinct runs of consecutive anchors
of one length, together covering every anchor) are not reported.

*Severity*: a warning. Darknet trains what the masks say (an unused anchor is never trained, a
shared one is trained twice); the network works, but is rarely what was meant.

**FAIL**
    [yolo]
    mask=3,4,5
    ...
    [yolo]
    mask=1,2,3
**PASS**
    [yolo]
    mask=3,4,5
    ...
    [yolo]
    mask=0,1,2

*Fix safety*: not fixable automatically (which head should take which anchor is a design choice).
"""
from __future__ import annotations

from cfggen.ir.cnum import int_list
from cfggen.lint.model import Diagnostic
from cfggen.lint.rules._base import RuleContext, at, layer_index

CODE, NAME, SEVERITY, SCOPE = "DN304", "anchor-coverage", "warning", "network"
SUMMARY = "an anchor used by no head, or by several"
LAYER_TYPES = ("yolo", "gaussian_yolo")
MAX_ANCHORS = 4096   # beyond this num= is a typo that DN303 reports; listing anchors one by one is pointless


def check(ctx: RuleContext):
    heads = layer_index(ctx).of("yolo", "gaussian_yolo")
    if not heads:
        return
    num = heads[-1].conf["num"]
    if any(h.conf["num"] != num for h in heads) or num <= 0 or num > MAX_ANCHORS:
        return  # num differs between heads or is absurd: DN303/DN302/DN306 say more than coverage could
    masks = [_mask(h, num) for h in heads]
    if _exact(masks, num) or _sliding(masks, num):
        return   # every anchor used once (the usual case: nothing below can report), or a sliding layout
    shift = _shifted(masks, num)
    if shift is not None:
        k, new = shift
        h = heads[k]
        line, col = at(h.section, "mask")
        cover = _cover(masks, num)
        unused = [a for a in range(num) if not cover.get(a)]
        shared = [a for a in range(num) if len(cover.get(a, ())) > 1]
        yield Diagnostic(CODE, f"mask={','.join(map(str, masks[k]))} of layer {h.index} looks shifted: "
                         f"{_list('anchor', unused)} {_be(unused)} used by no head and {_list('anchor', shared)} "
                         f"{_be(shared)} shared; with mask={','.join(map(str, new))} every anchor is used once",
                         line=line, col=col, layer=h.index,
                         related=tuple((at(o.section, "mask")[0], f"mask of layer {o.index}")
                                       for o in heads if o is not h),
                         hint=f"mask={','.join(map(str, new))}")
        return
    users = _cover(masks, num, heads)
    pairs: dict[tuple[int, int], list[int]] = {}      # (first head, second head) -> the anchors they share
    for a in range(num):
        hs = users.get(a, [])
        if len(hs) > 1:
            pairs.setdefault((hs[0].index, hs[1].index), []).append(a)
    by_index = {h.index: h for h in heads}
    for (i, j), shared in pairs.items():
        first, second = by_index[i], by_index[j]
        line, col = at(second.section, "mask")
        where = f"layers {i} and {j}" if i != j else f"layer {i}'s mask twice"
        yield Diagnostic(CODE, f"{_list('anchor', shared)} {_be(shared)} used by {where}: "
                         f"{'it predicts' if len(shared) == 1 else 'they predict'} the same box shape twice",
                         line=line, col=col, layer=j,
                         related=((at(first.section, "mask")[0], f"mask of layer {i}"),),
                         hint="give each anchor index to exactly one head")
    unused = [a for a in range(num) if a not in users]
    if unused:
        last = heads[-1]
        line, col = at(last.section, "mask")
        shown = ", ".join(map(str, unused[:12])) + (f" and {len(unused) - 12} more" if len(unused) > 12 else "")
        yield Diagnostic(CODE, f"anchor{'s' if len(unused) > 1 else ''} {shown} of num={num} "
                         f"{'are' if len(unused) > 1 else 'is'} used by no [yolo] head: never trained",
                         line=line, col=col, layer=last.index,
                         related=tuple((at(h.section, "mask")[0], f"mask of layer {h.index}") for h in heads[:-1]),
                         hint="masks of all heads together should list every anchor index once")


def _mask(head, num: int) -> list[int]:
    m = head.conf["mask"]
    return int_list(m, stop_at_hash=True) if m is not None else list(range(num))


def _cover(masks, num: int, heads=None) -> dict[int, list]:
    """anchor -> the heads (or mask indices) that use it, in order."""
    users: dict[int, list] = {}
    for k, mask in enumerate(masks):
        for m in mask:
            users.setdefault(m, []).append(heads[k] if heads is not None else k)
    return users


def _exact(masks, num: int) -> bool:
    flat = sorted(m for mask in masks for m in mask)
    return flat == list(range(num))


def _run(mask) -> bool:
    return bool(mask) and all(b == a + 1 for a, b in zip(mask, mask[1:]))


def _sliding(masks, num: int) -> bool:
    """Distinct runs of consecutive anchors, all of one length, overlapping, together covering every anchor
    (``masks`` are not the exact layout, every anchor once: ``check`` returns before, so runs that cover
    every anchor overlap)."""
    if len(masks) < 2 or not all(_run(m) for m in masks) or len({len(m) for m in masks}) != 1:
        return False
    starts = [m[0] for m in masks]
    if len(set(starts)) != len(starts):
        return False
    return set(range(num)) == {a for m in masks for a in m}


def _shifted(masks, num: int) -> tuple[int, list[int]] | None:
    """(head, new mask) when moving one mask by a constant makes every anchor used exactly once (``masks``
    are not that layout already: ``check`` returns before)."""
    for d in sorted(range(-num + 1, num), key=abs):
        for k in reversed(range(len(masks))):   # ties: the later head, usually the copied one
            mask = masks[k]
            new = [m + d for m in mask]
            if d and all(0 <= m < num for m in new) and _exact(masks[:k] + [new] + masks[k + 1:], num):
                return k, new
    return None


def _list(word: str, idx: list[int]) -> str:
    return f"{word}{'s' * (len(idx) > 1)} {', '.join(map(str, idx))}"


def _be(idx: list[int]) -> str:
    return "are" if len(idx) > 1 else "is"
