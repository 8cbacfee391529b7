"""Outputs of a tracking run besides the MOTChallenge file and the video: JSON lines and crops.

- :class:`JsonLinesWriter`: ``<name>.jsonl``, one line per frame,
  ``{"frame": 12, "tracks": [{"id": 3, "box": [x, y, w, h], "score": 0.91}, ...]}`` (box: top-left
  corner, width and height in frame pixels; ``"class": "car"`` too for a model of several classes),
  flushed after every frame;
- :class:`CropWriter`: ``<name>_crops/<id>/<frame>.jpg``, each track's box cut from every k-th
  frame, a folder per identity: the layout re-identification datasets use.

Both take ``write_frame(index, frame, tracks)`` with the tracker's tracks (``track_id``, ``tlwh``,
``score``) and are written under the run's staging names (:mod:`fairmot.inference.outputs`).
"""
from __future__ import annotations

import json
import os
import shutil
from typing import Iterable

import cv2
import numpy as np

from fairmot.trackers import track_class

CROPS_SUFFIX = "_crops"


class JsonLinesWriter:
    """One JSON object per frame; a crash keeps every whole line written. ``class_names``: give
    each track its ``"class"`` (a model of several classes)."""

    def __init__(self, path: str, class_names=None):
        self.path = path
        self.class_names = class_names
        self._file = open(path, "w")

    def _track(self, t) -> dict:
        out = {"id": int(t.track_id), "box": [round(float(v), 2) for v in t.tlwh], "score": round(float(t.score), 4)}
        if self.class_names is not None:
            out["class"] = self.class_names[track_class(t)]
        return out

    def write_frame(self, index: int, frame: np.ndarray, tracks: Iterable) -> None:
        line = {"frame": int(index), "tracks": [self._track(t) for t in tracks]}
        self._file.write(json.dumps(line) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class CropWriter:
    """Each track's box (clipped to the frame) from every ``every``-th frame tracked, as
    ``<folder>/<id:06d>/<frame:06d>.jpg``; boxes under ``min_size`` pixels wide or high are
    left out. Crops are cut from the frame as read, before anything is drawn on it."""

    def __init__(self, folder: str, every: int = 10, min_size: int = 8, quality: int = 95):
        if every < 1:
            raise ValueError("every must be at least 1")
        self.folder, self.every, self.min_size = folder, int(every), int(min_size)
        self._params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
        self._seen = 0
        self.crops = 0
        if os.path.isdir(folder):   # the staging folder of an earlier run that was killed
            shutil.rmtree(folder)
        os.makedirs(folder)

    def write_frame(self, index: int, frame: np.ndarray, tracks: Iterable) -> None:
        self._seen += 1
        if (self._seen - 1) % self.every:
            return
        height, width = frame.shape[:2]
        for track in tracks:
            x, y, w, h = track.tlwh
            x1, y1 = max(int(round(x)), 0), max(int(round(y)), 0)
            x2, y2 = min(int(round(x + w)), width), min(int(round(y + h)), height)
            if x2 - x1 < self.min_size or y2 - y1 < self.min_size:
                continue
            folder = os.path.join(self.folder, f"{int(track.track_id):06d}")
            os.makedirs(folder, exist_ok=True)
            path = os.path.join(folder, f"{int(index):06d}.jpg")
            if not cv2.imwrite(path, frame[y1:y2, x1:x2], self._params):
                raise OSError(f"cannot write {path}")
            self.crops += 1

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
