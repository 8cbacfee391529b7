"""Camera motion applied to track states: a 2x3 affine from the previous frame to this one.

The estimate of the affine itself needs the frames and lives with the pipeline (OpenCV); this
module only moves the Kalman states, so the tracker package stays numpy-only. One function per
state layout: (x, y, w, h) with blockwise covariances (:class:`~.kalman_filter.KalmanFilterXYWH`)
and (x, y, a, h) with full ones (:class:`~.kalman_filter.KalmanFilter`).
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


def warp_xywh_states(means: np.ndarray, covariances: np.ndarray, warp) -> Tuple[np.ndarray, np.ndarray]:
    """Move (N, 8) states ``(x, y, w, h, vx, vy, vw, vh)`` and their (N, 3, 4) blockwise
    covariances (:class:`~.kalman_filter.KalmanFilterXYWH`) by ``warp``.

    As BoT-SORT does, every pair (x, y), (w, h), (vx, vy), (vw, vh) is multiplied by the 2x2
    part L and the translation is added to the centre only. The covariances become the blocks of
    L P L^T the blockwise form keeps: all of it for a pan or a zoom (L diagonal); for a turn by
    an angle t the variances are still exact, and the x-y covariances it creates (about
    t x the difference of the two variances: under 1% of them for half a degree, more than
    consecutive frames turn) are left out.
    """
    matrix = check_warp(warp)
    if len(means) == 0:
        return means, covariances
    linear, shift = matrix[:, :2], matrix[:, 2]
    new_means = (means.reshape(-1, 4, 2) @ linear.T).reshape(-1, 8)
    new_means[:, :2] += shift
    squared = np.square(linear)                                  # diag(L D L^T) = L^2 diag(D)
    new_covariances = (covariances.reshape(-1, 3, 2, 2) @ squared.T).reshape(covariances.shape)
    return new_means, new_covariances


def warp_xyah_states(means: np.ndarray, covariances: np.ndarray, warp) -> Tuple[np.ndarray, np.ndarray]:
    """Move (N, 8) states ``(x, y, a, h, vx, vy, va, vh)`` and their (N, 8, 8) covariances
    (:class:`~.kalman_filter.KalmanFilter`) by ``warp``.

    The centre is moved by the affine and its velocity by the 2x2 part L; the height and its
    velocity scale by L's scale sqrt(|det L|); the aspect ratio is kept (a similarity keeps a
    box's shape). P becomes T P T^T for that linear map T.
    """
    matrix = check_warp(warp)
    if len(means) == 0:
        return means, covariances
    linear, shift = matrix[:, :2], matrix[:, 2]
    scale = np.sqrt(abs(np.linalg.det(linear)))
    transform = np.eye(8)
    transform[0:2, 0:2] = transform[4:6, 4:6] = linear
    transform[3, 3] = transform[7, 7] = scale
    new_means = means @ transform.T
    new_means[:, :2] += shift
    return new_means, transform @ covariances @ transform.T


def warp_boxes(tlbr: np.ndarray, warp) -> np.ndarray:
    """(N, 4) boxes x1, y1, x2, y2 with both corners moved by ``warp``."""
    matrix = check_warp(warp)
    ones = np.ones((len(tlbr), 1))
    return np.concatenate([np.c_[tlbr[:, :2], ones] @ matrix.T, np.c_[tlbr[:, 2:4], ones] @ matrix.T], axis=1)
