"""FairMOT's online association (JDETracker), fed with detections instead of owning a network.

Per frame (the step order of FairMOT's ``multitracker.py``):

1. Detections with score > ``conf_thres`` are kept (with ``use_byte``, those with
   ``low_thres`` < score < ``conf_thres`` are kept apart for step 4).
2. The pool = confirmed tracked tracks + lost tracks; every pool track is advanced by the
   Kalman filter (lost ones with zero height velocity).
3. First association, pool vs detections: cosine distance of the smoothed embeddings, gated by
   the Mahalanobis distance (chi-square 0.95, 4 dof) and fused 0.98 / 0.02 with it; linear
   assignment with cost limit ``match_thres`` (0.4). Without embeddings (motion-only): IoU
   distance, limit ``motion_match_thres`` (0.8, ByteTrack's motion-only FairMOT setting).
4. With embeddings: remaining detections vs remaining *tracked* pool tracks by IoU, limit
   ``iou_thres`` (0.5). With ``use_byte``: then the still-unmatched tracked tracks vs the
   low-score detections by IoU, limit ``byte_match_thres`` (0.4). Tracked tracks still
   unmatched become lost.
5. Remaining detections vs unconfirmed tracks (born last frame, not yet predicted) by IoU,
   limit ``unconfirmed_match_thres`` (0.7); unmatched unconfirmed tracks are removed.
6. Remaining detections start new tracks; they are confirmed at once only on frame 1,
   otherwise when matched again.
7. Lost tracks not matched for more than ``int(frame_rate / 30 * track_buffer)`` frames are
   removed. Tracked/lost pairs with IoU distance < ``duplicate_thres`` (0.15) are
   de-duplicated, keeping the one tracked longer.
8. Output: the confirmed tracked tracks, box = Kalman state.

Not in FairMOT: ``update(..., warp=)`` moves every state by the camera's motion first.

Matched tracks take the detection's embedding into their smoothed embedding (EMA with weight
``ema_alpha`` = 0.9 on the old one, re-normalised). Everything runs batched over tracks.

Two FairMOT quirks are kept on purpose, because they decide which ids come out: a lost track
removed in step 7 stays in the pool for one more frame and can still be re-found there, and a
track that was ever removed and is later lost again is dropped from the lost list at once.
"""
from typing import List, Optional

import numpy as np

from fairmot.errors import UserError

from .camera_motion import warp_xyah_states
from .kalman_filter import CHI2INV95, KalmanFilter
from .matching import embedding_distance, fuse_motion, iou_distance, linear_assignment
from .track import (
    TRACKED,
    Track,
    TrackTable,
    check_detections,
    check_one_class,
    normalize_rows,
    tlwh_to_tlbr,
    tlwh_to_xyah,
)


class _Detections:
    """One frame's detections as FairMOT sees them: float64 tlwh (x2 - x1 taken in the input
    dtype, as the original does), tlbr rebuilt from it, Kalman measurement, scores, unit
    embeddings."""

    def __init__(self, dets, features):
        tlwh = dets[:, :4].copy()
        tlwh[:, 2:] -= tlwh[:, :2]
        self.tlwh = tlwh.astype(np.float64)
        self.tlbr = tlwh_to_tlbr(self.tlwh)
        self.xyah = tlwh_to_xyah(self.tlwh)
        self.scores = dets[:, 4].astype(np.float64)
        self.features = None if features is None else normalize_rows(features)

    def __len__(self):
        return len(self.tlwh)

    def feature_rows(self, idx):
        return None if self.features is None else self.features[idx]


class JDETracker:
    """FairMOT's tracker without the network: ``update(detections, embeddings)`` once per frame.

    Defaults reproduce the original FairMOT JDETracker with its MOT16/17 settings (FairMOT
    uses ``conf_thres=0.3`` for MOT15 and MOT20). Ids count from 1 per instance.

    Arguments (all thresholds named, defaults = the original's values):
    ``conf_thres`` 0.4 detection score to associate and to start tracks; ``track_buffer`` 30
    and ``frame_rate`` 30: a lost track is kept ``int(frame_rate / 30 * track_buffer)`` frames;
    ``match_thres`` 0.4 cost limit of the appearance + motion pass; ``iou_thres`` 0.5 IoU
    distance limit of the second pass; ``unconfirmed_match_thres`` 0.7; ``duplicate_thres``
    0.15; ``motion_lambda`` 0.98 weight of appearance against the Mahalanobis distance;
    ``gating_threshold`` 9.4877 (chi-square 0.95, 4 dof); ``ema_alpha`` 0.9 embedding
    smoothing; ``motion_match_thres`` 0.8 IoU distance limit of the motion-only first pass;
    ``use_byte`` False, ``low_thres`` 0.2, ``byte_match_thres`` 0.4 (BYTE, below).

    Modes:

    - with embeddings (FairMOT): appearance + motion first, IoU second.
    - ``embeddings=None`` (motion-only, any detector): IoU on the Kalman-predicted boxes of
      tracked and lost tracks first, limit ``motion_match_thres``; there is no appearance pass
      and no second high-score IoU pass (it could not match anything the first left). The mode
      is fixed by the first frame that has detections; call :meth:`reset` to switch. These
      are ByteTrack's ``motion_tracker.py`` settings for FairMOT.
    - ``use_byte=True`` (BYTE, as in ByteTrack's FairMOT experiments): detections with
      ``low_thres`` < score < ``conf_thres`` are not dropped but matched by IoU (limit
      ``byte_match_thres``) to the tracked tracks that high-score detections left unmatched.
      They never start tracks; with embeddings they need embeddings too, and a match feeds the
      smoothed embedding like any other (as ByteTrack's FairMOT tracker does). Works in both
      modes. Detectors whose scores start above 0.2 need both thresholds raised to have
      low-score detections at all (e.g. ``conf_thres=0.7, low_thres=0.5`` for detections
      scored from 0.5).
    """

    def __init__(self, conf_thres: float = 0.4, track_buffer: int = 30, frame_rate: float = 30,
                 match_thres: float = 0.4, iou_thres: float = 0.5, unconfirmed_match_thres: float = 0.7,
                 duplicate_thres: float = 0.15, motion_lambda: float = 0.98,
                 gating_threshold: float = CHI2INV95[4], ema_alpha: float = 0.9,
                 motion_match_thres: float = 0.8, use_byte: bool = False, low_thres: float = 0.2,
                 byte_match_thres: float = 0.4):
        self.conf_thres = conf_thres
        self.track_buffer = track_buffer
        self.frame_rate = frame_rate
        self.max_time_lost = int(frame_rate / 30.0 * track_buffer)
        self.match_thres = match_thres
        self.iou_thres = iou_thres
        self.unconfirmed_match_thres = unconfirmed_match_thres
        self.duplicate_thres = duplicate_thres
        self.motion_lambda = motion_lambda
        self.gating_threshold = gating_threshold
        self.ema_alpha = ema_alpha
        self.motion_match_thres = motion_match_thres
        self.use_byte = use_byte
        self.low_thres = low_thres
        self.byte_match_thres = byte_match_thres
        self.kalman_filter = KalmanFilter()
        self.reset()

    @property
    def min_score(self) -> float:
        """The lowest detection score this tracker uses (with BYTE, the low-score pass's)."""
        return min(self.conf_thres, self.low_thres) if self.use_byte else self.conf_thres

    def reset(self):
        """Forget all tracks; the next frame is frame 1 and the next id is 1."""
        self.frame_id = 0
        self._next_id = 1
        self._uses_embeddings = None
        # rows [0, _n_tracked) are the tracked list, the rest the lost list, each in FairMOT order
        self._tracks = TrackTable.empty()
        self._n_tracked = 0

    @property
    def tracked_tracks(self):
        """Tracks in the tracked list (confirmed or not) as :class:`Track` snapshots."""
        return self._tracks.snapshot(np.arange(self._n_tracked))

    @property
    def lost_tracks(self):
        """Tracks in the lost list as :class:`Track` snapshots."""
        return self._tracks.snapshot(np.arange(self._n_tracked, len(self._tracks)))

    def _check_mode(self, uses_embeddings):
        if self._uses_embeddings is None:
            self._uses_embeddings = uses_embeddings
        elif self._uses_embeddings != uses_embeddings:
            raise UserError("this tracker was started "
                            + ("with" if self._uses_embeddings else "without")
                            + " embeddings; pass them on every frame or on none "
                              "(reset() to switch)")

    def _associate_iou(self, rows, dets, det_idx, thresh, assigned):
        """IoU assignment of table rows to detections ``det_idx``; the matches are appended to
        ``assigned`` as (rows, dets, detection indices). Returns the unmatched rows and
        detection indices."""
        if len(rows) == 0 or len(det_idx) == 0:
            return rows, det_idx
        cost = iou_distance(self._tracks.tlbr(rows), dets.tlbr[det_idx])
        matches, u_rows, u_dets = linear_assignment(cost, thresh)
        assigned.append((rows[matches[:, 0]], dets, det_idx[matches[:, 1]]))
        return rows[u_rows], det_idx[u_dets]

    def _apply_assignments(self, assigned):
        """Update all matched tracks at once (the passes match disjoint tracks and detections,
        and no pass reads what an update changes)."""
        rows = np.concatenate([r for r, _, _ in assigned])
        if len(rows) == 0:
            return
        xyah = np.concatenate([d.xyah[i] for _, d, i in assigned])
        scores = np.concatenate([d.scores[i] for _, d, i in assigned])
        features = None
        if self._tracks.features is not None:
            features = np.concatenate([d.features[i] for _, d, i in assigned])
        self._tracks.update(self.kalman_filter, rows, xyah, scores, features, self.frame_id,
                            self.ema_alpha)

    def update(self, detections: np.ndarray, embeddings: Optional[np.ndarray] = None,
               classes: Optional[np.ndarray] = None, *, warp: Optional[np.ndarray] = None) -> List[Track]:
        """Associate one frame's detections; returns the confirmed tracked tracks.

        ``detections``: (N, 5) array ``[x1, y1, x2, y2, score]`` in frame pixels (all of the
        frame's detections; thresholds are applied here). ``embeddings``: (N, D) array, one
        re-ID embedding per detection (normalised here), or None for motion-only tracking.
        ``classes``: None or (N,) class indices, all one class (several: use a PerClassTracker).
        ``warp``: 2x3 affine from the previous frame to this one (camera motion), applied to every
        track's Kalman state before the prediction; None (FairMOT's behaviour) leaves them.
        Returns a list of :class:`~fairmot.trackers.track.Track` with ``track_id``, ``tlwh``,
        ``tlbr``, ``score``.
        """
        dets, feats = check_detections(detections, embeddings)
        check_one_class(classes, len(dets))
        self.frame_id += 1
        frame = self.frame_id
        kf = self.kalman_filter

        scores = dets[:, 4]
        high = scores > self.conf_thres
        high_dets = _Detections(dets[high], None if feats is None else feats[high])
        if self.use_byte:
            low = (scores > self.low_thres) & (scores < self.conf_thres)
            low_dets = _Detections(dets[low], None if feats is None else feats[low])
        if len(dets):
            self._check_mode(feats is not None)
        use_embeddings = bool(self._uses_embeddings)

        tracks = self._tracks
        if warp is not None and len(tracks):
            tracks.mean, tracks.covariance = warp_xyah_states(tracks.mean, tracks.covariance, warp)
        n_tracked, n_all = self._n_tracked, len(tracks)
        in_tracked = np.arange(n_all) < n_tracked
        unconfirmed = np.flatnonzero(in_tracked & ~tracks.is_activated)
        pool = np.concatenate([np.flatnonzero(in_tracked & tracks.is_activated),
                               np.arange(n_tracked, n_all)])
        tracks.predict(kf, pool)

        # first association: appearance + motion, or IoU when there are no embeddings
        if use_embeddings and high_dets.features is None:    # a frame without detections
            cost, thresh = np.zeros((len(pool), 0)), self.match_thres
        elif use_embeddings:
            track_features = tracks.features[pool] if len(tracks) else np.zeros((0, 1))
            cost = embedding_distance(track_features, high_dets.features)
            cost = fuse_motion(kf, cost, tracks.mean[pool], tracks.covariance[pool],
                               high_dets.xyah, self.motion_lambda, self.gating_threshold)
            thresh = self.match_thres
        else:
            cost = iou_distance(tracks.tlbr(pool), high_dets.tlbr)
            thresh = self.motion_match_thres
        matches, u_pool, u_dets = linear_assignment(cost, thresh)
        matched_rows = pool[matches[:, 0]]
        refound = matched_rows[tracks.state[matched_rows] != TRACKED]
        assigned = [(matched_rows, high_dets, matches[:, 1])]

        # second association: IoU for tracked tracks (lost ones only come back by appearance)
        remaining = pool[u_pool]
        remaining = remaining[tracks.state[remaining] == TRACKED]
        if use_embeddings:
            remaining, u_dets = self._associate_iou(remaining, high_dets, u_dets, self.iou_thres,
                                                    assigned)
        if self.use_byte:
            remaining, _ = self._associate_iou(remaining, low_dets, np.arange(len(low_dets)),
                                               self.byte_match_thres, assigned)
        newly_lost = remaining
        tracks.mark_lost(newly_lost)

        # tracks born last frame: IoU against their first box (they have not been predicted)
        u_unconfirmed, u_dets = self._associate_iou(unconfirmed, high_dets, u_dets,
                                                    self.unconfirmed_match_thres, assigned)
        tracks.mark_removed(u_unconfirmed, frame)
        self._apply_assignments(assigned)

        # new tracks from the detections nobody took
        born = TrackTable.start(kf, self._next_id, high_dets.tlwh[u_dets], high_dets.scores[u_dets],
                                high_dets.feature_rows(u_dets), frame, activated=frame == 1)
        self._next_id += len(born)

        # lost tracks past the buffer are removed
        lost_rows = np.arange(n_tracked, n_all)
        expired = lost_rows[frame - tracks.frame_id[lost_rows] > self.max_time_lost]
        tracks.mark_removed(expired, frame)

        # new lists: tracked = still tracked + born + re-found; lost = old lost not re-found
        # + newly lost, minus tracks removed in an earlier frame
        old_tracked = np.arange(n_tracked)
        old_tracked = old_tracked[tracks.state[old_tracked] == TRACKED]
        tracked = np.concatenate([old_tracked, n_all + np.arange(len(born)), refound])
        old_lost = lost_rows[tracks.state[lost_rows] != TRACKED]
        lost = np.concatenate([old_lost, newly_lost])
        removed_before = tracks.removed_frame[lost]
        lost = lost[(removed_before < 0) | (removed_before == frame)]

        tracks = tracks.append(born)
        tracked, lost = self._remove_duplicates(tracks, tracked, lost)
        self._tracks = tracks.take(np.concatenate([tracked, lost]))
        self._n_tracked = len(tracked)
        rows = np.flatnonzero(self._tracks.is_activated[:self._n_tracked])
        return self._tracks.snapshot(rows)

    def _remove_duplicates(self, tracks, tracked, lost):
        """Drop one track of each tracked/lost pair with IoU distance < ``duplicate_thres``: the
        one tracked for fewer frames (on a tie the tracked one goes, as in FairMOT)."""
        if len(tracked) == 0 or len(lost) == 0:
            return tracked, lost
        close = iou_distance(tracks.tlbr(tracked), tracks.tlbr(lost)) < self.duplicate_thres
        if not close.any():
            return tracked, lost
        age = tracks.frame_id - tracks.start_frame
        tracked_older = age[tracked][:, None] > age[lost][None, :]
        drop_tracked = (close & ~tracked_older).any(axis=1)
        drop_lost = (close & tracked_older).any(axis=0)
        return tracked[~drop_tracked], lost[~drop_lost]
