"""MOTChallenge ground truth and results as HOTA frames, by TrackEval's preprocessing.

TrackEval (``MotChallenge2DBox.get_preprocessed_seq_data``), which MOTChallenge's HOTA comes from:

- MOT16/17/20: every result box is matched to all ground truth of its frame (Hungarian on IoU,
  pairs with IoU >= 0.5); boxes matched to a distractor (classes 2, 7, 8, 12: person on vehicle,
  static person, distractor, reflection; MOT20 also 6, non-MOT vehicle) are removed. Then only
  marked (column 7 non-zero) pedestrians (class 1) are kept as ground truth.
- MOT15 (no classes): no result is removed; marked rows are the ground truth, so a result on a
  zero-marked row is a false positive (the CLEAR scores of :mod:`.mot_metrics` ignore it instead,
  as the devkit's MOT15 evaluation did).

The similarity is the boxes' IoU; ids are renumbered over the sequence.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import numpy as np
from scipy.optimize import linear_sum_assignment

from fairmot.datasets.mot_format import split_by_frame

from .boxes import box_iou
from .hota import Frame, frames_from_ids
from .mot_metrics import (
    DISTRACTOR_CLASSES,
    IOU_THRESHOLD,
    PEDESTRIAN_CLASS,
    _as_mot_rows,
    _check_rows,
    frames_to_score,
    is_mot16_style,
)

MOT20_EXTRA_DISTRACTORS = (6,)
_EPS = np.finfo("float").eps


def distractor_matches(gt: np.ndarray, res: np.ndarray, sim: np.ndarray, distractors) -> np.ndarray:
    """Indices of the result boxes matched (Hungarian, IoU >= 0.5) to distractor ground truth."""
    if len(gt) == 0 or len(res) == 0:
        return np.zeros(0, np.int64)
    scores = np.where(sim < IOU_THRESHOLD - _EPS, 0.0, sim)
    rows, cols = linear_sum_assignment(-scores)
    paired = scores[rows, cols] > _EPS
    rows, cols = rows[paired], cols[paired]
    return cols[np.isin(gt[rows, 7], distractors)]


def hota_frames(gt_rows: np.ndarray, result_rows: np.ndarray, name: Optional[str] = None,
                num_frames: Optional[int] = None, half: bool = False, frames: Optional[Tuple[int, int]] = None,
                mot20: bool = False) -> List[Frame]:
    """The frames of one sequence for :func:`fairmot.evaluation.hota.hota_sequence`; the
    arguments are those of :func:`fairmot.evaluation.mot_metrics.evaluate_sequence`, and ``mot20``
    adds MOT20's extra distractor class."""
    name = name or "sequence"
    gt_rows, result_rows = _as_mot_rows(gt_rows), _as_mot_rows(result_rows)
    _check_rows(gt_rows, "ground truth", name, num_frames)
    _check_rows(result_rows, "results", name, num_frames)
    mot16_style = is_mot16_style(gt_rows)
    distractors = DISTRACTOR_CLASSES + (MOT20_EXTRA_DISTRACTORS if mot20 else ())
    gt_by_frame, res_by_frame = split_by_frame(gt_rows), split_by_frame(result_rows)
    empty = np.zeros((0, gt_rows.shape[1]))
    gt_ids, res_ids, sims = [], [], []
    for frame in frames_to_score(gt_by_frame, res_by_frame, num_frames, half, frames):
        gt, res = gt_by_frame.get(frame, empty), res_by_frame.get(frame, empty)
        sim = box_iou(gt[:, 2:6], res[:, 2:6], fmt="tlwh")
        if mot16_style:
            removed = distractor_matches(gt, res, sim, distractors)
            res, sim = np.delete(res, removed, axis=0), np.delete(sim, removed, axis=1)
        keep = gt[:, 6] != 0
        if mot16_style:
            keep &= gt[:, 7] == PEDESTRIAN_CLASS
        gt_ids.append(gt[keep, 1].astype(np.int64))
        res_ids.append(res[:, 1].astype(np.int64))
        sims.append(sim[keep])
    return frames_from_ids(gt_ids, res_ids, sims)
