"""fairmot distill: train a student network from frozen teachers, on labelled and/or unlabelled frames."""
import argparse

from fairmot.distillation.config import HEATMAP_LOSSES
from fairmot.errors import UserError

from .train import add_training_options, config_options

ON_INTERRUPT = "checkpoints saved so far are kept"


def add_parser(subparsers):
    p = subparsers.add_parser(
        "distill", help="distil teacher networks into a (fast) student, with or without labels",
        description="Knowledge distillation as centerX's, extended to FairMOT's heads: the student learns the "
                    "teachers' heatmaps (squared difference of probabilities), box sizes and centre offsets (L1 at "
                    "the teachers' peaks, weighted by their scores) and embeddings (cosine, or a relation loss when "
                    "the sizes differ), on the same augmented batch; with --data the label losses are added. "
                    "Several teachers may each teach some of the student's classes. The options of fairmot train "
                    "apply (schedule, resume, torchrun / DDP, AMP).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--teacher", action="append", required=True, metavar="PATH[:CLASSES][@WxH]",
                   help="a checkpoint fairmot loads (any architecture); :CLASSES the student classes it teaches "
                        "(default: all of its own the student has; a one-class teacher may teach another name), "
                        "@WxH the input size it runs at (default: the student's --input-size). Repeat for several")
    p.add_argument("--data", help="labelled data config JSON (as fairmot train's): its label losses are added")
    p.add_argument("--unlabeled", action="append", default=[], metavar="SOURCE[:A-B]",
                   help="frames without labels: a video file, a folder of images or a MOT sequence, optionally "
                        "frames A-B only (e.g. ../shared/data/PETS09-S2L1:1-400). Repeat for several")
    p.add_argument("--sample-every", type=int, default=1, metavar="K",
                   help="take every K-th frame of each --unlabeled source (default 1)")
    p.add_argument("--kd-heatmap", choices=HEATMAP_LOSSES, default="mse",
                   help="heatmap distillation loss: mse (centerX's: squared difference of probabilities) or kl "
                        "(each pixel's Bernoulli KL divergence: the student also learns the faint teacher peaks it "
                        "has not found yet; for students that start from trained weights, --load-model: from "
                        "scratch it collapsed). Default mse")
    p.add_argument("--label-weight", type=float, default=1.0,
                   help="with --data: the label losses' weights (adaptive: targets) times this (default 1)")
    add_training_options(p)
    return p


def run(args):
    import math
    if args.sample_every < 1:
        raise UserError(f"--sample-every must be at least 1, got {args.sample_every}")
    if not (math.isfinite(args.label_weight) and args.label_weight >= 0):
        raise UserError(f"--label-weight must be a finite number >= 0, got {args.label_weight}")
    if not args.data and not args.unlabeled:
        raise UserError("nothing to learn from: give --data (labelled) and/or --unlabeled SOURCE")
    options = config_options(args)
    from fairmot.distillation.config import DistillConfig
    from fairmot.distillation.distiller import Distiller
    from fairmot.distillation.teachers import parse_teacher_spec
    from fairmot.distillation.unlabeled import parse_unlabeled_spec
    from fairmot.training.distributed import cleanup

    for spec in args.teacher:      # a missing file or a bad size before anything loads
        parse_teacher_spec(spec)
    for spec in args.unlabeled:
        parse_unlabeled_spec(spec)
    cfg = DistillConfig(data=args.data, teachers=tuple(args.teacher), unlabeled=tuple(args.unlabeled),
                        sample_every=args.sample_every, label_weight=args.label_weight,
                        heatmap_loss=args.kd_heatmap, **options)
    try:
        Distiller(cfg).fit()
    finally:
        cleanup()
    return 0
