"""Per-class tracking against separate runs, on MOT17 ground truth through the simulated detector.

Pedestrians (class 1) and cars (class 3; every row of the class, as MOT17 marks them all 0) of
each MOT17 training sequence with cars are turned into detections by the project's simulated
detector, one class at a time, and tracked two ways:

- together: both classes in one stream, one ``update`` per frame of ``create_tracker(..., per_class=True)``;
- apart: each class in a run of its own with a plain tracker.

Both are scored per class by ``fairmot.evaluation.per_class`` (the code behind ``fairmot eval
--per-class``); the issue asks for MOTA / IDF1 within 0.005 and for no track switching class.

    python scripts/bench_multiclass.py [--tracker hybrid] [--data ../shared/data/MOT17/train]
"""
import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from fairmot.datasets.mot_format import load_mot_rows, read_seqinfo  # noqa: E402
from fairmot.datasets.simulated_detector import simulate_detections  # noqa: E402
from fairmot.evaluation.per_class import class_ground_truth, class_results  # noqa: E402
from fairmot.evaluation.scoring import score_sequence, summary_table  # noqa: E402
from fairmot.trackers import create_tracker  # noqa: E402

CLASSES = (1, 3)   # MOT17: pedestrian, car


def rows_of(frame, tracks, cls_of):
    return [[frame, t.track_id, *t.tlwh, t.score, cls_of(t), -1, -1] for t in tracks]


def track_sequence(seq_dir, tracker_name, seed=0):
    info = read_seqinfo(seq_dir)
    gt = load_mot_rows(os.path.join(seq_dir, "gt", "gt.txt"))
    n = info["length"]
    streams = {c: simulate_detections(class_ground_truth(gt, c), n, info["width"], info["height"], seed=seed + c)
               for c in CLASSES}
    fps = info["frame_rate"]
    together, apart = create_tracker(tracker_name, fps, per_class=True), {
        c: create_tracker(tracker_name, fps) for c in CLASSES}
    rows_together, rows_apart, class_of_id = [], [], {}
    switched = 0
    seconds = {"together": 0.0, "apart": 0.0}
    for f in range(n):
        dets = np.concatenate([streams[c][f][0] for c in CLASSES])
        embs = np.concatenate([streams[c][f][1] for c in CLASSES])
        classes = np.concatenate([np.full(len(streams[c][f][0]), c) for c in CLASSES])
        order = np.argsort(-dets[:, 4], kind="stable")   # one detector's output: best first, classes mixed
        t0 = time.perf_counter()
        tracks = together.update(dets[order], embs[order], classes[order])
        seconds["together"] += time.perf_counter() - t0
        for t in tracks:
            switched += class_of_id.setdefault(t.track_id, t.cls) != t.cls
        rows_together += rows_of(f + 1, tracks, lambda t: t.cls)
        for c in CLASSES:
            t0 = time.perf_counter()
            tracks = apart[c].update(streams[c][f][0], streams[c][f][1])
            seconds["apart"] += time.perf_counter() - t0
            rows_apart += rows_of(f + 1, tracks, lambda t, c=c: c)
    return info, gt, np.array(rows_together, float).reshape(-1, 10), np.array(rows_apart, float).reshape(-1, 10), \
        switched, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=os.path.join(HERE, "..", "..", "shared", "data", "MOT17", "train"))
    parser.add_argument("--tracker", default="hybrid")
    args = parser.parse_args()
    names = sorted(d for d in os.listdir(args.data) if os.path.isfile(os.path.join(args.data, d, "gt", "gt.txt")))
    scored = {c: {"together": {}, "apart": {}} for c in CLASSES}
    total_switched, total_seconds = 0, {"together": 0.0, "apart": 0.0}
    for name in names:
        gt = load_mot_rows(os.path.join(args.data, name, "gt", "gt.txt"))
        if not (gt[:, 7] == 3).any():
            continue
        info, gt, together, apart, switched, seconds = track_sequence(os.path.join(args.data, name), args.tracker)
        total_switched += switched
        for key in total_seconds:
            total_seconds[key] += seconds[key]
        cars = len(np.unique(gt[gt[:, 7] == 3, 1]))
        print(f"{name}: {info['length']} frames, {cars} car ids", flush=True)
        for c in CLASSES:
            for label, rows in (("together", together), ("apart", apart)):
                scored[c][label][name] = score_sequence(class_ground_truth(gt, c), class_results(rows, c), name,
                                                        info["length"], ("clear", "identity"))
    print(f"\ntracker {args.tracker}; association time together {total_seconds['together']:.2f} s, "
          f"apart {total_seconds['apart']:.2f} s; tracks switching class: {total_switched}")
    print(f"{'class':<8}{'run':<10}{'MOTA':>8}{'IDF1':>8}{'IDs':>6}")
    worst = 0.0
    for c in CLASSES:
        overall = {label: summary_table(scored[c][label]).loc["OVERALL"] for label in ("together", "apart")}
        for label, row in overall.items():
            print(f"{c:<8}{label:<10}{row['MOTA']:8.4f}{row['IDF1']:8.4f}{int(row['IDs']):6d}")
        worst = max(worst, abs(overall["together"]["MOTA"] - overall["apart"]["MOTA"]),
                    abs(overall["together"]["IDF1"] - overall["apart"]["IDF1"]))
    print(f"largest |together - apart| of MOTA / IDF1: {worst:.4f} (target <= 0.005)")
    return 0 if worst <= 0.005 and total_switched == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
