#!/usr/bin/env python
"""Score a model on MOTChallenge sequences with images: detection AP50 and tracking MOTA/IDF1.

    python scripts/eval_model.py --weights runs/synth/model_last.pth data/synth/synth-07
    python scripts/eval_model.py --weights runs/pets/model_last.pth ../shared/data/PETS09-S2L1 --frames 401-550

SEQUENCES are folders with img1/, gt/gt.txt and seqinfo.ini (e.g. written by ``fairmot synth``).
AP50 counts the ground truth that is scored in tracking (marked rows; pedestrians in MOT16/17
style) and, where a visibility column exists, only people at least ``--min-visibility`` visible:
detections on ignored people are neither right nor wrong. Tracking runs the pipeline of
``fairmot track`` from the first frame of ``--frames`` and is scored like ``fairmot eval`` on
that range.
"""
import argparse
import os
import sys
import tempfile

import numpy as np


def parse_range(text):
    first, _, last = text.partition("-")
    return int(first), int(last)


class RecordingDetector:
    """One network pass per frame: keeps every box down to ``low`` (for AP) and hands the tracking
    pipeline only those above its own threshold (``conf_thres``, set by the pipeline)."""

    def __init__(self, detector, low=0.01):
        self.detector, self.conf_thres, self.recorded = detector, low, []
        detector.conf_thres = low

    @property
    def timings(self):
        return self.detector.timings

    def __call__(self, frame):
        boxes, embeddings = self.detector(frame)
        self.recorded.append(boxes)
        keep = boxes[:, 4] > self.conf_thres
        return boxes[keep], embeddings[keep]


class IndexRecorder:
    """A frame source that remembers the frame numbers it handed out (in order)."""

    def __init__(self, source):
        self.source, self.indices = source, []

    def __getattr__(self, name):  # name, fps, size, length, skipped: the wrapped source's
        return getattr(self.source, name)

    def __iter__(self):
        for index, frame in self.source:
            self.indices.append(index)
            yield index, frame


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sequences", nargs="+", help="sequence folders (img1/, gt/gt.txt, seqinfo.ini)")
    parser.add_argument("--weights", required=True)
    parser.add_argument("--frames", type=parse_range, default=None, help="A-B: only frames A..B")
    parser.add_argument("--input-size", default=None, help="WxH (default: the checkpoint's training size)")
    parser.add_argument("--conf-thres", type=float, default=0.4)
    parser.add_argument("--min-visibility", type=float, default=0.25)
    parser.add_argument("--output", help="keep the tracking results here")
    args = parser.parse_args()

    from fairmot.datasets.mot_format import MotResultWriter, load_mot_rows, split_by_frame
    from fairmot.detection_eval import average_precision
    from fairmot.detector import Detector, parse_input_size, training_input_size
    from fairmot.evaluation import evaluate_sequence, format_table, is_mot16_style, summarize
    from fairmot.pipeline import track_source
    from fairmot.sources import open_source
    from fairmot.trackers import JDETracker

    first, last = args.frames or (1, None)
    input_size = parse_input_size(args.input_size) if args.input_size else training_input_size(args.weights)
    network = Detector(args.weights, input_size)
    detections, ground_truth, accumulators = {}, {}, {}
    out_dir = args.output or tempfile.mkdtemp(prefix="fairmot-eval-")
    os.makedirs(out_dir, exist_ok=True)
    for seq in args.sequences:
        gt_all = load_mot_rows(os.path.join(seq, "gt", "gt.txt"))
        if last is not None:
            gt_all = gt_all[(gt_all[:, 0] >= first) & (gt_all[:, 0] <= last)]
        mot16 = is_mot16_style(gt_all)
        gt = split_by_frame(gt_all)
        source = IndexRecorder(open_source(seq, start_frame=first, end_frame=last))
        name = source.name
        detector = RecordingDetector(network)
        result_path = os.path.join(out_dir, f"{name}.txt")
        with MotResultWriter(result_path) as results:
            track_source(source, detector, JDETracker(conf_thres=args.conf_thres, frame_rate=source.fps),
                         results, progress=False)
        if len(gt_all) == 0:
            print(f"{name}: no ground truth in these frames, not scored (results in {result_path})")
            continue
        for index, boxes in zip(source.indices, detector.recorded):
            rows = gt.get(index, np.zeros((0, 10)))
            scored = rows[:, 6] != 0
            if mot16:
                scored &= (rows[:, 7] == 1) & (rows[:, 8] >= args.min_visibility)
            xyxy = rows[:, 2:6].copy()
            xyxy[:, 2:] += xyxy[:, :2]
            detections[(name, index)] = boxes
            ground_truth[(name, index)] = (xyxy, ~scored)
        accumulators[name] = evaluate_sequence(gt_all, load_mot_rows(result_path), name=name)
    if not accumulators:
        return 0
    ap = average_precision(detections, ground_truth)
    print(f"detection AP50 {ap['ap']:.3f} (recall {ap['recall']:.3f} at score 0.01; {ap['num_gt']} people "
          f"in {len(ground_truth)} frames, input {input_size[0]}x{input_size[1]})")
    summary = summarize(accumulators)
    print(format_table(summary))
    overall = summary.loc["OVERALL"]
    print(f"tracking MOTA {overall['MOTA']:.3f} IDF1 {overall['IDF1']:.3f} IDs {int(overall['IDs'])} "
          f"(results in {out_dir})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
