"""fairmot track SOURCE...: track people in videos, image folders, MOTChallenge sequences, cameras and streams."""
import math

from fairmot.errors import UserError
from fairmot.inference.video_writer import VIDEO_FORMATS

from .common import add_overwrite_argument, add_tracking_arguments, make_detector, tracker_options

DEFAULT_READ_TIMEOUT = 10.0   # fairmot.inference.streams', spelled out so that --help needs no OpenCV
DEFAULT_RECONNECT = 3


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "track", help="track people in videos, image folders, MOTChallenge sequences, cameras or streams",
        description="Track people in each SOURCE and write <output>/<name>.txt (MOTChallenge rows "
                    "frame,id,x,y,w,h,score,-1,-1,-1), an annotated video <output>/<name>.avi at the source's "
                    "size and frame rate, and a record <output>/<name>.run.json, frame by frame: a crash or "
                    "Ctrl-C keeps what is done. Re-running the same command skips sources whose results are "
                    "complete, so an interrupted run over many sources resumes. Corrupt frames are skipped "
                    "with a warning.")
    parser.add_argument("sources", metavar="SOURCE", nargs="+",
                        help="a video file, a folder of images, a MOTChallenge sequence folder (img1/ + "
                             "seqinfo.ini, whose frame rate is used), a folder of videos or sequences (searched "
                             "recursively), a text file listing sources (one per line), a camera index (0) or a "
                             "stream URL (rtsp://, rtsps://, http(s)://, ...)")
    add_tracking_arguments(parser)
    out = parser.add_argument_group("output")
    out.add_argument("--output", default="outputs", metavar="DIR",
                     help="folder for <name>.txt and the annotated video (default: outputs)")
    out.add_argument("--video-format", choices=VIDEO_FORMATS, default="avi",
                     help="annotated video: avi (Motion-JPEG, default; playable even after a hard "
                          "crash) or mp4 (mp4v, smaller, finished on exit or Ctrl-C)")
    out.add_argument("--no-video", action="store_true", help="write only the result file")
    out.add_argument("--show", action="store_true",
                     help="show the annotated frames in a window (q or Esc stops the run)")
    out.add_argument("--trails", type=int, default=0, metavar="N",
                     help="draw each track's last N centres on the video (and --show), fading with age")
    out.add_argument("--save-json", action="store_true",
                     help='also write <name>.jsonl: one line per frame, {"frame": F, "tracks": [{"id", "box": '
                          '[x, y, w, h], "score"}, ...]}')
    out.add_argument("--save-crops", action="store_true",
                     help="also write each track's box as <name>_crops/<id>/<frame>.jpg (every --crop-every "
                          "frames): a folder per identity, for re-identification datasets")
    out.add_argument("--crop-every", type=int, default=10, metavar="K",
                     help="with --save-crops: crop every K-th frame tracked (default 10)")
    add_overwrite_argument(out)
    live = parser.add_argument_group("sources and live streams")
    live.add_argument("--fps", type=float, metavar="N",
                      help="frame rate of the source (default: the video's or stream's, seqinfo.ini's, or 30 "
                           "for a folder of images); scales the track buffer")
    live.add_argument("--realtime", action="store_true",
                      help="keep up with the source: read it in the background and track the newest frame, "
                           "dropping the others when tracking is slower (a file plays at its frame rate); "
                           "default: every frame is tracked")
    live.add_argument("--max-frames", type=int, metavar="N", help="stop after N frames of each source")
    live.add_argument("--duration", type=float, metavar="S",
                      help="stop after S seconds of each source (wall-clock time for a camera or stream)")
    live.add_argument("--read-timeout", type=float, default=DEFAULT_READ_TIMEOUT, metavar="S",
                      help=f"a stream that sends nothing for S seconds (also while opening) counts as dropped "
                           f"(default {DEFAULT_READ_TIMEOUT:g})")
    live.add_argument("--reconnect", type=int, default=DEFAULT_RECONNECT, metavar="N",
                      help=f"reopen a dropped stream up to N times, waiting 0.5 s, 1 s, 2 s, ... between "
                           f"attempts (default {DEFAULT_RECONNECT}); the outage is reported and the tracker "
                           "steps through the missed frames")
    many = parser.add_argument_group("many sources")
    many.add_argument("--workers", type=int, default=1, metavar="N",
                      help="track N sources at a time in N processes, each with its share of the cores "
                           "(default 1); under torchrun every process takes its share of the sources")
    return parser


def _check_numbers(args):
    checks = [("--max-frames", args.max_frames is None or args.max_frames >= 1, "at least 1"),
              ("--duration", args.duration is None or (math.isfinite(args.duration) and args.duration > 0),
               "a positive number of seconds"),
              ("--read-timeout", math.isfinite(args.read_timeout) and args.read_timeout > 0,
               "a positive number of seconds"),
              ("--reconnect", args.reconnect >= 0, "0 or more"),
              ("--trails", args.trails >= 0, "0 or more"),
              ("--crop-every", args.crop_every >= 1, "at least 1"),
              ("--workers", args.workers >= 1, "at least 1")]
    if args.trails and args.no_video and not args.show:
        raise UserError("--trails draws on the video: drop --no-video (or add --show)")
    if args.fps is not None and not (math.isfinite(args.fps) and args.fps > 0):
        raise UserError(f"frame rate {args.fps} must be a positive number of frames per second")
    for flag, ok, what in checks:
        if not ok:
            raise UserError(f"{flag} must be {what}, got {getattr(args, flag[2:].replace('-', '_'))}")


def _device_for_rank(args, backend, local_rank, world):
    """Under torchrun each process on a GPU machine takes its own GPU (``auto`` only)."""
    if world <= 1 or str(args.device) != "auto" or backend != "torch":
        return args.device
    import torch
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    return f"cuda:{local_rank % count}" if count else "cpu"


def run(args):
    import os

    from fairmot.inference import batch
    from fairmot.inference.source_list import expand_sources
    from fairmot.utils.parsing import parse_input_size

    options = tracker_options(args)
    _check_numbers(args)
    if args.show:
        from fairmot.inference.display import check_display
        check_display()
    rank, world, local_world = batch.launcher_rank()
    if world > 1 and args.workers > 1:
        raise UserError("--workers with torchrun: let torchrun start the processes (--nproc-per-node N) instead")
    if args.show and (args.workers > 1 or world > 1):
        raise UserError("--show works with one process: drop --workers (or torchrun) to watch the tracking")
    specs = expand_sources(args.sources)
    mine = batch.shard(specs, rank, world)
    from .common import BACKEND_OF_SUFFIX
    backend = args.backend or BACKEND_OF_SUFFIX.get(os.path.splitext(args.weights)[1].lower(), "torch")
    threads = args.threads
    if world > 1 and threads is None:
        from fairmot.inference.workers import threads_per_process
        threads = threads_per_process(local_world)
    detector = {"weights": args.weights, "backend": args.backend,
                "input_size": parse_input_size(args.input_size) if args.input_size else None,
                "device": _device_for_rank(args, backend, int(os.environ.get("LOCAL_RANK", 0) or 0), world),
                "conf_thres": 0.4 if args.conf_thres is None else args.conf_thres, "threads": threads}
    job = batch.TrackJob(output=args.output, detector=detector, tracker_options=options,
                         video_format=None if args.no_video else args.video_format, fps=args.fps,
                         realtime=args.realtime, read_timeout=args.read_timeout, reconnect=args.reconnect,
                         max_frames=args.max_frames, duration=args.duration, show=args.show,
                         overwrite=args.overwrite, trails=args.trails, save_json=args.save_json,
                         crops_every=args.crop_every if args.save_crops else None)
    todo, skipped = batch.plan(mine, job)
    prefix = f"[rank {rank} of {world}] " if world > 1 else ""
    if len(specs) == 1 and world == 1:
        return _track_single(todo, skipped, job)
    return _track_many(todo, skipped, job, args.workers, rank, prefix, len(mine))


def _detector_factory(job):
    made = []

    def factory():
        if not made:
            made.append(make_detector(**job.detector))
        return made[0]
    return factory


def _track_single(todo, skipped, job):
    """One source: its errors are the command's (one line, exit 2), as they always were."""
    from fairmot.inference import batch, pipeline

    if skipped:
        print(skipped[0].line() + f" ({skipped[0].record.get('results')}; --overwrite to redo it)", flush=True)
        return 0
    try:
        outcome = batch.track_one(todo[0], _detector_factory(job), job)
    except (pipeline.TrackingInterrupted, pipeline.StreamLost) as stop:
        print(stop.summary.format(), flush=True)
        raise
    print(outcome.text, flush=True)
    return 0


def _track_many(todo, skipped, job, workers, rank, prefix, total_sources):
    from tqdm import tqdm

    from fairmot.inference import batch

    outcomes = list(skipped)
    for outcome in skipped:
        print(prefix + outcome.line(), flush=True)

    def report(outcome):
        outcomes.append(outcome)
        tqdm.write("\n".join(prefix + line for line in outcome.line().splitlines()))

    stopped = None
    try:
        if workers > 1 and len(todo) > 1:
            from fairmot.inference.workers import track_in_workers
            with tqdm(total=len(todo), desc=f"{prefix}sources", unit="source", dynamic_ncols=True,
                      disable=None) as bar:
                frames = [0]

                def on_frames(count):
                    frames[0] += count
                    bar.set_postfix_str(f"{frames[0]} frames", refresh=True)

                def report_and_count(outcome):
                    report(outcome)
                    bar.update(1)
                track_in_workers(todo, job, workers, report_and_count, on_frames, rank)
        elif todo:
            factory = _detector_factory(job)
            factory()  # a model that cannot load fails the command at once, not every source in turn
            batch.track_in_turn(todo, job, factory, report, rank)
    except KeyboardInterrupt as stop:  # TrackingInterrupted and Interrupted are KeyboardInterrupts
        stopped = stop
    print(prefix + batch.total_line(outcomes) + (f" (of {total_sources})" if len(outcomes) < total_sources else ""),
          flush=True)
    if stopped is not None:
        raise stopped
    bad = [o for o in outcomes if o.status in ("failed", "lost")]
    if bad:
        raise UserError(f"{len(bad)} of {len(outcomes)} sources failed ({bad[0].spec.name}: {bad[0].error}); "
                        "the others' results are written; re-run the same command to retry the failed ones")
    return 0
