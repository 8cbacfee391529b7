"""fairmot train: joint detection + re-ID training on JDE-format data (one process or torchrun)."""
import argparse

from fairmot.errors import UserError
from fairmot.training.config import LR_SCHEDULES, OPTIMIZERS


def _int_list(text):
    try:
        return tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise UserError(f"--lr-step {text!r}: expected comma-separated epochs, e.g. 20 or 20,27") from None


def _scale_range(text):
    try:
        low, high = (float(v) for v in text.split(","))
    except ValueError:
        raise UserError(f"--scale-range {text!r}: expected MIN,MAX, e.g. 0.5,1.2") from None
    if not 0 < low <= high:
        raise UserError(f"--scale-range {text!r}: need 0 < MIN <= MAX")
    return low, high


def _term_values(text, flag):
    """``"hm=1,wh=0.1"`` -> {"hm": 1.0, "wh": 0.1}: names of loss terms, finite values >= 0."""
    import math

    from fairmot.training.losses import DEFAULT_WEIGHTS
    values = {}
    for item in (t.strip() for t in str(text).split(",") if t.strip()):
        name, sep, number = item.partition("=")
        name = name.strip()
        if not sep or name not in DEFAULT_WEIGHTS:
            raise UserError(f"{flag} {text!r}: expected TERM=VALUE pairs, terms among {', '.join(DEFAULT_WEIGHTS)}")
        try:
            value = float(number)
        except ValueError:
            raise UserError(f"{flag} {text!r}: {number!r} is not a number") from None
        if not (math.isfinite(value) and value >= 0):
            raise UserError(f"{flag} {text!r}: {name} must be a finite number >= 0")
        values[name] = value
    if not values:
        raise UserError(f"{flag} {text!r}: expected TERM=VALUE pairs, e.g. hm=1,wh=0.1")
    return values


def check_options(args):
    """Every numeric option in its range (UserError naming the first that is not), before any work."""
    import math
    limits = [("--batch-size", args.batch_size >= 1, "at least 1"), ("--epochs", args.epochs >= 1, "at least 1"),
              ("--lr", math.isfinite(args.lr) and args.lr > 0, "a positive number"),
              ("--num-workers", args.num_workers >= 0, "0 or more"),
              ("--head-conv", args.head_conv is None or args.head_conv >= 1, "at least 1"),
              ("--reid-dim", args.reid_dim is None or args.reid_dim >= 1, "at least 1"),
              ("--save-every", args.save_every >= 0, "0 or more")]
    for flag, ok, what in limits:
        if not ok:
            raise UserError(f"{flag} must be {what}, got {getattr(args, flag[2:].replace('-', '_'))}")
    if any(step < 1 for step in _int_list(args.lr_step)):
        raise UserError(f"--lr-step {args.lr_step!r}: epochs count from 1")


ON_INTERRUPT = "checkpoints saved so far are kept"


def add_training_options(p, data_help=None):
    """The options ``fairmot train`` and ``fairmot distill`` share (network, schedule, loss
    balance, processes, checkpoints)."""
    p.add_argument("--output", required=True, help="folder for model_last.pth, model_<epoch>.pth, log.jsonl")
    p.add_argument("--arch", default="dla_34",
                   help="dla_34 (default), dlaconv_34, dlav0_34, resdcn_18/34, resdcn_18_w32, resdcn_18_w16, "
                        "resfpndcn_18/34, hrnet_18/32, yolov5s, hourglass_104")
    p.add_argument("--head-conv", type=int, default=None,
                   help="channels of the heads' hidden layer (default: the original's for --arch: 64 for yolov5s, "
                        "32 for resdcn_18_w16, else 256)")
    p.add_argument("--reid-dim", type=int, default=None,
                   help="re-ID embedding size (default: the original's for --arch: 64 for yolov5s, else 128)")
    p.add_argument("--classes", metavar="LIST",
                   help="the model's classes in heatmap order, comma-separated names, e.g. person,car (default: "
                        "every class of the training data, in the order data.json lists them; datasets are "
                        "matched by class name)")
    p.add_argument("--ltrb", action=argparse.BooleanOptionalAction, default=True,
                   help="4-value ltrb boxes (default) or --no-ltrb: wh")
    p.add_argument("--input-size", default="1088x608", help="WxH, multiples of 32 (default 1088x608)")
    p.add_argument("--batch-size", type=int, default=12, help="global batch size (split over processes)")
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--num-epochs", "--epochs", dest="epochs", type=int, default=30)
    p.add_argument("--lr-step", default="20", help="epochs after which lr x 0.1, comma-separated (default 20)")
    p.add_argument("--lr-schedule", choices=LR_SCHEDULES, default="step",
                   help="step (default): x0.1 after each --lr-step epoch; cosine: from --lr down to 0 over all "
                        "epochs, every step (centerX pairs it with --loss-balance adaptive)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="adam",
                   help="adam (default, FairMOT's) or sgd (momentum 0.9, weight decay 1e-4, as centerX; "
                        "its --lr is typically 10-100x Adam's)")
    p.add_argument("--loss-balance", choices=("uncertainty", "fixed", "adaptive"), default="uncertainty",
                   help="how loss terms are combined: uncertainty (default, FairMOT's learnable s_det / s_id), "
                        "fixed (--loss-weights), adaptive (centerX's: every term's weight set each step so that "
                        "it keeps its --loss-targets value; survives learning rates at which the others diverge)")
    p.add_argument("--loss-weights", metavar="TERM=W,...",
                   help="weights of loss terms for uncertainty / fixed balance (default hm=1,wh=0.1,off=1,id=1, "
                        "distillation's kd_hm=1,kd_wh=0.1,kd_off=1,kd_id=1)")
    p.add_argument("--loss-targets", metavar="TERM=V,...",
                   help="values adaptive balance holds terms at (default hm=1.5,wh=0.3,off=0.1,id=1, as centerX; "
                        "the kd_ terms alike)")
    p.add_argument("--num-workers", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scale-range", default="0.5,1.2",
                   help="MIN,MAX zoom of the random affine augmentation (default 0.5,1.2 as the original); "
                        "raise MAX when test scenes show people larger than any in the training images")
    p.add_argument("--no-augment", dest="augment", action="store_false", help="no HSV/affine/flip augmentation")
    p.add_argument("--no-amp", dest="amp", action="store_false", help="no mixed precision on CUDA")
    p.add_argument("--float64", action="store_true",
                   help="train in double precision (slow): for numerical checks, e.g. DDP against one process")
    p.add_argument("--sync-bn", action="store_true", help="BatchNorm statistics over all processes")
    p.add_argument("--save-every", type=int, default=0, help="also keep model_<epoch>.pth every N epochs")
    p.add_argument("--load-model", help="initial weights: FairMOT/CenterNet checkpoint or ImageNet DLA-34")
    p.add_argument("--reinit-heads", action="store_true",
                   help="with --load-model: start heads whose shapes differ from scratch (logged)")
    p.add_argument("--resume", nargs="?", const=True, default=False,
                   help="continue from OUTPUT/model_last.pth (or the given checkpoint) exactly")
    p.add_argument("--device", default="auto",
                   help="auto, cpu, cuda or cuda:N (under torchrun: each process its own GPU)")
    p.add_argument("--max-steps-per-epoch", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--log-steps", action="store_true", help="write every step's losses to OUTPUT/steps.jsonl")


def add_parser(subparsers):
    p = subparsers.add_parser(
        "train", help="train a FairMOT network on JDE-format data",
        description="Joint detection + re-ID training on JDE-format data, in one process or "
                    "several: torchrun --nproc_per_node N -m fairmot train ...")
    p.add_argument("--data", required=True, help="data config JSON {root, train: {name: list file}}")
    add_training_options(p)
    return p


def config_options(args):
    """The TrainConfig fields the shared options give (checked; UserError for the first bad one)."""
    from fairmot.datasets.classes import parse_name_list
    from fairmot.device import parse_device
    from fairmot.utils.parsing import parse_input_size

    parse_device(args.device)  # before torch loads
    input_size = parse_input_size(args.input_size)
    check_options(args)
    from fairmot.models import list_archs
    if args.arch not in list_archs():
        raise UserError(f"unknown --arch {args.arch!r}; choose one of {', '.join(list_archs())}")
    weights = {"hm": 1.0, "wh": 0.1, "off": 1.0, "id": 1.0}
    if args.loss_weights:
        weights.update(_term_values(args.loss_weights, "--loss-weights"))
    return dict(
        output=args.output, arch=args.arch, head_conv=args.head_conv, reid_dim=args.reid_dim,
        ltrb=args.ltrb, input_size=input_size, batch_size=args.batch_size, lr=args.lr,
        epochs=args.epochs, lr_steps=_int_list(args.lr_step), num_workers=args.num_workers, seed=args.seed,
        augment=args.augment, scale_range=_scale_range(args.scale_range), amp=args.amp, float64=args.float64,
        sync_bn=args.sync_bn, save_every=args.save_every,
        load_model=args.load_model, reinit_heads=args.reinit_heads, resume=args.resume, device=args.device,
        max_steps_per_epoch=args.max_steps_per_epoch, log_steps=args.log_steps,
        classes=tuple(parse_name_list(args.classes)) if args.classes else None,
        loss_balance=args.loss_balance, lr_schedule=args.lr_schedule, optimizer=args.optimizer, loss_weights=weights,
        loss_targets=_term_values(args.loss_targets, "--loss-targets") if args.loss_targets else {})


def run(args):
    options = config_options(args)
    from fairmot.training.config import TrainConfig
    from fairmot.training.distributed import cleanup
    from fairmot.training.trainer import Trainer

    cfg = TrainConfig(data=args.data, **options)
    try:
        Trainer(cfg).fit()
    finally:
        cleanup()
    return 0
