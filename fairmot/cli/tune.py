"""fairmot tune: search the tracker's thresholds for a dataset, tuned on some sequences, reported on others."""
import os
import time

from fairmot.errors import UserError

from .common import BACKENDS, DEFAULT_TRACKER, TRACKERS

ON_INTERRUPT = "the best configuration of the trials finished, if any, is written (cached detections are kept)"
METRIC_CHOICES = ("HOTA", "MOTA", "IDF1")


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "tune", help="search the tracker's thresholds that maximise HOTA, MOTA or IDF1 on MOTChallenge data",
        description="Search the tracker's options (score thresholds, matching limits, track start and buffer) "
                    "that maximise --metric on some sequences of GT_ROOT, and report the result on the others "
                    "(held out). Detections are computed once: from each sequence's det/det.txt (motion only), or "
                    "with --weights from the network (cached under --cache), so a trial runs only the tracker. "
                    "Prints the best configuration as command-line options and writes it as JSON for "
                    "'fairmot track --tracker-config'. Needs Optuna: pip install 'fairmot[tune]'.")
    parser.add_argument("gt_root", metavar="GT_ROOT",
                        help="MOTChallenge folder with <seq>/gt/gt.txt (and det/det.txt, or img1/ with --weights)")
    parser.add_argument("--output", default="tracker.json", metavar="FILE.json",
                        help="where to write the best configuration (default: tracker.json)")
    parser.add_argument("--overwrite", action="store_true", help="replace --output if it exists")
    parser.add_argument("--metric", type=str.upper, choices=METRIC_CHOICES, default="HOTA",
                        help="what to maximise, combined over the tuning sequences (default HOTA)")
    parser.add_argument("--tracker", choices=TRACKERS, default=DEFAULT_TRACKER,
                        help=f"the tracker to tune (default {DEFAULT_TRACKER})")
    parser.add_argument("--trials", type=int, default=50, help="configurations to try (default 50)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the search (default 0)")
    parser.add_argument("--sequences", nargs="+", metavar="SEQ", help="use only these sequences")
    parser.add_argument("--holdout", nargs="+", metavar="SEQ",
                        help="sequences kept out of the search and scored at the end (default: every second "
                             "sequence in name order); the others are tuned on")
    parser.add_argument("--no-holdout", action="store_true", help="tune on every sequence (nothing to report on)")
    parser.add_argument("--det-file", default="det.txt", metavar="NAME",
                        help="without --weights: the detections <seq>/det/NAME (default det.txt)")
    network = parser.add_argument_group("detections from a network")
    network.add_argument("--weights", metavar="FILE", help="detect with this model (.pth, .onnx or .xml) instead "
                                                           "of reading det/det.txt")
    network.add_argument("--backend", choices=BACKENDS, default=None)
    network.add_argument("--input-size", metavar="WxH", help="network input size (default: the model's)")
    network.add_argument("--device", default="auto")
    network.add_argument("--threads", type=int, default=None, metavar="N")
    network.add_argument("--cache", metavar="DIR",
                         help="folder for the network's detections, reused by later runs with the same weights "
                              "and size (default: <output's folder>/detections_cache)")
    return parser


def split_sequences(names, holdout=None, no_holdout=False):
    """(tuning sequences, held-out sequences)."""
    if no_holdout:
        if holdout:
            raise UserError("give --holdout or --no-holdout, not both")
        return list(names), []
    if holdout:
        unknown = [h for h in holdout if h not in names]
        if unknown:
            raise UserError(f"--holdout {', '.join(unknown)}: not among the sequences ({', '.join(names)})")
        held = [n for n in names if n in holdout]
    else:
        held = list(names[1::2])
    tune = [n for n in names if n not in held]
    if not tune:
        raise UserError("every sequence is held out: leave some to tune on")
    return tune, held


def options_as_flags(tracker, options):
    """The command-line options that reproduce ``options`` for ``fairmot track`` / ``eval``."""
    flags = [f"--tracker {tracker}"]
    rest = dict(options)
    if "track_buffer" in rest:
        flags.append(f"--track-buffer {rest.pop('track_buffer')}")
    if tracker == "fairmot" and "conf_thres" in rest:
        flags.append(f"--conf-thres {rest.pop('conf_thres')}")
    flags += [f"--tracker-option {key}={value}" for key, value in rest.items()]
    return " ".join(flags)


def _scores_line(table, label):
    from fairmot.evaluation.report import OVERALL
    return f"  {label:<30}" + "".join(f"{100 * float(table.loc[OVERALL, m]):>8.1f}" for m in METRIC_CHOICES)


def run(args):
    from fairmot.cli.eval import check_writable
    from fairmot.evaluation.sequences import select_sequences
    from fairmot.tuning.search import import_optuna

    if args.trials < 1:
        raise UserError(f"--trials must be at least 1, got {args.trials}")
    if not args.output.lower().endswith(".json"):
        raise UserError(f"--output {args.output}: the configuration is JSON, name it FILE.json")
    check_writable(args.output, "--output", args.overwrite)
    import_optuna()   # missing: one line now, not after the detections
    names = select_sequences(args.gt_root, args.sequences)
    tune_names, held_names = split_sequences(names, args.holdout, args.no_holdout)
    sequences = _load_detections(args, names)
    tune_set = [sequences[n] for n in tune_names]
    held_set = [sequences[n] for n in held_names]

    from tqdm import tqdm

    from fairmot.evaluation.report import OVERALL
    from fairmot.tuning.config_file import tracker_config_record
    from fairmot.tuning.objective import score_configuration
    from fairmot.tuning.search import search
    from fairmot.utils.atomic import atomic_write_text

    with_embeddings = all(s.has_embeddings for s in tune_set)
    kind = "network detections with embeddings" if with_embeddings else "detections, motion only"
    print(f"tuning {args.tracker} for {args.metric} on {', '.join(tune_names)} ({kind}); "
          f"held out: {', '.join(held_names) or 'none'}", flush=True)
    started = time.perf_counter()
    with tqdm(total=args.trials, desc="trials", unit="trial", disable=None, dynamic_ncols=True) as bar:
        def on_trial(number, score, best):
            bar.update(1)
            bar.set_postfix_str(f"best {args.metric} {100 * best:.2f}", refresh=False)
        # Ctrl-C before the first trial finished ends here: there is nothing to write
        result = search(tune_set, args.tracker, args.metric, args.trials, args.seed, on_trial)
    elapsed = time.perf_counter() - started
    trials_done = len(result.trials)
    print(f"{trials_done} trials in {elapsed:.1f} s ({elapsed / max(trials_done, 1):.2f} s each)"
          + (" (interrupted)" if result.interrupted is not None else ""))

    from fairmot.trackers import tracker_defaults
    defaults = {k: tracker_defaults(args.tracker)[k] for k in result.best_options}
    report = {}
    print(f"\n  {'':<30}" + "".join(f"{m:>8}" for m in METRIC_CHOICES))
    for label, options in (("default", defaults), ("tuned", result.best_options)):
        for part, group in (("tuned on", tune_set), ("held out", held_set)):
            if not group:
                continue
            table = score_configuration(group, args.tracker, options)
            report.setdefault(label, {})[part.replace(" ", "_")] = {
                m: float(table.loc[OVERALL, m]) for m in METRIC_CHOICES}
            print(_scores_line(table, f"{label}, {part} ({len(group)})"))
    flags = options_as_flags(args.tracker, result.best_options)
    print(f"\nbest configuration ({args.metric} {100 * result.best_score:.2f} on the tuning sequences, "
          f"default {100 * result.default_score:.2f}):\n  {flags}")
    text = tracker_config_record(args.tracker, result.best_options, metric=args.metric, tuned_on=tune_names,
                                 held_out=held_names, trials=trials_done, seed=args.seed, scores=report,
                                 detections="network" if args.weights else args.det_file,
                                 command_line=flags)
    try:
        atomic_write_text(args.output, text)
    except OSError as err:
        raise UserError(f"cannot write {args.output}: {err.strerror or err}") from None
    print(f"written: {args.output} (fairmot track --tracker-config {args.output})")
    if result.interrupted is not None:
        raise result.interrupted   # the signal's exit status, after the result is safe
    return 0


def _load_detections(args, names):
    from fairmot.tuning import detections
    if not args.weights:
        return {n: detections.from_det_file(os.path.join(args.gt_root, n), args.det_file) for n in names}
    from fairmot.inference.run_records import file_digest
    from fairmot.utils.parsing import parse_input_size

    from .common import make_detector
    if args.threads is not None and args.threads < 1:
        raise UserError(f"--threads must be at least 1, got {args.threads}")
    detector = make_detector(args.weights, args.backend, parse_input_size(args.input_size) if args.input_size
                             else None, args.device, detections.NETWORK_SCORE_FLOOR, args.threads)
    table, class_index = detector.class_table, None
    if len(table) > 1:   # MOTChallenge ground truth is of people: tune on the model's people
        if "person" not in table.names:
            raise UserError(f"{args.weights} detects {table.describe()}: fairmot tune scores people against "
                            "MOTChallenge ground truth and needs a model with a person class")
        class_index = table.index("person")
    cache = args.cache or os.path.join(os.path.dirname(os.path.abspath(args.output)), "detections_cache")
    digest = file_digest(args.weights)
    out = {}
    for name in names:
        seq_dir = os.path.join(args.gt_root, name)
        key = detections.cache_key(digest, detector.input_size, seq_dir)
        out[name] = detections.from_network(seq_dir, detector, cache, key, class_index=class_index)
    return out

