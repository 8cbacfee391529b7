"""Tracker results made from MOT15's real detections (no images needed): inputs for scoring tests."""
import os

import numpy as np

from fairmot.datasets.mot_format import load_mot_rows, split_by_frame
from fairmot.trackers import create_tracker

from .data import SHARED


def mot15_track_rows(seq, tracker_name="hybrid"):
    """Per frame 1..last, the rows ``id, x, y, w, h, score, -1, -1, -1`` of the tracks our tracker
    makes from the MOT15 sequence's real detections."""
    dets = load_mot_rows(os.path.join(SHARED, "MOT15", "train", seq, "det", "det.txt"))
    gt = load_mot_rows(os.path.join(SHARED, "MOT15", "train", seq, "gt", "gt.txt"))
    tracker, by_frame = create_tracker(tracker_name, 30), split_by_frame(dets)
    rows = []
    for frame in range(1, int(max(gt[:, 0].max(), dets[:, 0].max())) + 1):
        d = by_frame.get(frame, np.zeros((0, 10)))
        tracks = tracker.update(np.concatenate([d[:, 2:4], d[:, 2:4] + d[:, 4:6], d[:, 6:7]], axis=1))
        rows.append([(t.track_id, *t.tlwh, t.score, -1, -1, -1) for t in tracks])
    return rows


def write_mot15_results(folder, sequences, tracker_name="hybrid"):
    """``<folder>/<seq>.txt`` for each of ``sequences``: MOTChallenge result files of our tracks."""
    os.makedirs(folder, exist_ok=True)
    for seq in sequences:
        with open(os.path.join(folder, f"{seq}.txt"), "w") as f:
            for frame, rows in enumerate(mot15_track_rows(seq, tracker_name), 1):
                for row in rows:
                    f.write(",".join([str(frame)] + [f"{v:.2f}" for v in row]) + "\n")
    return folder
