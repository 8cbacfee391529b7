"""fairmot synth OUTDIR: write synthetic pedestrian sequences ready to train and evaluate on.

OUTDIR gets MOTChallenge sequences (synth-NN/img1, gt/gt.txt, seqinfo.ini), their JDE labels and
list files, and OUTDIR/data.json (train: the first sequences, test: the last --val-sequences,
held out).
"""
from fairmot.datasets.synth_config import SynthConfig

ON_INTERRUPT = "the unfinished dataset was removed"


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
    parser.add_argument("--jitter", type=float, default=defaults.jitter,
                        help="camera shake in pixels (default 0: static camera)")
    parser.add_argument("--noise", type=float, default=defaults.noise,
                        help=f"pixel noise std (default {defaults.noise})")
    parser.add_argument("--name", default="synth", help="dataset and sequence name prefix")
    return parser


def run(args):
    import math

    from fairmot.datasets.synthetic import write_synthetic_dataset

    config = SynthConfig(width=args.width, height=args.height, frames=args.frames, fps=args.fps,
                         mean_people=args.people,
                         max_people=max(14, int(2 * args.people)) if math.isfinite(args.people) else 14,
                         jitter=args.jitter, noise=args.noise)
    summary = write_synthetic_dataset(args.outdir, sequences=args.sequences, seed=args.seed,
                                      val_sequences=args.val_sequences, config=config,
                                      name=args.name)
    print(summary.describe())
    print(f"training config: {args.outdir.rstrip('/')}/data.json")
    return 0
