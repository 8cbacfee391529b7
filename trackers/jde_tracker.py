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

Matched tracks take the detection's embedding into their smoothed embedding (EMA with weight
``ema_alpha`` = 0.9 on the old one, re-normalised). Everything runs batched over tracks.

Two FairMOT quirks are kept on purpose, because they decide which ids come out: a lost track
removed in step 7 stays in the pool for one more frame and can still be re-found there, and a
track that was ever removed and is later lost again is dropped from the lost list at once.
"""
import numpy as np

from fairmot.errors import UserError

from .kalman_filter import CHI2INV95, KalmanFilter
from .matching import embedding_distance, fuse_motion, iou_distance, linear_assignment
from .track import TrackState, TrackTable, normalize_rows, tlwh_to_tlbr, tlwh_to_xyah


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

    Defaults reproduce the original FairMOT JDETracker (MOT16/17 settings). Ids count from 1
    per instance. ``frame_rate`` scales the track buffer: a lost track is kept for
    ``int(frame_rate / 30 * track_buffer)`` frames.

    Modes:

    - with embeddings (FairMOT): appearance + motion first, IoU second.
    - ``embeddings=None`` (motion-only, any detector): IoU on the Kalman-predicted boxes first,
      limit ``motion_match_thres``; there is no appearance pass. The mode is fixed by the
      first frame that has detections; call :meth:`reset` to switch.
    - ``use_byte=True`` (BYTE, as in ByteTrack's FairMOT experiments): detections with
      ``low_thres`` < score < ``conf_thres`` are not dropped but matched by IoU (limit
      ``byte_match_thres``) to tracked tracks the high-score detections left unmatched. They
      never start tracks. Works in both modes; with embeddings they need embeddings too.
    """

    def __init__(self, conf_thres=0.4, track_buffer=30, frame_rate=30, match_thres=0.4,
                 iou_thres=0.5, unconfirmed_match_thres=0.7, duplicate_thres=0.15,
                 motion_lambda=0.98, gating_threshold=CHI2INV95[4], ema_alpha=0.9,
                 motion_match_thres=0.8, use_byte=False, low_thres=0.2, byte_match_thres=0.4):
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

    def _check_inputs(self, detections, embeddings):
        dets = np.asarray(detections)
        if dets.size == 0:
            dets = dets.reshape(0, 5)
        if dets.ndim != 2 or dets.shape[1] != 5:
            raise UserError(f"detections must be an (N, 5) array [x1, y1, x2, y2, score], "
                            f"got shape {dets.shape}")
        if embeddings is None:
            return dets, None
        feats = np.asarray(embeddings)
        if feats.ndim != 2 or len(feats) != len(dets):
            raise UserError(f"embeddings must be an (N, D) array with one row per detection, "
                            f"got shape {feats.shape} for {len(dets)} detections")
        return dets, feats

    def _check_mode(self, uses_embeddings):
        if self._uses_embeddings is None:
            self._uses_embeddings = uses_embeddings
        elif self._uses_embeddings != uses_embeddings:
            raise UserError("this tracker was started "
                            + ("with" if self._uses_embeddings else "without")
                            + " embeddings; pass them on every frame or on none (reset() to switch)")

    def _associate_iou(self, rows, dets, det_idx, thresh):
        """IoU assignment of table rows to detections ``det_idx``; updates the matched rows.

        Returns (matched rows, unmatched rows, unmatched detection indices)."""
        tracks = self._tracks
        cost = iou_distance(tracks.tlbr(rows), dets.tlbr[det_idx])
        matches, u_rows, u_dets = linear_assignment(cost, thresh)
        matched_rows = rows[matches[:, 0]]
        matched_dets = det_idx[matches[:, 1]]
        tracks.update(self.kalman_filter, matched_rows, dets.xyah[matched_dets],
                      dets.scores[matched_dets], dets.feature_rows(matched_dets),
                      self.frame_id, self.ema_alpha)
        return matched_rows, rows[u_rows], det_idx[u_dets]

    def update(self, detections, embeddings=None):
        """Associate one frame's detections; returns the confirmed tracked tracks.

        ``detections``: (N, 5) array ``[x1, y1, x2, y2, score]`` in frame pixels (all of the
        frame's detections; thresholds are applied here). ``embeddings``: (N, D) array, one
        re-ID embedding per detection (normalised here), or None for motion-only tracking.
        Returns a list of :class:`~fairmot.trackers.track.Track` with ``track_id``, ``tlwh``,
        ``tlbr``, ``score``.
        """
        dets, feats = self._check_inputs(detections, embeddings)
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
        n_tracked, n_all = self._n_tracked, len(tracks)
        in_tracked = np.arange(n_all) < n_tracked
        unconfirmed = np.flatnonzero(in_tracked & ~tracks.is_activated)
        pool = np.concatenate([np.flatnonzero(in_tracked & tracks.is_activated),
                               np.arange(n_tracked, n_all)])
        tracks.predict(kf, pool)

        # first association: appearance + motion, or IoU when there are no embeddings
        all_dets = np.arange(len(high_dets))
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
        refound = matched_rows[tracks.state[matched_rows] != TrackState.TRACKED]
        tracks.update(kf, matched_rows, high_dets.xyah[matches[:, 1]], high_dets.scores[matches[:, 1]],
                      high_dets.feature_rows(matches[:, 1]), frame, self.ema_alpha)

        # second association: IoU for tracked tracks (lost ones only come back by appearance)
        remaining = pool[u_pool]
        remaining = remaining[tracks.state[remaining] == TrackState.TRACKED]
        if use_embeddings:
            _, remaining, u_dets = self._associate_iou(remaining, high_dets, u_dets, self.iou_thres)
        if self.use_byte:
            _, remaining, _ = self._associate_iou(remaining, low_dets, np.arange(len(low_dets)),
                                                  self.byte_match_thres)
        newly_lost = remaining
        tracks.mark_lost(newly_lost)

        # tracks born last frame: IoU against their first box (they have not been predicted)
        _, u_unconfirmed, u_dets = self._associate_iou(unconfirmed, high_dets, u_dets,
                                                       self.unconfirmed_match_thres)
        tracks.mark_removed(u_unconfirmed, frame)

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
        old_tracked = old_tracked[tracks.state[old_tracked] == TrackState.TRACKED]
        tracked = np.concatenate([old_tracked, n_all + np.arange(len(born)), refound])
        old_lost = lost_rows[tracks.state[lost_rows] != TrackState.TRACKED]
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
