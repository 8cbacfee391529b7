"""fairmot synth OUTDIR: write synthetic sequences (people, and cars with --classes person,car)
ready to train and evaluate on.

OUTDIR gets MOTChallenge sequences (synth-NN/img1, gt/gt.txt, seqinfo.ini), their JDE labels and
list files, and OUTDIR/data.json (train: the first sequences, test: the last --val-sequences,
held out).
"""
from fairmot.datasets.synth_config import SynthConfig

ON_INTERRUPT = "the unfinished dataset was removed"
CAMERA_MOTIONS = ("still", "pan", "shake", "pan-shake")
DEFAULT_PAN_SPEED = 8.0
DEFAULT_SHAKE = 3.0


def camera_settings(camera_motion, pan_speed, jitter):
    """(pan_speed, jitter) of the SynthConfig for the --camera-motion, --pan-speed, --jitter given;
    UserError when they contradict each other."""
    from fairmot.errors import UserError
    pans, shakes = "pan" in camera_motion, "shake" in camera_motion
    if pan_speed is not None and not pans:
        raise UserError("--pan-speed needs a panning camera: add --camera-motion pan (or pan-shake)")
    if jitter is not None and camera_motion == "pan":
        raise UserError("--jitter with --camera-motion pan: use --camera-motion pan-shake to shake it too")
    speed = (DEFAULT_PAN_SPEED if pan_speed is None else pan_speed) if pans else 0.0
    shake = (DEFAULT_SHAKE if jitter is None else jitter) if shakes else (jitter or 0.0)
    return speed, shake


def add_parser(subparsers):
    defaults = SynthConfig()
    parser = subparsers.add_parser("synth", help="write synthetic pedestrian sequences with "
                                   "exact ground truth and a ready data.json",
                                   description="Write synthetic pedestrian sequences with exact ground truth, their "
                                   "JDE labels and a data.json ready to train and evaluate on.")
    parser.add_argument("outdir", help="output folder (created)")
    parser.add_argument("--sequences", type=int, default=4, help="number of sequences (default 4)")
    parser.add_argument("--frames", type=int, default=defaults.frames,
                        help=f"frames per sequence (default {defaults.frames})")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--val-sequences", type=int, default=None,
                        help="last sequences held out for validation (default 1 if >= 2 sequences)")
    parser.add_argument("--width", type=int, default=defaults.width, help="frame width")
    parser.add_argument("--height", type=int, default=defaults.height, help="frame height")
    parser.add_argument("--fps", type=int, default=defaults.fps, help="frame rate")
    parser.add_argument("--people", type=float, default=defaults.mean_people,
                        help=f"average number of people in view (default {defaults.mean_people})")
    parser.add_argument("--classes", default="person", metavar="LIST",
                        help="what the scenes hold, comma-separated: person, car (default person); with "
                             "car, cars drive along the ground, each class with its own identities, the class "
                             "in ground-truth column 8 (MOT17's numbers: 1 person, 3 car)")
    parser.add_argument("--cars", type=float, default=defaults.mean_cars,
                        help=f"with --classes ...,car: average number of cars in view (default {defaults.mean_cars})")
    parser.add_argument("--camera-motion", choices=CAMERA_MOTIONS, default="still",
                        help="how the camera moves: still (default), pan (sweeps half a frame width to the "
                             "right and back, at most --pan-speed pixels a frame), shake (--jitter pixels), "
                             "pan-shake (both)")
    parser.add_argument("--pan-speed", type=float, default=None, metavar="PIXELS",
                        help=f"peak pan speed in pixels a frame (default {DEFAULT_PAN_SPEED:g} with a pan)")
    parser.add_argument("--jitter", type=float, default=None, metavar="PIXELS",
                        help=f"camera shake in pixels (default {DEFAULT_SHAKE:g} with shake, else 0: a still "
                             "camera; given alone it shakes the camera)")
    parser.add_argument("--noise", type=float, default=defaults.noise,
                        help=f"pixel noise std (default {defaults.noise})")
    parser.add_argument("--name", default="synth", help="dataset and sequence name prefix")
    return parser


def run(args):
    import math

    from fairmot.datasets.classes import canonical_name, parse_name_list
    from fairmot.datasets.synth_config import SYNTH_CLASSES
    from fairmot.datasets.synthetic import write_synthetic_dataset
    from fairmot.errors import UserError

    pan_speed, jitter = camera_settings(args.camera_motion, args.pan_speed, args.jitter)
    classes = tuple(dict.fromkeys(canonical_name(c) for c in parse_name_list(args.classes)))
    unknown = [c for c in classes if c not in SYNTH_CLASSES]
    if unknown:
        raise UserError(f"--classes: the generator cannot draw {', '.join(unknown)}; it draws "
                        f"{', '.join(SYNTH_CLASSES)}")
    if not (math.isfinite(args.cars) and 0 <= args.cars <= 20):
        raise UserError(f"--cars must be a number between 0 and 20, got {args.cars}")
    config = SynthConfig(width=args.width, height=args.height, frames=args.frames, fps=args.fps,
                         mean_people=args.people,
                         max_people=max(14, int(2 * args.people)) if math.isfinite(args.people) else 14,
                         jitter=jitter, noise=args.noise, pan_speed=pan_speed, classes=classes,
                         mean_cars=args.cars, max_cars=max(4, int(math.ceil(2 * args.cars))))
    summary = write_synthetic_dataset(args.outdir, sequences=args.sequences, seed=args.seed,
                                      val_sequences=args.val_sequences, config=config,
                                      name=args.name)
    print(summary.describe())
    print(f"training config: {args.outdir.rstrip('/')}/data.json")
    return 0
