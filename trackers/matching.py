"""Association costs and assignment: appearance, motion gating, IoU, linear assignment.

Functions take plain arrays (boxes as x1, y1, x2, y2; embeddings as rows), so they serve any
tracker and are easy to test on their own.
"""
import lap
import numpy as np
from cython_bbox import bbox_overlaps

from .kalman_filter import CHI2INV95


def embedding_distance(track_features, det_features):
    """Cosine distance (T, D) x (M, D) -> (T, M), clipped at 0 (in float64).

    One matrix product of the normalised rows: the value of scipy's ``cdist(.., "cosine")``
    that FairMOT uses, up to rounding, several times faster.
    """
    if len(track_features) == 0 or len(det_features) == 0:
        return np.zeros((len(track_features), len(det_features)))
    a = np.asarray(track_features, dtype=np.float64)
    b = np.asarray(det_features, dtype=np.float64)
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return unit_embedding_distance(a, b)


def unit_embedding_distance(track_features, det_features):
    """:func:`embedding_distance` of rows already of unit length (float64): no normalising."""
    return np.maximum(0.0, 1.0 - track_features @ det_features.T)


def fuse_motion(kalman_filter, cost, means, covariances, measurements, lambda_=0.98,
                gating_threshold=CHI2INV95[4], only_position=False):
    """Gate ``cost`` by Mahalanobis distance and blend it in: FairMOT's appearance + motion cost.

    Pairs whose squared Mahalanobis distance exceeds ``gating_threshold`` get an infinite cost;
    the others ``lambda_ * cost + (1 - lambda_) * distance``. ``measurements`` are (M, 4) boxes
    as (x, y, a, h). Returns a new array.
    """
    if cost.size == 0:
        return cost
    distance = kalman_filter.gating_distance(means, covariances, measurements, only_position)
    gated = np.where(distance > gating_threshold, np.inf, cost)
    return lambda_ * gated + (1 - lambda_) * distance


def iou_distance(atlbrs, btlbrs):
    """1 - IoU between boxes (x1, y1, x2, y2), (N, 4) x (M, 4) -> (N, M).

    cython-bbox counts pixels inclusively (width = x2 - x1 + 1), as FairMOT does.
    """
    if len(atlbrs) == 0 or len(btlbrs) == 0:
        return np.zeros((len(atlbrs), len(btlbrs)))
    ious = bbox_overlaps(np.ascontiguousarray(atlbrs, dtype=np.float64),
                         np.ascontiguousarray(btlbrs, dtype=np.float64))
    return 1 - ious


def linear_assignment(cost, thresh):
    """Minimum-cost assignment where a pair costs at most ``thresh`` (LAPJV with a cost limit).

    Returns ``(matches, unmatched_rows, unmatched_cols)``: matches is a (K, 2) int array of
    (row, col) in row order; the unmatched index arrays are sorted.
    """
    n_rows, n_cols = cost.shape
    if n_rows == 0 or n_cols == 0:
        return np.empty((0, 2), dtype=np.intp), np.arange(n_rows), np.arange(n_cols)
    _, x, y = lap.lapjv(cost, extend_cost=True, cost_limit=thresh)
    matched = x >= 0
    matches = np.empty((np.count_nonzero(matched), 2), dtype=np.intp)
    matches[:, 0] = np.flatnonzero(matched)
    matches[:, 1] = x[matched]
    return matches, np.flatnonzero(~matched), np.flatnonzero(y < 0)
