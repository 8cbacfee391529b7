"""fairmot eval: score tracking results, or a model, against MOTChallenge ground truth."""
import logging
import os
import sys

from fairmot.errors import UserError
from fairmot.inference.video_writer import VIDEO_FORMATS
from fairmot.utils.atomic import cannot_create_in

from .common import add_overwrite_argument, add_tracking_arguments, build_detector, track_and_report, tracker_options

logger = logging.getLogger(__name__)


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "eval", help="score tracking results against MOTChallenge ground truth (or score a model)",
        description="Score <RESULTS_DIR>/<seq>.txt against <GT_ROOT>/<seq>/gt/gt.txt (and "
                    "seqinfo.ini) for every sequence, with the official MOTChallenge rules: "
                    "marked pedestrians only, results on classes 2/7/8/12 removed, IoU 0.5, every "
                    "frame counted. Rates print as percentages; MOTP is the mean IoU of matches. "
                    "With --weights (one-shot mode), first track every sequence of GT_ROOT that "
                    "has its images (img1/ + seqinfo.ini) into --output, as 'fairmot track' does, "
                    "then score the tracks and the detections (AP50) of the same network pass.")
    parser.add_argument("gt_root", metavar="GT_ROOT",
                        help="MOTChallenge folder with <seq>/gt/gt.txt, e.g. MOT17/train, or one "
                             "sequence folder")
    parser.add_argument("results_dir", metavar="RESULTS_DIR", nargs="?",
                        help="folder with one <seq>.txt result file per sequence (not with --weights)")
    parser.add_argument("--half", action="store_true",
                        help="score only the second half of each sequence (frames > seqLength // 2); "
                             "with --weights, tracking also starts there, as FairMOT's half-val")
    parser.add_argument("--frames", metavar="A-B",
                        help="score only frames A to B; with --weights, tracking runs on them alone")
    parser.add_argument("--sequences", nargs="+", metavar="SEQ",
                        help="score only these sequences (default: every one under GT_ROOT)")
    parser.add_argument("--json", metavar="FILE",
                        help='write {sequence or "OVERALL": {column: value}}, rates as fractions')
    parser.add_argument("--csv", metavar="FILE", help="write the table as CSV, rates as fractions")
    parser.add_argument("--plot", metavar="FILE.png",
                        help="draw the scores as a bar chart: HOTA, MOTA, IDF1 (and AP50) per sequence and "
                             "combined (needs matplotlib: pip install 'fairmot[plots]')")
    parser.add_argument("--per-class", action="store_true",
                        help="score each class on its own (column 8 of both files: MOT17's class numbers, or "
                             "the numbers a model of several classes writes) and print every metric per class "
                             "and their average; pedestrians (1) by the MOTChallenge rules, any other class on "
                             "all its rows")
    parser.add_argument("--eval-classes", metavar="LIST",
                        help="with --per-class: only these class numbers, e.g. 1,3 (default: the classes in "
                             "the results)")
    parser.add_argument("--metrics", default="hota,clear,identity", metavar="LIST",
                        help="what to compute, comma-separated: hota (HOTA, DetA, AssA, DetRe, DetPr, AssRe, "
                             "AssPr, LocA, by TrackEval's rules), clear (MOTA, MOTP, FP, FN, IDs, ...), "
                             "identity (IDF1, IDP, IDR) (default: all)")
    add_tracking_arguments(parser, weights_required=False, title="one-shot mode (track, then score)")
    oneshot = parser.add_argument_group("one-shot mode output")
    oneshot.add_argument("--output", metavar="DIR", default="outputs",
                         help="with --weights: folder for the <seq>.txt results (default: outputs)")
    oneshot.add_argument("--video-format", choices=VIDEO_FORMATS,
                         help="with --weights: also write an annotated video per sequence")
    add_overwrite_argument(parser)
    oneshot.add_argument("--min-visibility", type=float, default=0.25,
                         help="with --weights: AP50 counts people at least this visible (MOT16/17 "
                              "visibility column; default 0.25); the others are neither hit nor miss")
    return parser


def sequences_to_track(gt_root, requested=None):
    """Sequences of ``gt_root`` that have ground truth and images (all of ``requested`` must)."""
    from fairmot.evaluation.sequences import select_sequences
    from fairmot.inference.sources import has_mot_frames

    names = select_sequences(gt_root, requested)  # before hours of tracking, not after
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


def frames_to_track(seq_dir, half, frames):
    """(first, last) frame to track in one sequence; last None: to its end."""
    from fairmot.evaluation.sequences import second_half_start, sequence_length
    if half:
        length = sequence_length(seq_dir)
        return (second_half_start(length), None) if length else (1, None)
    return frames if frames else (1, None)


def track_sequences(args, gt_root, frames):
    """One-shot mode: track each sequence with images into the output folder, recording the
    candidates; returns the sequence names and their AP50 records."""
    if args.results_dir:
        raise UserError("give RESULTS_DIR (score existing results) or --weights (track, then "
                        "score into --output), not both")
    options = tracker_options(args)
    names = sequences_to_track(gt_root, args.sequences)
    earlier = [os.path.join(args.output, n + ".txt") for n in names
               if os.path.exists(os.path.join(args.output, n + ".txt"))]
    if earlier and not args.overwrite:  # all checked before the first sequence is tracked
        raise UserError(f"{earlier[0]} already exists: pass --overwrite to replace it, or another --output folder")

    from fairmot.evaluation.model_eval import detection_ap, track_recorded
    from fairmot.inference.sources import open_source

    detector = build_detector(args)
    if len(detector.class_table) > 1 and not args.per_class:
        raise UserError(f"{args.weights} detects {detector.class_table.describe()}: score it with --per-class "
                        "(each class on its own; --eval-classes N for one)")
    runs = []
    for name in names:
        seq_dir = os.path.join(gt_root, name)
        first, last = frames_to_track(seq_dir, args.half, frames)
        with open_source(seq_dir, start_frame=first, end_frame=last) as source:
            runs.append(track_and_report(source, detector, args.output, args.video_format, options,
                                         run=track_recorded, overwrite=args.overwrite))
    if not args.per_class:
        return names, detection_ap(runs, gt_root, frames, args.min_visibility), None
    table = detector.class_table
    aps = {number: detection_ap(runs, gt_root, frames, args.min_visibility, class_index=index, class_number=number)
           for index, number in enumerate(table.numbers)}
    return names, aps, dict(zip(table.numbers, table.names))


def check_writable(path, flag, overwrite=False):
    """A --json/--csv path that cannot be written, or that would replace a file, is found before
    any work, not after."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isfile(path) and not overwrite:
        raise UserError(f"{flag} {path} already exists: pass --overwrite to replace it")
    reason = "it is a folder" if os.path.isdir(path) else cannot_create_in(folder)
    if reason:
        raise UserError(f"{flag} {path}: cannot write a file there ({reason})")


def _report_per_class(args, gt_root, results_dir, sequences, frames, metrics, classes, aps, class_names):
    """--per-class: a table per class, then one row per class and their AVERAGE (stdout); the
    latter also to --json / --csv / --plot (--json: every class's table too)."""
    import json
    import time

    from fairmot.evaluation import report
    from fairmot.evaluation.model_eval import add_ap_column
    from fairmot.evaluation.per_class import AVERAGE, evaluate_folder_per_class
    from fairmot.utils.atomic import atomic_write_text

    unclassed = None
    if class_names:
        classes = classes or list(class_names)
        if len(class_names) == 1:   # a one-class model writes -1 in column 8: its rows are its class
            unclassed = next(iter(class_names))
        class_names = {n: f"{name} ({n})" for n, name in class_names.items()}
    started = time.perf_counter()
    per_class, summary = evaluate_folder_per_class(gt_root, results_dir, classes, half=args.half, sequences=sequences,
                                                   frames=frames, metrics=metrics, names=class_names, progress=True,
                                                   unclassed=unclassed)
    seconds = time.perf_counter() - started
    if aps is not None:
        labels = {label: number for number, label in class_names.items()}
        for label in per_class:
            per_class[label] = add_ap_column(per_class[label], aps[labels[label]])
        class_aps = {label: aps[labels[label]]["OVERALL"] for label in per_class}
        valid = [v["ap"] for v in class_aps.values() if v["ap"] == v["ap"]]
        class_aps[AVERAGE] = {"ap": sum(valid) / len(valid) if valid else float("nan")}
        summary = add_ap_column(summary, class_aps)
    for label, table in per_class.items():
        print(f"== {label}\n{report.format_table(table)}\n", flush=True)
    print(f"== per class\n{report.format_table(summary)}", flush=True)
    print(f"scored {len(per_class)} class(es) on {len(sequences)} sequence(s) ({', '.join(metrics)}) in "
          f"{seconds:.1f} s", file=sys.stderr)
    if args.json:
        atomic_write_text(args.json, json.dumps({"per_class": {label: report.summary_to_dict(t)
                                                               for label, t in per_class.items()},
                                                 "summary": report.summary_to_dict(summary)}, indent=2) + "\n")
    if args.csv:
        report.write_csv(summary, args.csv)
    if args.plot:
        from fairmot.evaluation.plots import plot_scores
        plot_scores(summary, args.plot, title=f"{os.path.basename(os.path.normpath(results_dir))} per class")
        print(f"chart: {args.plot}")
    return 0


def run(args):
    from fairmot.evaluation.report import parse_metrics
    from fairmot.evaluation.sequences import split_gt_root
    from fairmot.utils.parsing import parse_frame_range

    metrics = parse_metrics(args.metrics)
    frames = parse_frame_range(args.frames) if args.frames else None
    if frames and args.half:
        raise UserError("give --half or --frames, not both")
    for path, flag in ((args.json, "--json"), (args.csv, "--csv"), (args.plot, "--plot")):
        if path:
            check_writable(path, flag, args.overwrite)
    if args.plot:
        if not args.plot.lower().endswith(".png"):
            raise UserError(f"--plot {args.plot}: the chart is a PNG image, name it FILE.png")
        from fairmot.evaluation.plots import import_pyplot
        import_pyplot()  # a missing matplotlib is found before the work, not after
    gt_root, single = split_gt_root(args.gt_root)
    if single:
        if args.sequences and args.sequences != [single]:
            raise UserError(f"{args.gt_root} is the sequence {single}: --sequences cannot pick others")
        args.sequences = [single]
    aps, class_names = None, None
    from fairmot.datasets.classes import parse_number_list
    eval_classes = parse_number_list(args.eval_classes, "--eval-classes") if args.eval_classes else None
    if eval_classes and not args.per_class:
        raise UserError("--eval-classes picks the classes of --per-class: add --per-class")
    if args.weights:
        sequences, aps, class_names = track_sequences(args, gt_root, frames)
        results_dir = args.output
    else:
        if not args.results_dir:
            raise UserError("give RESULTS_DIR with the <seq>.txt results to score, or --weights W "
                            "to track the sequences first")
        from fairmot.evaluation.sequences import sequences_with_results
        results_dir = args.results_dir
        sequences = sequences_with_results(gt_root, results_dir, args.sequences)  # before motmetrics loads

    import time

    from fairmot.evaluation import report, scoring
    from fairmot.evaluation.model_eval import add_ap_column
    if args.per_class:
        return _report_per_class(args, gt_root, results_dir, sequences, frames, metrics, eval_classes, aps,
                                 class_names)
    started = time.perf_counter()
    summary = scoring.evaluate_folder(gt_root, results_dir, half=args.half, sequences=sequences,
                                      frames=frames, progress=True, metrics=metrics)
    seconds = time.perf_counter() - started
    if aps is not None:
        summary = add_ap_column(summary, aps)
    print(report.format_table(summary), flush=True)
    # beside the progress bar (stderr): stdout stays the table alone
    print(f"scored {len(sequences)} sequence(s) ({', '.join(metrics)}) in {seconds:.1f} s", file=sys.stderr)
    if args.json:
        report.write_json(summary, args.json)
    if args.csv:
        report.write_csv(summary, args.csv)
    if args.plot:
        from fairmot.evaluation.plots import plot_scores
        plot_scores(summary, args.plot, title=f"{os.path.basename(os.path.normpath(results_dir))} on "
                                              f"{os.path.basename(os.path.normpath(gt_root))}")
        print(f"chart: {args.plot}")
    return 0
