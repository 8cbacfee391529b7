"""fairmot random-model OUT.pth: write a random network whose heads behave like a detector."""
import os

from fairmot.errors import UserError


def add_parser(subparsers):
    p = subparsers.add_parser(
        "random-model", help="write a random checkpoint that behaves like a detector (to try the CLI)",
        description="Write a FairMOT checkpoint with a random backbone and heads rescaled so that it "
                    "finds 10-20 pedestrian-sized boxes per frame with varying embeddings: the "
                    "detections mean nothing, but every command runs on it as on a trained model.")
    p.add_argument("output", metavar="OUT.pth", help="checkpoint file to write (must not exist)")
    p.add_argument("--arch", default="resdcn_18", help="architecture (default resdcn_18)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--classes", metavar="LIST",
                   help="a model of several classes, comma-separated names, e.g. person,car (numbered 1, 2, ...; "
                        "default: one class, person)")
    return p


def run(args):
    if os.path.exists(args.output):
        raise UserError(f"{args.output} already exists: give a new file name")
    folder = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(folder):
        raise UserError(f"folder {folder} of {args.output} does not exist")

    from fairmot.models import list_archs
    from fairmot.models.random_init import detector_like_model, write_checkpoint

    if args.arch not in list_archs():
        raise UserError(f"unknown architecture {args.arch!r}; choose one of {', '.join(list_archs())}")
    table = None
    if args.classes:
        from fairmot.datasets.classes import ClassTable, canonical_name, parse_name_list
        names = tuple(dict.fromkeys(canonical_name(n) for n in parse_name_list(args.classes)))
        table = ClassTable(names, tuple(range(1, len(names) + 1))) if len(names) > 1 else None
    write_checkpoint(args.output, detector_like_model(args.arch, args.seed, table))
    what = f", classes {table.describe()}" if table is not None else ""
    print(f"wrote {args.output}: random {args.arch} (seed {args.seed}{what}), heads rescaled to act as a detector")
    return 0
