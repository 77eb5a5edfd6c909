"""Darknet's verdict on each label box at training time (``data.c: correct_boxes, fill_truth_detection``).

The boxes are judged as written, i.e. as darknet sees them without augmentation (no crop, scale or
flip): ``correct_boxes`` marks a box invalid when ``x == 0 && y == 0`` or when it lies entirely
outside the image, and clips every other box to the image; ``fill_truth_detection`` then checks, in
this order, the class id, the size against one network pixel, and the invalid mark. Arithmetic is
float32, as in darknet.
"""
from __future__ import annotations

import numpy as np

KEPT, CLASS_HIGH, CLASS_NEGATIVE, TINY, INVALID, NAN, CLIPPED = range(7)

# verdict -> darknet's message (stdout), with the fields filled by ``message``
_MESSAGES = {
    CLASS_HIGH: "Wrong annotation: class_id = {id}. But class_id should be [from 0 to {top}]",
    INVALID: "Wrong annotation: x = 0, y = 0, < 0 or > 1",
    CLASS_NEGATIVE: ("Warning: in txt-labels class_id={id} >= classes={classes} in cfg-file. In txt-labels "
                     "class_id should be [from 0 to {top}]"),
}


def verdicts(ids: np.ndarray, xywh: np.ndarray, classes: int | None, net_w: int | None = None,
             net_h: int | None = None) -> np.ndarray:
    """One verdict (int8) per box. ``classes`` None: class ids not judged; ``net_w``/``net_h`` None:
    the one-pixel size not judged."""
    n = len(ids)
    out = np.zeros(n, np.int8)
    if not n:
        return out
    b = np.asarray(xywh, np.float32)
    x, y, w, h = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    two = np.float32(2)
    with np.errstate(invalid="ignore", over="ignore"):
        left, right = x - w / two, x + w / two
        top, bottom = y - h / two, y + h / two
        invalid = ((x == 0) & (y == 0)) | (right < 0) | (bottom < 0) | (left > 1) | (top > 1)
        zero, one = np.float32(0), np.float32(1)
        cl, cr = np.clip(left, zero, one), np.clip(right, zero, one)
        ct, cb = np.clip(top, zero, one), np.clip(bottom, zero, one)
        cw = np.clip(cr - cl, zero, one)
        ch = np.clip(cb - ct, zero, one)
        clipped = (left < 0) | (right > 1) | (top < 0) | (bottom > 1)
        nan = np.isnan(b).any(axis=1)
        tiny = np.zeros(n, bool)
        if net_w and net_h:
            tiny = ~invalid & ((cw < np.float32(1) / np.float32(net_w)) | (ch < np.float32(1) / np.float32(net_h)))
    # the last assignment wins, so the checks go in reverse order of darknet's: a box darknet keeps may be
    # clipped or NaN; a negative class id passes the loader (the heads never train it) unless the box is
    # dropped as invalid or tiny; the class check comes first of all
    out[clipped & ~invalid] = CLIPPED
    out[nan & ~invalid] = NAN
    if classes is not None:
        out[ids < 0] = CLASS_NEGATIVE
    out[invalid] = INVALID
    out[tiny] = TINY
    if classes is not None:
        out[ids >= classes] = CLASS_HIGH
    return out


def message(verdict: int, box_id: int, classes: int | None) -> str | None:
    """The line darknet prints for this verdict (None: darknet says nothing)."""
    text = _MESSAGES.get(verdict)
    if text is None:
        return None
    return text.format(id=box_id, top=(classes or 0) - 1, classes=classes)
