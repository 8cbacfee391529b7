"""Tracks: life-cycle states, the per-frame snapshot handed to users, and the batched track table.

The tracker keeps every live track as one row of a :class:`TrackTable` (struct of arrays), so
Kalman prediction/correction and embedding smoothing run once per frame for all tracks instead of
once per track. Users get :class:`Track` snapshots: plain objects with ``track_id``, ``tlwh``,
``tlbr``, ``score`` that later frames do not change.
"""
from dataclasses import dataclass, fields
from enum import IntEnum
from typing import Optional

import numpy as np

from fairmot.errors import UserError


class TrackState(IntEnum):
    """Life cycle: NEW (a detection), TRACKED (matched this frame), LOST (unmatched, may come
    back within the track buffer), REMOVED (gone for good)."""
    NEW = 0
    TRACKED = 1
    LOST = 2
    REMOVED = 3


_STATES = tuple(TrackState)   # value -> member, faster than TrackState(value)
# plain ints for array comparisons: numpy probes an enum member's attributes on every use
NEW, TRACKED, LOST, REMOVED = (int(s) for s in TrackState)


@dataclass(eq=False)
class Track:
    """One track as it was at the end of a frame.

    ``tlwh``/``tlbr`` are the Kalman filter's box (top-left x, y, width, height / x1, y1, x2, y2)
    in frame pixels; ``score`` is the score of the last detection that updated the track
    (a re-activated track keeps its score from before it was lost, as in FairMOT).
    """
    track_id: int
    tlwh: np.ndarray
    score: float
    state: TrackState
    is_activated: bool
    start_frame: int
    frame_id: int

    @property
    def tlbr(self):
        ret = self.tlwh.copy()
        ret[2:] += ret[:2]
        return ret

    @property
    def end_frame(self):
        """Last frame in which a detection was assigned to the track."""
        return self.frame_id

    def __repr__(self):
        return (f"Track(id={self.track_id}, {self.state.name}, frames {self.start_frame}-"
                f"{self.frame_id}, tlwh={np.round(self.tlwh, 2).tolist()}, score={self.score:.3f})")


def mean_to_tlwh(means):
    """Kalman means (N, 8) -> boxes (N, 4) as (top-left x, y, w, h)."""
    ret = means[:, :4].copy()
    ret[:, 2] *= ret[:, 3]
    ret[:, :2] -= ret[:, 2:] / 2
    return ret


def tlwh_to_tlbr(tlwh):
    ret = tlwh.copy()
    ret[:, 2:] += ret[:, :2]
    return ret


def tlwh_to_xyah(tlwh):
    """(N, 4) boxes (x, y, w, h) -> (centre x, centre y, w / h, h), the Kalman measurement."""
    ret = tlwh.copy()
    ret[:, :2] += ret[:, 2:] / 2
    ret[:, 2] /= ret[:, 3]
    return ret


def check_detections(detections, embeddings=None):
    """``(dets (N, 5), embeddings (N, D) or None)`` as given (dtype kept), or a UserError saying
    what shape was expected. Embeddings of a frame without detections are None."""
    dets = np.asarray(detections)
    if dets.size == 0:
        dets = dets.reshape(0, 5)
    if dets.ndim != 2 or dets.shape[1] != 5:
        raise UserError(f"detections must be an (N, 5) array [x1, y1, x2, y2, score], "
                        f"got shape {dets.shape}")
    if embeddings is None or len(dets) == 0:
        return dets, None
    feats = np.asarray(embeddings)
    if feats.ndim != 2 or len(feats) != len(dets):
        raise UserError(f"embeddings must be an (N, D) array with one row per detection, "
                        f"got shape {feats.shape} for {len(dets)} detections")
    return dets, feats


def check_one_class(classes, count):
    """What a tracker of one class accepts as ``classes``: None, or ``count`` entries all of one
    class. Several classes are a UserError: one tracker would associate them with each other."""
    if classes is None:
        return
    classes = np.asarray(classes).reshape(-1)
    if len(classes) != count:
        raise UserError(f"{len(classes)} classes for {count} detections")
    if len(classes) and (classes != classes[0]).any():
        raise UserError(f"detections of {len(np.unique(classes))} classes: a tracker of one class would match them "
                        "across classes; use create_tracker(..., per_class=True), which tracks each class apart")


def normalize_rows(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@dataclass(eq=False)
class TrackTable:
    """Live tracks as rows of parallel arrays.

    Columns: ``track_id``, ``state`` (TrackState values), ``is_activated`` (confirmed: matched
    on a second frame, or born on frame 1), ``mean`` (N, 8) and ``covariance`` (N, 8, 8) of the
    Kalman filter, ``features`` (N, D) smoothed unit embeddings (None in motion-only use),
    ``score``, ``frame_id`` (last matched frame), ``start_frame``, ``removed_frame`` (first frame
    the track was marked removed, -1 if never).
    """
    track_id: np.ndarray
    state: np.ndarray
    is_activated: np.ndarray
    mean: np.ndarray
    covariance: np.ndarray
    features: Optional[np.ndarray]
    score: np.ndarray
    frame_id: np.ndarray
    start_frame: np.ndarray
    removed_frame: np.ndarray

    @classmethod
    def empty(cls):
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int8), np.zeros(0, bool),
                   np.zeros((0, 8)), np.zeros((0, 8, 8)), None, np.zeros(0),
                   np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))

    @classmethod
    def start(cls, kalman_filter, first_id, tlwh, scores, features, frame_id, activated):
        """New tracks (state TRACKED) from detection boxes; ids first_id, first_id + 1, ..."""
        n = len(tlwh)
        mean, covariance = kalman_filter.initiate(tlwh_to_xyah(tlwh))
        return cls(np.arange(first_id, first_id + n, dtype=np.int64),
                   np.full(n, TRACKED, np.int8), np.full(n, activated, bool),
                   mean, covariance, features, np.asarray(scores, dtype=np.float64),
                   np.full(n, frame_id, np.int64), np.full(n, frame_id, np.int64),
                   np.full(n, -1, np.int64))

    def __len__(self):
        return len(self.track_id)

    def _columns(self):
        return (getattr(self, f.name) for f in fields(self))

    def take(self, rows):
        """A new table with the given rows, in that order."""
        return TrackTable(*(None if c is None else c[rows] for c in self._columns()))

    def append(self, other):
        """A new table: these rows, then ``other``'s."""
        if len(other) == 0:
            return self
        if len(self) == 0:
            return other
        if (self.features is None) != (other.features is None):
            raise ValueError("cannot mix tracks with and without embeddings")
        return TrackTable(*(None if a is None else np.concatenate([a, b])
                            for a, b in zip(self._columns(), other._columns())))

    def tlwh(self, rows):
        return mean_to_tlwh(self.mean[rows])

    def tlbr(self, rows):
        return tlwh_to_tlbr(mean_to_tlwh(self.mean[rows]))

    def predict(self, kalman_filter, rows):
        """Advance the given rows one frame; tracks not TRACKED predict with zero height
        velocity."""
        if len(rows) == 0:
            return
        mean = self.mean[rows]
        mean[self.state[rows] != TRACKED, 7] = 0
        self.mean[rows], self.covariance[rows] = kalman_filter.predict(mean, self.covariance[rows])

    def update(self, kalman_filter, rows, xyah, scores, features, frame_id, alpha):
        """Assign detections to the given rows: Kalman correction, embedding EMA, state TRACKED.

        Rows that were TRACKED take the detection's score; re-activated rows (LOST before)
        keep theirs, as FairMOT's ``re_activate`` does.
        """
        if len(rows) == 0:
            return
        self.mean[rows], self.covariance[rows] = kalman_filter.update(
            self.mean[rows], self.covariance[rows], xyah)
        if self.features is not None:
            smoothed = alpha * self.features[rows] + (1 - alpha) * features
            self.features[rows] = normalize_rows(smoothed)
        was_tracked = self.state[rows] == TRACKED
        self.score[rows[was_tracked]] = scores[was_tracked]
        self.state[rows] = TRACKED
        self.is_activated[rows] = True
        self.frame_id[rows] = frame_id

    def mark_lost(self, rows):
        self.state[rows] = LOST

    def mark_removed(self, rows, frame_id):
        if len(rows) == 0:
            return
        self.state[rows] = REMOVED
        first = rows[self.removed_frame[rows] < 0]
        self.removed_frame[first] = frame_id

    def snapshot(self, rows):
        """Users' view of the given rows: a list of :class:`Track`."""
        tlwh = self.tlwh(rows)
        ids, scores = self.track_id[rows].tolist(), self.score[rows].tolist()
        states, activated = self.state[rows].tolist(), self.is_activated[rows].tolist()
        starts, last = self.start_frame[rows].tolist(), self.frame_id[rows].tolist()
        return [Track(ids[i], tlwh[i], scores[i], _STATES[states[i]], activated[i],
                      starts[i], last[i]) for i in range(len(ids))]
