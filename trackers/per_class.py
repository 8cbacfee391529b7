"""Several classes in one stream: one tracker per class behind one ``update`` call per frame.

A detection is never associated with a track of another class, because each class has its own
tracker; a track therefore never changes class. Track ids are unique across classes: each
class tracker's own ids are renumbered, in the order tracks are first reported.

Detections keep the (N, 5) ``x1, y1, x2, y2, score`` layout of every tracker here, with the
classes as an (N,) integer array beside them: ``update(detections, embeddings, classes)``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np


def track_class(track) -> int:
    """The class index of a reported track: ``cls`` of a :class:`ClassTrack`, 0 for the tracks of
    a one-class tracker."""
    return getattr(track, "cls", 0)


@dataclass(frozen=True)
class ClassTrack:
    """A track as reported for one frame: ``track_id`` (unique across classes), ``tlwh``, ``score``,
    ``cls`` (its class index)."""
    track_id: int
    tlwh: np.ndarray
    score: float
    cls: int

    @property
    def tlbr(self) -> np.ndarray:
        return np.r_[self.tlwh[:2], self.tlwh[:2] + self.tlwh[2:]]


class PerClassTracker:
    """``make_tracker()`` gives a new single-class tracker (e.g. ``lambda: create_tracker("hybrid", 30)``);
    one is made for each class when it first has a detection, and every one is stepped every frame
    (with no detections when its class has none) so that its lost tracks age as in a run alone."""

    def __init__(self, make_tracker: Callable[[], object]):
        self.make_tracker = make_tracker
        self.trackers: Dict[int, object] = {}
        self._ids: Dict[Tuple[int, int], int] = {}
        self._next_id = 1
        self._template = make_tracker()   # its thresholds (min_score); making it checks the options at once

    @property
    def min_score(self) -> float:
        """The lowest score any class tracker uses: the detector keeps detections above it."""
        return self._template.min_score

    def _tracker(self, cls: int):
        tracker = self.trackers.get(cls)
        if tracker is None:
            tracker = self.trackers[cls] = self.make_tracker()
        return tracker

    def update(self, detections: np.ndarray, embeddings: Optional[np.ndarray] = None,
               classes: Optional[np.ndarray] = None, *, warp: Optional[np.ndarray] = None) -> List[ClassTrack]:
        """Associate one frame: ``detections`` (N, 5), ``embeddings`` (N, D) or None, ``classes``
        (N,) class indices (None: all class 0), ``warp`` as the class trackers take it.
        Returns the reported tracks of every class, class by class."""
        detections = np.asarray(detections, dtype=np.float64).reshape(-1, 5)
        if classes is None:
            classes = np.zeros(len(detections), dtype=np.int64)
        classes = np.asarray(classes).reshape(-1)
        if len(classes) != len(detections):
            raise ValueError(f"{len(classes)} classes for {len(detections)} detections")
        if embeddings is not None and len(embeddings) != len(detections):
            raise ValueError(f"{len(embeddings)} embeddings for {len(detections)} detections")
        for cls in np.unique(classes):
            self._tracker(int(cls))
        out: List[ClassTrack] = []
        for cls in sorted(self.trackers):
            keep = classes == cls
            tracked = self.trackers[cls].update(detections[keep], None if embeddings is None else embeddings[keep],
                                                warp=warp)
            for track in tracked:
                key = (cls, int(track.track_id))
                track_id = self._ids.get(key)
                if track_id is None:
                    track_id = self._ids[key] = self._next_id
                    self._next_id += 1
                out.append(ClassTrack(track_id, np.asarray(track.tlwh, dtype=np.float64).copy(), float(track.score),
                                      cls))
        return out
