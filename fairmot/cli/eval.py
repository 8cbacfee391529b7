"""``fairmot eval``: score MOTChallenge result files against ground truth (motmetrics).

Two modes:

- ``fairmot eval GT_ROOT RESULTS_DIR``: score the ``<seq>.txt`` files already in RESULTS_DIR.
- ``fairmot eval GT_ROOT --weights W [--output DIR]`` (one-shot): track every sequence of GT_ROOT
  that has its images with the same pipeline as ``fairmot track`` into DIR, then score them.
"""
import logging
import os

from fairmot import evaluation, pipeline
from fairmot.cli.track import add_tracking_arguments, build_detector, track_and_report, tracker_options
from fairmot.datasets.mot_format import read_seqinfo
from fairmot.errors import UserError
from fairmot.sources import has_mot_frames, open_mot_sequence

logger = logging.getLogger(__name__)


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "eval", help="score tracking results against MOTChallenge ground truth (or track, then score)",
        description="Score <RESULTS_DIR>/<seq>.txt against <GT_ROOT>/<seq>/gt/gt.txt (and "
                    "seqinfo.ini) for every sequence, with the official MOTChallenge rules: "
                    "marked pedestrians only, results on classes 2/7/8/12 removed, IoU 0.5, every "
                    "frame counted. Rates print as percentages; MOTP is the mean IoU of matches. "
                    "With --weights, first track every sequence of GT_ROOT that has its images "
                    "(img1/ + seqinfo.ini) into --output, as 'fairmot track' does, then score them.")
    parser.add_argument("gt_root", metavar="GT_ROOT",
                        help="MOTChallenge folder with <seq>/gt/gt.txt, e.g. MOT17/train")
    parser.add_argument("results_dir", metavar="RESULTS_DIR", nargs="?",
                        help="folder with one <seq>.txt result file per sequence (not with --weights)")
    parser.add_argument("--half", action="store_true",
                        help="score only the second half of each sequence (frames > seqLength // 2); "
                             "with --weights, tracking also starts there, as FairMOT's half-val")
    parser.add_argument("--sequences", nargs="+", metavar="SEQ",
                        help="score only these sequences (default: every one under GT_ROOT)")
    parser.add_argument("--json", metavar="FILE",
                        help='write {sequence or "OVERALL": {column: value}}, rates as fractions')
    parser.add_argument("--csv", metavar="FILE", help="write the table as CSV, rates as fractions")
    add_tracking_arguments(parser, weights_required=False, title="one-shot mode (track, then score)")
    oneshot = parser.add_argument_group("one-shot mode output")
    oneshot.add_argument("--output", metavar="DIR", default="outputs",
                         help="with --weights: folder for the <seq>.txt results (default: outputs)")
    oneshot.add_argument("--video-format", choices=pipeline.VIDEO_FORMATS,
                         help="with --weights: also write an annotated video per sequence")
    return parser


def sequences_to_track(gt_root, requested=None):
    """Sequences of ``gt_root`` that have ground truth and images (all of ``requested`` must)."""
    names = evaluation.select_sequences(gt_root, requested)  # before hours of tracking, not after
    with_frames = [n for n in names if has_mot_frames(os.path.join(gt_root, n))]
    without = [n for n in names if n not in with_frames]
    if requested and without:
        raise UserError(f"cannot track {', '.join(without)}: no seqinfo.ini with an image folder "
                        f"under {gt_root}")
    if not with_frames:
        raise UserError(f"no sequence under {gt_root} has its images (seqinfo.ini + img1/): "
                        "the one-shot mode tracks them; pass RESULTS_DIR to score existing results")
    if without:
        logger.warning("%d sequence(s) without images are not tracked nor scored: %s",
                       len(without), ", ".join(without))
    return with_frames


def track_sequences(args):
    """One-shot mode: track each sequence with images into the output folder; returns their names."""
    if args.results_dir:
        raise UserError("give RESULTS_DIR (score existing results) or --weights (track, then "
                        "score into --output), not both")
    options = tracker_options(args)
    names = sequences_to_track(args.gt_root, args.sequences)
    detector = build_detector(args)
    for name in names:
        seq_dir = os.path.join(args.gt_root, name)
        start = evaluation.second_half_start(read_seqinfo(seq_dir)["length"]) if args.half else 1
        with open_mot_sequence(seq_dir, start_frame=start) as source:
            track_and_report(source, detector, args.output, args.video_format, options)
    return args.output, names


def run(args):
    if args.weights:
        results_dir, sequences = track_sequences(args)
    else:
        if not args.results_dir:
            raise UserError("give RESULTS_DIR with the <seq>.txt results to score, or --weights W "
                            "to track the sequences first")
        results_dir, sequences = args.results_dir, args.sequences
    summary = evaluation.evaluate_folder(args.gt_root, results_dir, half=args.half,
                                         sequences=sequences, progress=True)
    if args.json:
        evaluation.write_json(summary, args.json)
    if args.csv:
        evaluation.write_csv(summary, args.csv)
    print(evaluation.format_table(summary))
    return 0
