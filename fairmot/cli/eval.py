"""``fairmot eval``: score MOTChallenge result files against ground truth (motmetrics).

Only scoring exists so far. The one-shot mode (track every sequence of GT_ROOT from its images,
then score) is meant to be added here as an option such as ``--weights W``: RESULTS_DIR would
then receive the <seq>.txt files written by the tracker before they are scored.
"""
from fairmot import evaluation


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "eval", help="score tracking results against MOTChallenge ground truth",
        description="Score <RESULTS_DIR>/<seq>.txt against <GT_ROOT>/<seq>/gt/gt.txt (and "
                    "seqinfo.ini) for every sequence, with the official MOTChallenge rules: "
                    "marked pedestrians only, results on classes 2/7/8/12 removed, IoU 0.5, every "
                    "frame counted. Rates print as percentages; MOTP is the mean IoU of matches.")
    parser.add_argument("gt_root", metavar="GT_ROOT",
                        help="MOTChallenge folder with <seq>/gt/gt.txt, e.g. MOT17/train")
    parser.add_argument("results_dir", metavar="RESULTS_DIR",
                        help="folder with one <seq>.txt result file per sequence")
    parser.add_argument("--half", action="store_true",
                        help="score only the second half of each sequence (frames > seqLength // 2)")
    parser.add_argument("--sequences", nargs="+", metavar="SEQ",
                        help="score only these sequences (default: every one under GT_ROOT)")
    parser.add_argument("--json", metavar="FILE",
                        help='write {sequence or "OVERALL": {column: value}}, rates as fractions')
    parser.add_argument("--csv", metavar="FILE", help="write the table as CSV, rates as fractions")
    return parser


def run(args):
    summary = evaluation.evaluate_folder(args.gt_root, args.results_dir, half=args.half,
                                         sequences=args.sequences, progress=True)
    if args.json:
        evaluation.write_json(summary, args.json)
    if args.csv:
        evaluation.write_csv(summary, args.csv)
    print(evaluation.format_table(summary))
    return 0
