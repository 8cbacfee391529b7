"""fairmot convert {mot,crowdhuman,coco}: write a dataset in FairMOT's JDE layout.

The output folder gets ``images/`` (links to the original images, never copies unless asked),
``labels_with_ids/``, list files ``<name>.train`` / ``<name>.val`` and a ``data.json`` that
training reads. Converting several datasets into one folder adds them all to its data.json.
"""
from fairmot.datasets.classes import parse_name_list, parse_number_list
from fairmot.utils.parsing import parse_frame_range

ON_INTERRUPT = "the unfinished conversion was removed; earlier datasets in --out are unchanged"


def add_parser(subparsers):
    parser = subparsers.add_parser("convert", help="convert MOTChallenge / CrowdHuman / COCO "
                                   "annotations to FairMOT's JDE training layout",
                                   description="Write MOTChallenge, CrowdHuman or COCO annotations as a dataset in "
                                   "FairMOT's JDE layout (images linked, labels_with_ids/, list files, data.json).")
    kinds = parser.add_subparsers(dest="kind", metavar="KIND")
    kinds.required = True

    mot = kinds.add_parser("mot", help="MOTChallenge sequences (MOT15 rows or MOT16/17/20)")
    mot.add_argument("sequences", nargs="+", metavar="SEQ_DIR",
                     help="sequence folders with seqinfo.ini, gt/gt.txt and img1/")
    mot.add_argument("--gt-format", default="auto", metavar="{auto,mot15,mot16}",
                     help="mot15: every row a pedestrian; mot16: MOT16/17/20 rows, keep mark 1 "
                          "class 1; auto: by column count (default)")
    mot.add_argument("--train-frames", metavar="A-B", help="frames listed for training "
                     "(default: 1 to the last annotated frame)")
    mot.add_argument("--val-frames", metavar="A-B", help="frames listed for validation")
    mot.add_argument("--half", action="store_true", help="first half of each sequence to "
                     "<name>.train, second half to <name>.val")
    mot.add_argument("--classes", default="1", metavar="LIST",
                     help="MOT16/17/20: MOT17 class numbers to keep, each its own class in this order, e.g. "
                          "1,3,4,5 (pedestrian, car, bicycle, motorbike; default 1: pedestrians)")
    mot.add_argument("--min-visibility", type=float, default=0.0,
                     help="MOT16/17/20: leave out boxes less visible than this (default 0)")
    mot.add_argument("--labels-only", action="store_true",
                     help="write labels only (ground truth without frames); no list files")
    mot.add_argument("--name", default="mot", help="dataset name in data.json (default mot)")

    crowd = kinds.add_parser("crowdhuman", help="CrowdHuman .odgt (full-body boxes)")
    crowd.add_argument("odgt", help="annotation_train.odgt or annotation_val.odgt")
    crowd.add_argument("--images", required=True, help="folder with <ID>.jpg")
    crowd.add_argument("--name", default="crowdhuman", help="dataset name (default crowdhuman)")

    coco = kinds.add_parser("coco", help="COCO-format annotations, one or more categories, no identities")
    coco.add_argument("annotations", help="COCO annotation JSON")
    coco.add_argument("--images", required=True, help="folder with the images' file_name")
    coco.add_argument("--categories", "--category", dest="categories", default="person", metavar="LIST",
                      help="categories to keep, comma-separated names or COCO ids, each its own class in this "
                           "order, e.g. person,car,bicycle (default person)")
    coco.add_argument("--name", default="coco", help="dataset name (default coco)")

    for sub in (mot, crowd, coco):
        sub.add_argument("--out", required=True, help="output folder (created; may hold other "
                         "converted datasets)")
        sub.add_argument("--copy-images", action="store_true",
                         help="copy images instead of linking them")
    return parser


def run(args):
    from fairmot.datasets.convert_coco import convert_coco
    from fairmot.datasets.convert_crowdhuman import convert_crowdhuman
    from fairmot.datasets.convert_mot import convert_mot, plan_parts

    if args.kind == "mot":
        parts = plan_parts(args.sequences,
                           parse_frame_range(args.train_frames) if args.train_frames else None,
                           parse_frame_range(args.val_frames) if args.val_frames else None,
                           half=args.half)
        summary = convert_mot(parts, args.out, args.name, gt_format=args.gt_format,
                              min_visibility=args.min_visibility, labels_only=args.labels_only,
                              copy_images=args.copy_images,
                              classes=tuple(parse_number_list(args.classes, "--classes", "1,3,4,5")))
    elif args.kind == "crowdhuman":
        summary = convert_crowdhuman(args.odgt, args.images, args.out, args.name,
                                     copy_images=args.copy_images)
    else:
        summary = convert_coco(args.annotations, args.images, args.out, args.name,
                               categories=parse_name_list(args.categories), copy_images=args.copy_images)
    print(summary.describe())
    for split, list_file in summary.list_files.items():
        print(f"  {split}: {list_file}")
    return 0
