"""Scoring a model, not a result file: one network pass per frame serves detection AP and tracking.

:func:`track_recorded` runs the tracking pipeline of ``fairmot track`` on a sequence while
keeping every candidate box down to a low score; :func:`detection_ap` scores those boxes
against the ground truth (AP50), and the tracks written meanwhile are scored by
:mod:`fairmot.evaluation.mot_metrics`. ``fairmot eval GT --weights W`` puts both in one table.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Dict, Iterable, Optional, Tuple

import numpy as np

from fairmot.datasets.mot_format import split_by_frame

from .detection_ap import average_precision
from .mot_metrics import is_mot16_style, load_rows
from .report import OVERALL

# candidates down to this score are kept for AP (the curve needs low-score detections too)
AP_MIN_SCORE = 0.01


class RecordingDetector:
    """Wraps a detector: one network pass per frame; keeps every box down to ``low`` (for AP) and
    hands the tracking pipeline only those above its own threshold (``conf_thres``, which the
    pipeline sets)."""

    def __init__(self, detector, low: float = AP_MIN_SCORE):
        self.detector, self.conf_thres, self.recorded = detector, low, []
        detector.conf_thres = low

    @property
    def timings(self):
        return self.detector.timings

    @property
    def heads(self):
        return self.detector.heads

    @property
    def class_table(self):
        return self.detector.class_table

    def __call__(self, frame):
        detections = self.detector(frame)
        self.recorded.append(detections)
        return detections.select(detections.boxes[:, 4] > self.conf_thres)


class IndexRecorder:
    """A frame source that remembers the frame numbers it handed out (in order)."""

    def __init__(self, source):
        self.source, self.indices = source, []

    def __getattr__(self, name):  # name, fps, size, length, skipped, close: the wrapped source's
        return getattr(self.source, name)

    def __iter__(self):
        for index, frame in self.source:
            self.indices.append(index)
            yield index, frame


@dataclass
class RecordedRun:
    """What :func:`track_recorded` saw: the tracking summary and each frame's candidate boxes."""
    name: str
    summary: object
    detections: Dict[int, object] = field(default_factory=dict)  # frame -> Detections (boxes x1,y1,x2,y2,score)


def track_recorded(source, detector, output_dir: str, video_format: Optional[str] = None,
                   progress: bool = True, **tracker_options) -> RecordedRun:
    """:func:`fairmot.inference.pipeline.track_to_folder`, keeping each frame's candidates for AP.

    On Ctrl-C the pipeline's :class:`~fairmot.inference.pipeline.TrackingInterrupted` goes up
    unchanged (the results written so far stay).
    """
    from fairmot.inference.pipeline import track_to_folder

    frames = IndexRecorder(source)
    recorder = RecordingDetector(detector)
    try:
        summary = track_to_folder(frames, recorder, output_dir, video_format=video_format,
                                  progress=progress, **tracker_options)
    finally:
        detector.conf_thres = recorder.conf_thres
    return RecordedRun(source.name, summary, dict(zip(frames.indices, recorder.recorded)))


def detection_ground_truth(gt_rows: np.ndarray, min_visibility: float = 0.25, class_number: Optional[int] = None):
    """Per frame: (boxes (M, 4) x1, y1, x2, y2, ignore (M,) bool) from MOTChallenge rows.

    The boxes that count are those tracking is scored on (marked rows; pedestrians in MOT16/17
    style, or with ``class_number`` the rows of that class as
    :func:`fairmot.evaluation.per_class.class_rows` selects them) and, where a visibility column
    exists, at least ``min_visibility`` visible; the others are ignore boxes (a detection on one
    is neither right nor wrong).
    """
    if class_number is not None:
        from .per_class import class_ground_truth
        gt_rows = class_ground_truth(gt_rows, class_number)
    mot16 = is_mot16_style(gt_rows)
    out = {}
    for frame, rows in split_by_frame(gt_rows).items():
        scored = rows[:, 6] != 0
        if mot16:
            scored &= (rows[:, 7] == 1) & (rows[:, 8] >= min_visibility)
        xyxy = rows[:, 2:6].copy()
        xyxy[:, 2:] += xyxy[:, :2]
        out[frame] = (xyxy, ~scored)
    return out


def detection_ap(runs: Iterable[RecordedRun], gt_root: str, frames: Optional[Tuple[int, int]] = None,
                 min_visibility: float = 0.25, class_index: Optional[int] = None,
                 class_number: Optional[int] = None) -> Dict[str, dict]:
    """AP50 of each run's candidates against ``<gt_root>/<name>/gt/gt.txt``, and of all together
    (key "OVERALL"). Only frames the run tracked count; ``frames`` (first, last) limits the
    ground truth read as well. ``class_index`` / ``class_number``: the AP of one class, the
    model's candidates of that index against the ground truth of that number."""
    per_sequence, pooled_det, pooled_gt = {}, {}, {}
    for run in runs:
        gt_rows = load_rows(os.path.join(gt_root, run.name, "gt", "gt.txt"), "ground-truth")
        if frames is not None:
            gt_rows = gt_rows[(gt_rows[:, 0] >= frames[0]) & (gt_rows[:, 0] <= frames[1])]
        by_frame = detection_ground_truth(gt_rows, min_visibility, class_number)
        empty = (np.zeros((0, 4)), np.zeros(0, bool))
        gt = {(run.name, f): by_frame.get(f, empty) for f in run.detections}
        det = {(run.name, f): (d.boxes if class_index is None else d.boxes[d.classes == class_index])
               for f, d in run.detections.items()}
        per_sequence[run.name] = average_precision(det, gt)
        pooled_det.update(det)
        pooled_gt.update(gt)
    per_sequence[OVERALL] = average_precision(pooled_det, pooled_gt)
    return per_sequence


def add_ap_column(summary, aps: Dict[str, dict]):
    """The score table with an ``AP50`` column first (NaN where no AP was measured)."""
    summary = summary.copy()
    summary.insert(0, "AP50", [aps[name]["ap"] if name in aps else float("nan") for name in summary.index])
    return summary
