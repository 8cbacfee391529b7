"""Camera motion between consecutive frames, for trackers that compensate it (``update(..., warp=)``).

Sparse optical flow on a downscaled grey frame, as BoT-SORT's "sparseOptFlow" mode: corners of the
previous frame (away from the tracked people, who move on their own) are followed into this one
with pyramidal Lucas-Kanade, and a rotation + uniform scale + translation is fitted to them with
RANSAC. The result is a 2x3 affine in full-resolution pixels that maps the previous frame onto
this one; the identity when there is no previous frame or too few corners to trust.

Corner detection is the costliest step, so the corners that fitted (RANSAC inliers, off the
people) are followed on into the next frame, KLT-style, and fresh ones are detected only when
fewer than half of ``max_corners`` are left or every ``redetect_every`` frames.
"""
from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


class CameraMotionEstimator:
    """``estimator(frame_bgr, boxes=None) -> 2x3 warp`` from the previous frame to this one.

    Args:
        max_side: frames are downscaled so that their longer side is at most this many pixels
            (speed: 1080p at 360 px costs 1.7 ms on one core; scripts/bench_camera_motion.py).
        max_corners, quality, min_distance: corner detection (``cv2.goodFeaturesToTrack``).
        window, levels: Lucas-Kanade window side and pyramid levels (11 px matched 15 px's
            accuracy on the benchmark and on panning synthetic clips, 40% faster).
        min_matches: fewer corners followed than this gives the identity.
        redetect_every: frames after which corners are detected afresh even if enough are left.
    """

    def __init__(self, max_side: int = 360, max_corners: int = 100, quality: float = 0.01,
                 min_distance: int = 8, min_matches: int = 12, window: int = 11, levels: int = 2,
                 redetect_every: int = 10):
        if max_side < 32 or max_corners < 4 or min_matches < 3 or redetect_every < 1:
            raise ValueError("max_side must be >= 32, max_corners >= 4, min_matches >= 3, redetect_every >= 1")
        self.max_side, self.max_corners, self.quality = max_side, max_corners, quality
        self.min_distance, self.min_matches = min_distance, min_matches
        self.window, self.levels, self.redetect_every = (window, window), levels, redetect_every
        self.reset()

    def reset(self) -> None:
        self._previous: Optional[np.ndarray] = None
        self._previous_mask: Optional[np.ndarray] = None
        self._corners: Optional[np.ndarray] = None     # corners in the previous frame, followed on
        self._age = 0                                   # frames since they were detected

    def _grey(self, frame: np.ndarray):
        # downscale first, then convert: a quarter of the pixels to convert (1080p: 0.6 ms, not 3)
        scale = min(1.0, self.max_side / max(frame.shape[:2]))
        if scale < 1.0:
            frame = cv2.resize(frame, (round(frame.shape[1] * scale), round(frame.shape[0] * scale)),
                               interpolation=cv2.INTER_LINEAR)
        grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        return grey, scale

    def _mask(self, shape, boxes, scale):
        """Corners on the moving people would follow them, not the camera: leave their boxes out."""
        if boxes is None or len(boxes) == 0:
            return None
        mask = np.full(shape, 255, np.uint8)
        for x1, y1, x2, y2 in np.asarray(boxes, dtype=np.float64)[:, :4] * scale:
            mask[max(0, int(y1)):max(0, int(np.ceil(y2))), max(0, int(x1)):max(0, int(np.ceil(x2)))] = 0
        return mask

    def _corners_to_follow(self, previous, previous_mask, followed):
        """The corners followed from the frame before, or fresh ones when too few or too old."""
        corners = followed
        if corners is None or len(corners) < self.max_corners // 2 or self._age >= self.redetect_every:
            corners = cv2.goodFeaturesToTrack(previous, self.max_corners, self.quality, self.min_distance,
                                              mask=previous_mask)
            self._age = 0
        return corners

    def _keep_for_next(self, points, mask, shape):
        """The points (in this frame) that the next call may follow: inside the frame, off the people."""
        xy = np.round(points.reshape(-1, 2)).astype(np.int64)
        inside = (xy[:, 0] >= 0) & (xy[:, 0] < shape[1]) & (xy[:, 1] >= 0) & (xy[:, 1] < shape[0])
        if mask is not None:
            inside[inside] = mask[xy[inside, 1], xy[inside, 0]] > 0
        return points[inside]

    def __call__(self, frame: np.ndarray, boxes: Optional[np.ndarray] = None) -> np.ndarray:
        """The warp from the previous frame to ``frame``; ``boxes`` (N, >=4) x1, y1, x2, y2 in
        ``frame``'s pixels mark what moves by itself (used to mask the next call's corners)."""
        grey, scale = self._grey(frame)
        previous, previous_mask, followed = self._previous, self._previous_mask, self._corners
        mask = self._mask(grey.shape, boxes, scale)
        self._previous, self._previous_mask, self._corners = grey, mask, None
        self._age += 1
        if previous is None or previous.shape != grey.shape:
            return IDENTITY.copy()
        corners = self._corners_to_follow(previous, previous_mask, followed)
        if corners is None or len(corners) < self.min_matches:
            return IDENTITY.copy()
        moved, status, _ = cv2.calcOpticalFlowPyrLK(previous, grey, corners, None, winSize=self.window,
                                                    maxLevel=self.levels)
        found = status.reshape(-1) == 1
        if found.sum() < self.min_matches:
            return IDENTITY.copy()
        matrix, inliers = cv2.estimateAffinePartial2D(corners[found], moved[found], method=cv2.RANSAC)
        if matrix is None or inliers is None or inliers.sum() < self.min_matches:
            return IDENTITY.copy()
        self._corners = self._keep_for_next(moved[found][inliers.reshape(-1) == 1], mask, grey.shape)
        matrix = matrix.astype(np.float64)
        matrix[:, 2] /= scale        # translation back to full-resolution pixels
        return matrix
