#!/usr/bin/env python
"""Score a model on held-out synthetic sequences: detection AP50 and tracking MOTA/IDF1.

    python scripts/eval_synthetic.py --weights runs/synth/model_last.pth data/synth/synth-07

SEQUENCES are MOTChallenge-layout folders written by ``fairmot synth`` (frames, gt with
visibility). AP50 counts every person at least ``--min-visibility`` visible (default 0.25);
detections on people less visible than that are ignored, neither right nor wrong. Tracking runs
the same pipeline as ``fairmot track`` and is scored like ``fairmot eval``.
"""
import argparse
import os
import sys
import tempfile

import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sequences", nargs="+", help="synthetic sequence folders (img1/, gt/, seqinfo.ini)")
    parser.add_argument("--weights", required=True)
    parser.add_argument("--input-size", default=None, help="WxH (default: the checkpoint's training size)")
    parser.add_argument("--conf-thres", type=float, default=0.4)
    parser.add_argument("--min-visibility", type=float, default=0.25)
    parser.add_argument("--output", help="keep the tracking results here (default: a temporary folder)")
    args = parser.parse_args()

    from fairmot.datasets.mot_format import load_mot_rows, split_by_frame
    from fairmot.detection_eval import average_precision
    from fairmot.detector import Detector
    from fairmot.evaluation import evaluate_folder, format_table
    from fairmot.models import read_checkpoint
    from fairmot.pipeline import track_to_folder
    from fairmot.sources import open_source

    input_size = args.input_size
    if input_size is None:
        _, meta = read_checkpoint(args.weights)
        input_size = tuple(meta.get("config", {}).get("input_size", (1088, 608)))
    detector = Detector(args.weights, input_size, conf_thres=0.01)  # AP needs the low scores too
    detections, ground_truth = {}, {}
    for seq in args.sequences:
        name = os.path.basename(os.path.normpath(seq))
        gt = split_by_frame(load_mot_rows(os.path.join(seq, "gt", "gt.txt")))
        for index, frame in open_source(seq):
            boxes, _ = detector(frame)
            rows = gt.get(index, np.zeros((0, 10)))
            xyxy = rows[:, 2:6].copy()
            xyxy[:, 2:] += xyxy[:, :2]
            detections[(name, index)] = boxes
            ground_truth[(name, index)] = (xyxy, rows[:, 8] < args.min_visibility)
    ap = average_precision(detections, ground_truth)
    print(f"detection AP50 {ap['ap']:.3f} (recall {ap['recall']:.3f} at score 0.01; {ap['num_gt']} people "
          f">= {args.min_visibility:.2f} visible in {len(ground_truth)} frames, input {input_size[0]}x{input_size[1]})")

    with tempfile.TemporaryDirectory() as tmp:
        out = args.output or tmp
        detector.conf_thres = args.conf_thres
        for seq in args.sequences:
            track_to_folder(open_source(seq), detector, out, video_format=None, progress=False,
                            conf_thres=args.conf_thres)
        gt_root = os.path.dirname(os.path.abspath(args.sequences[0]))
        names = [os.path.basename(os.path.normpath(s)) for s in args.sequences]
        summary = evaluate_folder(gt_root, out, sequences=names)
    print(format_table(summary))
    overall = summary.loc["OVERALL"]
    print(f"tracking MOTA {overall['MOTA']:.3f} IDF1 {overall['IDF1']:.3f} IDs {int(overall['IDs'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
