"""HybridTracker: ByteTrack's two-stage matching with the peers' best parts, chosen by measurement.

One ``update(detections, embeddings=None, warp=None)`` per frame; no network. What it takes from
whom, and why (numbers: mean MOTA / IDF1 over the ten MOT15 training sequences with their real
Faster R-CNN detections, motion only; see scripts/bench_tracker.py):

- ByteTrack: high-score detections first, then low-score ones for the tracks still unmatched, so
  occluded people (whose scores drop) keep their track without low scores starting false tracks.
- SORT / ByteTrack: a track is born tentative and confirmed after ``min_hits`` hits in a row
  (right away in the first ``min_hits`` frames); a tentative track that misses a frame is dropped.
  Most false detections last a frame or two, and each would otherwise be a false track.
- BoT-SORT: a Kalman filter over (x, y, w, h) instead of (x, y, aspect, h), and appearance fused
  with IoU as ``min(iou distance, appearance distance / 2)``, the appearance counted only for
  pairs that overlap (``proximity_thresh``) and look alike (``appearance_thresh``).
- DeepSORT / FairMOT: appearance also vetoes. A pair whose embeddings are further apart than
  ``appearance_veto`` is never matched, however well the boxes overlap: in a crowd the box that
  overlaps best is often someone else's. On the MOT17 streams with embeddings this took the
  ID switches from 525 to 90 and IDF1 from 72.8 to 82.6.
- With embeddings the first matching and births take lower scores (``reid_high_thresh`` 0.2:
  ByteTrack's low-score bound for FairMOT; ``reid_new_track_thresh`` 0.45, near FairMOT's
  confidence threshold 0.4) than without (0.8 / 0.9): the veto keeps false detections from
  taking over tracks, which motion alone cannot, and these scores are the heatmap peaks of
  FairMOT's detector, lower than those of detectors like MOT15's Faster R-CNN (all >= 0.5).
  Two benchmarks with embeddings pull the birth threshold apart: the MOT17 streams (simulated
  detector, random false positives, occluded people scored low) want it low, the bundled
  network's own detections (``bench_tracker.py --sections own``: false positives that persist,
  people half out of the frame) want it high. MOTA / IDF1, streams | own (the network's float16
  file, where these were tuned): births from 0.3, low pass from 0.1: 77.3 / 86.5 | 78.9 / 81.1;
  births 0.4, low 0.1: 77.0 / 86.4 | 82.4 / 80.6; births 0.45, low 0.2 (the default):
  76.4 / 85.9 | 86.6 / 83.0; births 0.5, low 0.2: 75.9 / 85.7 | 86.1 / 82.5. On the streams the
  default is ahead of every peer and of "fairmot" (SORT 76.1 / 77.2, fairmot 67.9 / 78.9). On
  the bundled int8 file's detections of the same clips it is 84.6 / 81.4 against fairmot's
  85.7 / 79.4: the quantised network's scores move these thresholds' effect by about two
  points, and no setting tried (births 0.4-0.5, low 0.2-0.25, three hits to confirm) was ahead
  of fairmot there on MOTA and of SORT on the streams at once.
- OC-SORT: observation-centric re-update (``reupdate_after_gap``, off by default): when a lost
  track is found again, its filter is rerun from its last observation along a straight path to
  the new one, so the velocity it drifted on while unseen is replaced by the one the
  observations imply. With the buffered IoU and the appearance veto it no longer moves a number
  (MOT15 mean IDF1 60.1 with it, 60.0 without; MOT17 streams 77.3 / 86.5 both) and costs 0.6 ms
  a frame on MOT17-04 (1.6 vs 1.0 ms), so it is an option.
- C-BIoU: lost tracks are matched with buffered IoU (both boxes grown by ``lost_buffer`` of
  their size on each side), because a track unseen for a while is off by more than the overlap
  of two boxes tolerates.
- StrongSORT's NSA Kalman filter (measurement noise x (1 - score)) is an option, off by default:
  it lowered MOTA here.

Tried and left out (measured, same benchmark): OC-SORT's velocity-direction term (inertia 0.2:
IDF1 -1.8 points), its last-observation recovery pass (IDF1 -0.5), damping a lost track's
velocity (IDF1 -1 to -2).
"""
from __future__ import annotations

from typing import List, Optional

import numpy as np

from .camera_motion import warp_boxes, warp_xywh_states
from .kalman_filter import CHI2INV95, KalmanFilterXYWH
from .matching import iou_distance, linear_assignment, unit_embedding_distance
from .track import check_detections, check_one_class, normalize_rows

TENTATIVE, CONFIRMED = 0, 1


def xywh_to_tlbr(xywh: np.ndarray) -> np.ndarray:
    """(N, >=4) centre x, y, width, height -> (N, 4) x1, y1, x2, y2."""
    half = xywh[:, 2:4] / 2
    return np.concatenate([xywh[:, :2] - half, xywh[:, :2] + half], axis=1)


def tlbr_to_xywh(tlbr: np.ndarray) -> np.ndarray:
    return np.concatenate([(tlbr[:, :2] + tlbr[:, 2:4]) / 2, tlbr[:, 2:4] - tlbr[:, :2]], axis=1)


def grow_boxes(tlbr: np.ndarray, fraction: float) -> np.ndarray:
    """Each box grown by ``fraction`` of its width / height on every side (C-BIoU's buffer)."""
    size = tlbr[:, 2:4] - tlbr[:, :2]
    return np.concatenate([tlbr[:, :2] - fraction * size, tlbr[:, 2:4] + fraction * size], axis=1)


class HybridTrack:
    """One confirmed track as it is at the end of a frame: ``track_id``, ``tlwh``, ``tlbr``, ``score``."""

    __slots__ = ("track_id", "tlwh", "score")

    def __init__(self, track_id: int, tlwh: np.ndarray, score: float):
        self.track_id, self.tlwh, self.score = track_id, tlwh, score

    @property
    def tlbr(self) -> np.ndarray:
        return np.r_[self.tlwh[:2], self.tlwh[:2] + self.tlwh[2:]]

    def __repr__(self):
        return f"HybridTrack(id={self.track_id}, tlwh={np.round(self.tlwh, 2).tolist()}, score={self.score:.3f})"


_COLUMNS = ("ids", "mean", "cov", "status", "hits", "since", "last_obs", "score", "obs_mean", "obs_cov")


class HybridTracker:
    """Online multi-object tracker: motion alone, or motion + appearance when embeddings come.

    Args (defaults measured on MOT15 real detections, see the module docstring):
        frame_rate: frames per second of the stream; the lost-track buffer scales with it.
        high_thresh (0.8): detections at or above it are matched first and may start tracks.
        low_thresh (0.2): detections in [low_thresh, high_thresh) only extend tracked tracks.
        new_track_thresh (0.9): an unmatched detection starts a track at or above it.
        reid_high_thresh (0.2), reid_new_track_thresh (0.45): the same two when embeddings come.
        match_thresh (0.8): cost limit of the first matching (1 - IoU, or the fused cost).
        low_match_thresh (0.5): 1 - IoU limit for low-score detections.
        tentative_match_thresh (0.8): 1 - IoU limit for tentative tracks.
        min_hits (2): hits in a row that confirm a track; only confirmed tracks are output.
        track_buffer (30): frames (at 30 fps) a lost track is kept.
        lost_buffer (0.3): C-BIoU buffer for lost tracks; 0 turns it off.
        reupdate_after_gap (False): OC-SORT's observation-centric re-update.
        nsa (False): StrongSORT's score-scaled measurement noise.
        appearance_thresh (0.5), appearance_weight (0.5), proximity_thresh (0.5): BoT-SORT's
            fusion (cosine distance at most 0.5, weighted 0.5, for pairs with IoU >= 0.5).
        appearance_veto (0.6): cosine distance above which a pair is never matched; None: off.
        lost_gating ("iou"): which lost tracks may match by appearance: those within
            ``proximity_thresh`` of buffered IoU, or "mahalanobis": those the Kalman gate allows.
        ema_alpha (0.9): smoothing of each track's embedding.
    """

    def __init__(self, frame_rate: float = 30, high_thresh: float = 0.8, low_thresh: float = 0.2,
                 new_track_thresh: float = 0.9, match_thresh: float = 0.8, low_match_thresh: float = 0.5,
                 tentative_match_thresh: float = 0.8, min_hits: int = 2, track_buffer: int = 30,
                 lost_buffer: float = 0.3, reupdate_after_gap: bool = False, nsa: bool = False,
                 reid_high_thresh: float = 0.2, reid_new_track_thresh: float = 0.45,
                 appearance_thresh: float = 0.5, appearance_veto: Optional[float] = 0.6,
                 appearance_weight: float = 0.5, proximity_thresh: float = 0.5, lost_gating: str = "iou",
                 ema_alpha: float = 0.9):
        if not frame_rate > 0:
            raise ValueError(f"frame_rate must be positive, got {frame_rate}")
        for high, new in ((high_thresh, new_track_thresh), (reid_high_thresh, reid_new_track_thresh)):
            if not 0 <= low_thresh <= high <= new:
                raise ValueError("thresholds must satisfy 0 <= low_thresh <= high_thresh <= new_track_thresh "
                                 "(and the same for reid_high_thresh, reid_new_track_thresh)")
        if min_hits < 1 or track_buffer < 0 or lost_buffer < 0:
            raise ValueError("min_hits must be >= 1, track_buffer and lost_buffer >= 0")
        self.frame_rate = frame_rate
        self.high_thresh, self.low_thresh, self.new_track_thresh = high_thresh, low_thresh, new_track_thresh
        self.reid_high_thresh, self.reid_new_track_thresh = reid_high_thresh, reid_new_track_thresh
        self.match_thresh, self.low_match_thresh = match_thresh, low_match_thresh
        self.tentative_match_thresh = tentative_match_thresh
        self.min_hits, self.track_buffer, self.lost_buffer = min_hits, track_buffer, lost_buffer
        self.max_time_lost = max(1, int(round(frame_rate / 30.0 * track_buffer)))
        self.reupdate_after_gap, self.nsa = reupdate_after_gap, nsa
        self.appearance_thresh, self.proximity_thresh, self.ema_alpha = appearance_thresh, proximity_thresh, ema_alpha
        if lost_gating not in ("iou", "mahalanobis"):
            raise ValueError(f"lost_gating must be 'iou' or 'mahalanobis', got {lost_gating!r}")
        self.appearance_weight, self.lost_gating = appearance_weight, lost_gating
        self.appearance_veto = appearance_veto
        self.kalman_filter = KalmanFilterXYWH()
        self.reset()

    def reset(self) -> None:
        """Forget all tracks; the next frame is frame 1 and the next id is 1."""
        self.frame_id = 0
        self._next_id = 1
        self.ids = np.zeros(0, np.int64)
        self.mean, self.cov = np.zeros((0, 8)), np.zeros((0, 3, 4))
        self.status = np.zeros(0, np.int8)
        self.hits = np.zeros(0, np.int64)
        self.since = np.zeros(0, np.int64)          # frames since the last matched detection
        self.last_obs = np.zeros((0, 4))            # that detection's box (x1, y1, x2, y2)
        self.score = np.zeros(0)
        self.obs_mean, self.obs_cov = np.zeros((0, 8)), np.zeros((0, 3, 4))   # the filter just after it
        self.features: Optional[np.ndarray] = None

    @property
    def min_score(self) -> float:
        """The lowest detection score this tracker uses (the low-score pass's)."""
        return self.low_thresh

    @property
    def score_thresholds(self):
        """(first-matching threshold, track-birth threshold) of the current mode."""
        if self.features is not None:
            return self.reid_high_thresh, self.reid_new_track_thresh
        return self.high_thresh, self.new_track_thresh

    # -- association ---------------------------------------------------------------------------
    def _first_cost(self, predicted, rows, dets, feats):
        cost = iou_distance(predicted, dets[:, :4])
        if self.lost_buffer > 0 and cost.size:
            lost = self.since[rows] > 1
            if lost.any():
                cost[lost] = iou_distance(grow_boxes(predicted[lost], self.lost_buffer),
                                          grow_boxes(dets[:, :4], self.lost_buffer))
        if feats is not None and self.features is not None and cost.size:
            appearance = unit_embedding_distance(self.features[rows], feats)   # both unit rows
            near = cost <= self.proximity_thresh
            if self.lost_gating == "mahalanobis":
                # a lost track may be far from where its boxes would overlap: the filter's own
                # uncertainty says which detections it could be
                lost = self.since[rows] > 1
                if lost.any():
                    gate = self.kalman_filter.gating_distance(self.mean[rows[lost]], self.cov[rows[lost]],
                                                              tlbr_to_xywh(dets[:, :4]))
                    near[lost] = gate <= CHI2INV95[4]
            fused = np.where(near & (appearance <= self.appearance_thresh), appearance * self.appearance_weight, 1.0)
            cost = np.minimum(cost, fused)
            if self.appearance_veto is not None:
                cost[appearance > self.appearance_veto] = np.inf   # overlapping, but someone else
        return cost

    @staticmethod
    def _assign(cost, rows, cols, thresh):
        matches, free_rows, free_cols = linear_assignment(cost, thresh)
        return rows[matches[:, 0]], cols[matches[:, 1]], rows[free_rows], cols[free_cols]

    def _reupdate(self, rows, z, scores):
        """OC-SORT: rerun the filters of ``rows`` (found again after a gap) from their last
        observation along a straight path to ``z``, all rows at once, step by step."""
        gaps = self.since[rows] - 1
        mean, cov = self.obs_mean[rows], self.obs_cov[rows]
        start = tlbr_to_xywh(self.last_obs[rows])
        kf = self.kalman_filter
        for step in range(1, int(gaps.max()) + 1):
            on = step <= gaps
            m, c = kf.predict(mean[on], cov[on])
            fraction = (step / (gaps[on] + 1))[:, None]
            virtual = start[on] + (z[on] - start[on]) * fraction
            mean[on], cov[on] = kf.update(m, c, virtual, scores[on] if self.nsa else None)
        self.mean[rows], self.cov[rows] = kf.predict(mean, cov)

    def _apply(self, rows, det_idx, dets, feats):
        if len(rows) == 0:
            return
        z = tlbr_to_xywh(dets[det_idx, :4])
        scores = dets[det_idx, 4]
        if self.reupdate_after_gap:
            found_again = self.since[rows] > 1
            if found_again.any():
                self._reupdate(rows[found_again], z[found_again], scores[found_again])
        self.mean[rows], self.cov[rows] = self.kalman_filter.update(
            self.mean[rows], self.cov[rows], z, scores if self.nsa else None)
        if self.reupdate_after_gap:   # the filter just after the observation, to rerun from
            self.obs_mean[rows], self.obs_cov[rows] = self.mean[rows], self.cov[rows]
        self.hits[rows] += 1
        self.since[rows] = 0
        self.last_obs[rows] = dets[det_idx, :4]
        self.score[rows] = scores
        if feats is not None and self.features is not None:
            self.features[rows] = normalize_rows(self.ema_alpha * self.features[rows]
                                                 + (1 - self.ema_alpha) * feats[det_idx])

    def update(self, detections: np.ndarray, embeddings: Optional[np.ndarray] = None,
               classes: Optional[np.ndarray] = None, *, warp: Optional[np.ndarray] = None) -> List[HybridTrack]:
        """Associate one frame; returns the confirmed tracks matched in it.

        ``detections``: (N, 5) ``[x1, y1, x2, y2, score]`` in frame pixels (all of them: the
        thresholds are applied here). ``embeddings``: (N, D) re-ID embeddings or None.
        ``classes``: None or (N,) class indices, all one class (several: use a PerClassTracker).
        ``warp``: 2x3 affine from the previous frame to this one (camera motion), or None.
        """
        dets, feats = check_detections(detections, embeddings)
        check_one_class(classes, len(dets))
        dets = dets.astype(np.float64, copy=False)
        if feats is not None:
            feats = normalize_rows(feats.astype(np.float64, copy=False))
        self.frame_id += 1
        if feats is not None and self.features is None and len(self.ids) == 0:
            self.features = np.zeros((0, feats.shape[1]))
        if len(self.ids):
            if warp is not None:
                self.mean, self.cov = warp_xywh_states(self.mean, self.cov, warp)
                if self.reupdate_after_gap:
                    self.obs_mean, self.obs_cov = warp_xywh_states(self.obs_mean, self.obs_cov, warp)
                self.last_obs = warp_boxes(self.last_obs, warp)
            self.mean, self.cov = self.kalman_filter.predict(self.mean, self.cov)
            self.mean[:, 2:4] = np.maximum(self.mean[:, 2:4], 1.0)
        self.since += 1

        scores = dets[:, 4]
        high_thresh, new_track_thresh = self.score_thresholds
        high = np.flatnonzero(scores >= high_thresh)
        low = np.flatnonzero((scores >= self.low_thresh) & (scores < high_thresh))
        rows = np.arange(len(self.ids))
        confirmed, tentative = rows[self.status == CONFIRMED], rows[self.status == TENTATIVE]
        high_feats = None if feats is None else feats[high]

        # 1: confirmed tracks, tracked and lost, with the high-score detections
        predicted = xywh_to_tlbr(self.mean)
        cost = self._first_cost(predicted[confirmed], confirmed, dets[high], high_feats)
        r1, d1, left_rows, left_high = self._assign(cost, confirmed, high, self.match_thresh)
        # 2: tracks seen in the last frame, still unmatched, with the low-score detections (IoU)
        recent = left_rows[self.since[left_rows] == 1]
        cost = iou_distance(predicted[recent], dets[low, :4])
        r2, d2, _, _ = self._assign(cost, recent, low, self.low_match_thresh)
        # 3: tentative tracks with the high-score detections left
        cost = iou_distance(predicted[tentative], dets[left_high, :4])
        r3, d3, missed_tentative, unmatched = self._assign(cost, tentative, left_high, self.tentative_match_thresh)
        self._apply(np.concatenate([r1, r2, r3]), np.concatenate([d1, d2, d3]), dets, feats)

        self.status[(self.status == TENTATIVE) & (self.hits >= self.min_hits)] = CONFIRMED
        keep = self.since <= self.max_time_lost
        keep[missed_tentative] = False
        if not keep.all():
            self._keep(np.flatnonzero(keep))
        self._start(unmatched[scores[unmatched] >= new_track_thresh], dets, feats)

        out = np.flatnonzero((self.status == CONFIRMED) & (self.since == 0))
        tlwh = self.mean[out, :4]
        tlwh[:, :2] -= tlwh[:, 2:] / 2
        return list(map(HybridTrack, self.ids[out].tolist(), tlwh, self.score[out].tolist()))

    def _keep(self, rows):
        for name in _COLUMNS:
            setattr(self, name, getattr(self, name)[rows])
        if self.features is not None:
            self.features = self.features[rows]

    def _start(self, det_idx, dets, feats):
        n = len(det_idx)
        if n == 0:
            return
        mean, cov = self.kalman_filter.initiate(tlbr_to_xywh(dets[det_idx, :4]))
        first_frames = self.frame_id <= self.min_hits
        new = {
            "ids": np.arange(self._next_id, self._next_id + n), "mean": mean, "cov": cov,
            "status": np.full(n, CONFIRMED if first_frames or self.min_hits == 1 else TENTATIVE, np.int8),
            "hits": np.ones(n, np.int64), "since": np.zeros(n, np.int64), "last_obs": dets[det_idx, :4],
            "score": dets[det_idx, 4], "obs_mean": mean, "obs_cov": cov,
        }
        self._next_id += n
        for name in _COLUMNS:
            setattr(self, name, np.concatenate([getattr(self, name), new[name]]))
        if self.features is not None:
            if feats is None:
                raise ValueError("this tracker was given embeddings before: give them every frame, or reset()")
            self.features = np.concatenate([self.features, feats[det_idx]])
