"""Camera motion between consecutive frames, for trackers that compensate it (``update(..., warp=)``).

Sparse optical flow on a downscaled grey frame, as BoT-SORT's "sparseOptFlow" mode: corners of the
previous frame (away from the tracked people, who move on their own) are followed into this one
with pyramidal Lucas-Kanade, and a rotation + uniform scale + translation is fitted to them with
RANSAC. The result is a 2x3 affine in full-resolution pixels that maps the previous frame onto
this one; the identity when there is no previous frame or too few corners to trust.
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
            (speed: 1080p at 360 px costs under 3 ms on one core; scripts/bench_camera_motion.py).
        max_corners, quality, min_distance: corner detection (``cv2.goodFeaturesToTrack``).
        window, levels: Lucas-Kanade window side and pyramid levels.
        min_matches: fewer corners followed than this gives the identity.
    """

    def __init__(self, max_side: int = 360, max_corners: int = 100, quality: float = 0.01,
                 min_distance: int = 8, min_matches: int = 12, window: int = 15, levels: int = 2):
        if max_side < 32 or max_corners < 4 or min_matches < 3:
            raise ValueError("max_side must be >= 32, max_corners >= 4, min_matches >= 3")
        self.max_side, self.max_corners, self.quality = max_side, max_corners, quality
        self.min_distance, self.min_matches = min_distance, min_matches
        self.window, self.levels = (window, window), levels
        self.reset()

    def reset(self) -> None:
        self._previous: Optional[np.ndarray] = None
        self._previous_mask: Optional[np.ndarray] = None

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

    def __call__(self, frame: np.ndarray, boxes: Optional[np.ndarray] = None) -> np.ndarray:
        """The warp from the previous frame to ``frame``; ``boxes`` (N, >=4) x1, y1, x2, y2 in
        ``frame``'s pixels mark what moves by itself (used to mask the next call's corners)."""
        grey, scale = self._grey(frame)
        previous, previous_mask = self._previous, self._previous_mask
        self._previous, self._previous_mask = grey, self._mask(grey.shape, boxes, scale)
        if previous is None or previous.shape != grey.shape:
            return IDENTITY.copy()
        corners = cv2.goodFeaturesToTrack(previous, self.max_corners, self.quality, self.min_distance,
                                          mask=previous_mask)
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
        matrix = matrix.astype(np.float64)
        matrix[:, 2] /= scale        # translation back to full-resolution pixels
        return matrix
