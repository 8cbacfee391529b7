"""Score tracking results against MOTChallenge ground truth with motmetrics, by the official rules.

Rules (those of the MOTChallenge devkit / TrackEval):

- Ground truth that is scored: rows with a non-zero mark (column 7) and, in MOT16/17/20-style
  files, class 1 (pedestrian). MOT15-style files (columns 8-10 are world coordinates or -1) have
  no classes: every marked row is a pedestrian.
- Result boxes matched to ground truth that is to be ignored are removed before scoring:
  in MOT16/17-style sequences the distractor classes 2, 7, 8, 12 (person on vehicle, static
  person, distractor, reflection); in MOT15-style sequences, which have no classes, the
  zero-marked rows ("this instance is ignored in the evaluation"; TrackEval instead counts
  boxes on them as false positives). The match is a Hungarian assignment that maximises IoU
  between all ground-truth boxes of the frame (any class, any mark) and the result boxes,
  keeping pairs with IoU >= 0.5.
- A result box and a ground-truth box can match when their IoU is >= 0.5.
- Every frame counts: frames where the tracker wrote nothing count their ground truth as
  misses, frames without ground truth count their results as false positives. With
  ``num_frames`` (``seqLength`` from seqinfo.ini) frames 1..num_frames all exist and results or
  ground truth outside them are an error.
- ``half=True`` scores only the second half of a sequence: frames > num_frames // 2 (FairMOT's
  half split trains on the first half; its tracker starts at frame num_frames // 2 + 1).

Column names are the MOTChallenge ones; rates are fractions. MOTP is the devkit's: the mean
IoU of matched pairs (higher is better), i.e. 1 - motmetrics' ``motp`` (a mean IoU distance).

motmetrics 1.4.0 is used for the event accumulator and the metrics only. Its ``iou_matrix``
calls ``np.asfarray``, which NumPy 2 removed, so IoU is computed here (same formula, same
threshold rule); the tests check the result against motmetrics' published sample numbers.
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple

import motmetrics as mm
import numpy as np
from scipy.optimize import linear_sum_assignment

from fairmot.datasets.mot_format import load_mot_rows, split_by_frame
from fairmot.errors import UserError

from .boxes import box_iou
from .report import COLUMNS, COUNT_COLUMNS, METRIC_NAMES, OVERALL, RATE_COLUMNS
from .sequences import second_half_start

PEDESTRIAN_CLASS = 1
DISTRACTOR_CLASSES = (2, 7, 8, 12)
IOU_THRESHOLD = 0.5

# An exact solver that is always installed, so scores do not depend on which optional LAP
# packages happen to be present (ties could otherwise be broken differently).
_LAP_SOLVER = "scipy"


def is_mot16_style(gt_rows):
    """True for MOT16/17/20 ground truth (mark, class, visibility), False for MOT15 style.

    MOT16-style files have 9 columns (the 10th is padded with -1 by ``load_mot_rows``), an
    integer class 1..13 in column 8 and a visibility in [0, 1] in column 9. MOT15 files carry
    world coordinates or -1 in columns 8-10.
    """
    if len(gt_rows) == 0:
        return False
    cls, vis, last = gt_rows[:, 7], gt_rows[:, 8], gt_rows[:, 9]
    return bool(np.all(last == -1) and np.all((cls >= 1) & (cls <= 13) & (cls == np.round(cls)))
                and np.all((vis >= 0) & (vis <= 1)))


def iou_distance(gt_tlwh, result_tlwh):
    """motmetrics-style distance matrix: 1 - IoU, NaN (do not pair) where IoU < 0.5."""
    dist = 1.0 - box_iou(gt_tlwh, result_tlwh, fmt="tlwh")
    return np.where(dist > 1.0 - IOU_THRESHOLD, np.nan, dist)


def ignored_gt(gt_frame_rows, mot16_style):
    """Boolean mask over ground-truth rows that results may hit without being scored."""
    if mot16_style:
        return np.isin(gt_frame_rows[:, 7], DISTRACTOR_CLASSES)
    return gt_frame_rows[:, 6] == 0


def ignored_matches(gt_frame_rows, result_frame_rows, mot16_style):
    """Boolean mask over the frame's result rows: True where the box matches ignored ground truth.

    Hungarian assignment maximising IoU over all ground truth of the frame, pairs with
    IoU >= 0.5 only (as the devkit does before scoring).
    """
    matched = np.zeros(len(result_frame_rows), dtype=bool)
    if len(gt_frame_rows) == 0 or len(result_frame_rows) == 0:
        return matched
    iou = box_iou(gt_frame_rows[:, 2:6], result_frame_rows[:, 2:6], fmt="tlwh")
    iou[iou < IOU_THRESHOLD] = 0.0
    rows, cols = linear_sum_assignment(-iou)
    paired = iou[rows, cols] > 0
    rows, cols = rows[paired], cols[paired]
    matched[cols[ignored_gt(gt_frame_rows[rows], mot16_style)]] = True
    return matched


def _check_rows(rows, what, name, num_frames):
    """Raise UserError for rows motmetrics would silently mis-score."""
    if len(rows) == 0:
        return
    if not np.all(np.isfinite(rows[:, :6])):
        raise UserError(f"{what} of {name} has non-numeric (nan/inf) frame, id or box values")
    frames, ids = rows[:, 0], rows[:, 1]
    if np.any(frames != np.round(frames)) or np.any(frames < 1):
        bad = frames[(frames != np.round(frames)) | (frames < 1)][0]
        raise UserError(f"{what} of {name} has frame number {bad:g}: frames are integers from 1")
    if np.any(ids != np.round(ids)):
        raise UserError(f"{what} of {name} has non-integer track ids (column 2)")
    if num_frames is not None and frames.max() > num_frames:
        raise UserError(f"{what} of {name} has frame {int(frames.max())} but the sequence has "
                        f"{num_frames} frames (seqinfo.ini seqLength): is it the right sequence?")
    keys = frames.astype(np.int64) * (1 << 32) + ids.astype(np.int64)
    uniq, counts = np.unique(keys, return_counts=True)
    if np.any(counts > 1):
        dup = uniq[counts > 1][0]
        raise UserError(f"{what} of {name} has id {dup % (1 << 32)} more than once in frame "
                        f"{dup >> 32}: each id may appear once per frame")


def frames_to_score(gt_by_frame: dict, res_by_frame: dict, num_frames: Optional[int] = None, half: bool = False,
                    frames: Optional[Tuple[int, int]] = None) -> Sequence[int]:
    """The frame numbers a sequence is scored on (see :func:`evaluate_sequence`'s arguments)."""
    first, last = frames if frames is not None else (1, None)
    if num_frames is not None:
        start = max(second_half_start(int(num_frames)) if half else 1, first)
        end = int(num_frames) if last is None else min(int(num_frames), last)
        return range(start, end + 1)
    present = sorted(set(gt_by_frame) | set(res_by_frame))
    start = max(second_half_start(present[-1]) if (half and present) else 1, first)
    return [f for f in present if f >= start and (last is None or f <= last)]


def evaluate_sequence(gt_rows: np.ndarray, result_rows: np.ndarray, name: Optional[str] = None,
                      num_frames: Optional[int] = None, half: bool = False,
                      frames: Optional[Tuple[int, int]] = None) -> mm.MOTAccumulator:
    """Score one sequence; returns the motmetrics accumulator of its events.

    gt_rows, result_rows: (N, >=6) float arrays in MOTChallenge column order, as returned by
    ``fairmot.datasets.mot_format.load_mot_rows``. name: used in error messages.
    num_frames: the sequence length (seqinfo.ini ``seqLength``); without it the frames are
    those that have ground truth or results. half: score only frames > num_frames // 2
    (without num_frames, the last frame of ground truth or results stands for the length).
    frames: (first, last) to score only frames first..last (inclusive); rows outside are left out.
    Raises UserError for inputs that cannot be scored correctly (duplicate ids in a frame,
    frames outside the sequence, non-numeric boxes).
    """
    name = name or "sequence"
    gt_rows = _as_mot_rows(gt_rows)
    result_rows = _as_mot_rows(result_rows)
    _check_rows(gt_rows, "ground truth", name, num_frames)
    _check_rows(result_rows, "results", name, num_frames)
    mot16_style = is_mot16_style(gt_rows)

    gt_by_frame = split_by_frame(gt_rows)
    res_by_frame = split_by_frame(result_rows)
    scored_frames = frames_to_score(gt_by_frame, res_by_frame, num_frames, half, frames)

    empty = np.zeros((0, gt_rows.shape[1]))
    acc = mm.MOTAccumulator(auto_id=False)
    with mm.lap.set_default_solver(_LAP_SOLVER):
        for frame in scored_frames:
            gt = gt_by_frame.get(frame, empty)
            res = res_by_frame.get(frame, empty)
            res = res[~ignored_matches(gt, res, mot16_style)]
            scored = gt[:, 6] != 0
            if mot16_style:
                scored &= gt[:, 7] == PEDESTRIAN_CLASS
            gt = gt[scored]
            acc.update(gt[:, 1].astype(np.int64), res[:, 1].astype(np.int64),
                       iou_distance(gt[:, 2:6], res[:, 2:6]), frameid=frame)
    return acc


def _as_mot_rows(rows):
    rows = np.asarray(rows, dtype=np.float64)
    if rows.size == 0:
        return np.zeros((0, 10))
    if rows.ndim != 2 or rows.shape[1] < 6:
        raise ValueError(f"expected an (N, >=6) array of MOTChallenge rows, got shape {rows.shape}")
    if rows.shape[1] < 10:  # same padding as load_mot_rows
        rows = np.hstack([rows, -np.ones((len(rows), 10 - rows.shape[1]))])
    return rows


def summarize(accumulators: Dict[str, mm.MOTAccumulator]):
    """Metrics per sequence plus an "OVERALL" row, MOTChallenge columns, rates as fractions.

    accumulators: {sequence name: MOTAccumulator} (from :func:`evaluate_sequence`).
    OVERALL aggregates the event counts of all sequences (as the devkit does), it is not a
    mean of the per-sequence rates.
    """
    if not accumulators:
        raise UserError("nothing to summarize: no sequences were evaluated")
    names = list(accumulators)
    if OVERALL in names:
        raise ValueError(f"{OVERALL!r} is reserved for the aggregate row")
    host = mm.metrics.create()
    with mm.lap.set_default_solver(_LAP_SOLVER):
        summary = host.compute_many([accumulators[n] for n in names], names=names,
                                    metrics=list(METRIC_NAMES), generate_overall=True)
    summary = summary.rename(columns=METRIC_NAMES)[list(COLUMNS)]
    summary.index = names + [OVERALL]
    summary["MOTP"] = 1.0 - summary["MOTP"].astype(float)  # mean IoU distance -> mean IoU
    rates = [c for c in RATE_COLUMNS if c in summary.columns]
    summary[rates] = summary[rates].astype(float)
    summary[list(COUNT_COLUMNS)] = summary[list(COUNT_COLUMNS)].astype(np.int64)
    return summary


def load_rows(path: str, what: str) -> np.ndarray:
    """MOTChallenge rows of a file; UserError naming the file for a malformed one."""
    try:
        return load_mot_rows(path)
    except ValueError as err:  # the message names the file and line
        raise UserError(f"malformed {what} file: {err}") from None
    except UnicodeDecodeError:
        raise UserError(f"malformed {what} file: {path} is not a text file") from None
