"""Camera motion applied to track states: a 2x3 affine from the previous frame to this one.

The estimate of the affine itself needs the frames and lives with the pipeline (OpenCV); this
module only moves the Kalman states, so the tracker package stays numpy-only.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np


def check_warp(warp) -> np.ndarray:
    """A finite 2x3 float64 affine, or ValueError."""
    matrix = np.asarray(warp, dtype=np.float64)
    if matrix.shape != (2, 3) or not np.all(np.isfinite(matrix)):
        raise ValueError(f"warp must be a finite 2x3 affine matrix, got shape {matrix.shape}")
    return matrix


def warp_states(means: np.ndarray, covariances: np.ndarray, warp) -> Tuple[np.ndarray, np.ndarray]:
    """Move (N, 8) states ``(x, y, w, h, vx, vy, vw, vh)`` and their covariances by ``warp``.

    As BoT-SORT does: every pair (x, y), (w, h), (vx, vy), (vw, vh) is multiplied by the 2x2
    part, the translation is added to the centre only, and P becomes R P R^T.
    """
    matrix = check_warp(warp)
    if len(means) == 0:
        return means, covariances
    linear, shift = matrix[:, :2], matrix[:, 2]
    rotate = np.kron(np.eye(4), linear)                      # (8, 8), one 2x2 block per pair
    new_means = means @ rotate.T
    new_means[:, :2] += shift
    new_covariances = rotate @ covariances @ rotate.T
    return new_means, new_covariances


def warp_boxes(tlbr: np.ndarray, warp) -> np.ndarray:
    """(N, 4) boxes x1, y1, x2, y2 with both corners moved by ``warp``."""
    matrix = check_warp(warp)
    ones = np.ones((len(tlbr), 1))
    return np.concatenate([np.c_[tlbr[:, :2], ones] @ matrix.T, np.c_[tlbr[:, 2:4], ones] @ matrix.T], axis=1)
