"""The boxes ``detector calc_anchors`` clusters (reference §13.7 step 2), read through ``files``.

``train=`` of the ``.data`` file (darknet's default for ``calc_anchors``: ``data/train.list``), every
list entry (blank ones included) mapped to its label path, every box of every label file used, in file
order, whatever its class or position; paths relative to the current folder, as darknet opens them.
A box with x, y, w or h outside (0, 1] is still used (darknet prints "Wrong label" and goes on): it is
counted and the first one located.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from cfggen.dataset.files import label_path, read_data, read_label_batch, read_list
from cfggen.errors import InputError

CALC_ANCHORS_TRAIN = "data/train.list"


@dataclass(frozen=True)
class TrainBoxes:
    data_path: str
    train_path: str
    images: int                  # list entries, blank ones included
    label_files: int             # distinct label paths read
    missing: tuple[str, ...]     # label paths darknet cannot open ("Can't open label file ...")
    stopped: tuple[str, ...]     # "path:line: message" where darknet stops reading a label file
    wh: np.ndarray               # (boxes, 2) float32: relative width and height as read
    wrong: int                   # boxes with x, y, w or h outside (0, 1] (used anyway, as darknet does)
    first_wrong: str             # "path:line" of the first such box ("" when none)
    negative_ids: int            # boxes with a class id < 0 (calc_anchors corrupts its heap on these)

    def pixels(self, width: int, height: int) -> np.ndarray:
        """(w * width, h * height) as darknet computes them: float32 times int, in float32."""
        with np.errstate(over="ignore", invalid="ignore"):    # inf/nan labels stay inf/nan, as in darknet
            return np.stack([self.wh[:, 0] * np.float32(width), self.wh[:, 1] * np.float32(height)], axis=1)


def read_train_boxes(data_path: str, data=None) -> TrainBoxes:
    """Every box ``calc_anchors`` would read for ``data_path`` (``data``: its ``DataFile`` when already read)."""
    if data is None:
        data = read_data(data_path)
    train = data.get("train", CALC_ANCHORS_TRAIN)
    if not os.path.exists(train):
        where = data.line("train")
        why = (f"train={train}: no such image list" if where is not None else
               f"no train= line, and darknet's default for calc_anchors, {train}, does not exist")
        raise InputError(why + " (paths are opened from the current folder, as darknet opens them)",
                         path=data_path, line=where)
    entries = read_list(train)
    paths = [label_path(e.path) for e in entries]
    batch = read_label_batch(paths)
    missing = tuple(p for p, st in zip(paths, batch.status) if st != "ok")
    stopped = []
    for k in sorted(batch.slow):
        f = batch.file(k)
        if f.stop is not None:
            stopped.append(f"{f.path}:{f.stop.line}: {f.stop.message}")
    xywh = batch.xywh
    bad = ~((xywh > 0) & (xywh <= 1)).all(axis=1)
    first_wrong = ""
    if bad.any():
        k = int(np.argmax(bad))
        owner = int(np.searchsorted(batch.offsets, k, side="right")) - 1
        f = batch.file(owner)
        first_wrong = f"{paths[owner]}:{int(f.lines[k - batch.offsets[owner]])}"
    return TrainBoxes(data_path, train, len(entries), len(set(paths)), missing, tuple(stopped),
                      np.ascontiguousarray(xywh[:, 2:4]), int(bad.sum()), first_wrong,
                      int((batch.ids < 0).sum()))
