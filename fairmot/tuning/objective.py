"""A tracker configuration's score on cached detections: the tracker alone, then the metrics."""
from __future__ import annotations

from typing import Dict, Optional, Sequence

import numpy as np

from fairmot.evaluation.report import OVERALL
from fairmot.evaluation.scoring import score_sequence, summary_table
from fairmot.trackers import create_tracker, filter_tracks

from .detections import SequenceDetections

# metric name -> (--metrics groups it needs, column of the summary table)
METRICS = {"HOTA": ("hota",), "MOTA": ("clear",), "IDF1": ("identity",)}


def track_rows(sequence: SequenceDetections, tracker: str, options: Dict[str, object],
               min_box_area: float = 100, max_aspect_ratio: Optional[float] = 1.6) -> np.ndarray:
    """MOTChallenge result rows of ``tracker`` with ``options`` on ``sequence``'s detections,
    filtered as ``fairmot track`` filters its output."""
    tracker_object = create_tracker(tracker, sequence.frame_rate, **options)
    floor = tracker_object.min_score
    rows = []
    for offset, (boxes, embeddings) in enumerate(sequence.frames):
        keep = boxes[:, 4] > floor
        if embeddings is not None and len(embeddings) == len(boxes):
            tracked = tracker_object.update(boxes[keep], embeddings[keep])
        else:
            tracked = tracker_object.update(boxes[keep], None)
        frame = sequence.first_frame + offset
        for t in filter_tracks(tracked, min_box_area, max_aspect_ratio):
            rows.append((frame, t.track_id, *t.tlwh, t.score, -1, -1, -1))
    return np.array(rows, dtype=np.float64).reshape(-1, 10)


def score_configuration(sequences: Sequence[SequenceDetections], tracker: str, options: Dict[str, object],
                        metrics: Sequence[str] = ("HOTA", "MOTA", "IDF1"), **filters):
    """The summary table (one row per sequence and OVERALL, rates as fractions) of ``tracker``
    with ``options`` on ``sequences``, with the columns ``metrics`` need."""
    groups = tuple(dict.fromkeys(g for m in metrics for g in METRICS[m]))
    scored = {}
    for sequence in sequences:
        # scored over the frames tracked (a network's detections may start after frame 1)
        last = sequence.first_frame + len(sequence.frames) - 1
        scored[sequence.name] = score_sequence(sequence.gt, track_rows(sequence, tracker, options, **filters),
                                               sequence.name, sequence.length, groups,
                                               frames=(sequence.first_frame, last))
    return summary_table(scored)


def overall(table, metric: str) -> float:
    """The combined score ``metric`` of a table from :func:`score_configuration`."""
    value = float(table.loc[OVERALL, metric])
    return value if np.isfinite(value) else float("-inf")
