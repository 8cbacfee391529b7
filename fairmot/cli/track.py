"""fairmot track SOURCE: track people in a video, a folder of images or a MOTChallenge sequence."""
from fairmot.inference.video_writer import VIDEO_FORMATS

from .common import add_overwrite_argument, add_tracking_arguments, build_detector, track_and_report, tracker_options


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "track", help="track people in a video, an image folder or a MOTChallenge sequence",
        description="Track people in SOURCE and write <output>/<name>.txt (MOTChallenge rows "
                    "frame,id,x,y,w,h,score,-1,-1,-1) and an annotated video <output>/<name>.avi "
                    "at the source's size and frame rate, both frame by frame: a crash or Ctrl-C "
                    "keeps what is done. Corrupt frames are skipped with a warning.")
    parser.add_argument("source", metavar="SOURCE",
                        help="a video file, a folder of images, or a MOTChallenge sequence folder "
                             "(img1/ + seqinfo.ini, whose frame rate is used)")
    add_tracking_arguments(parser)
    out = parser.add_argument_group("output")
    out.add_argument("--output", default="outputs", metavar="DIR",
                     help="folder for <name>.txt and the annotated video (default: outputs)")
    out.add_argument("--video-format", choices=VIDEO_FORMATS, default="avi",
                     help="annotated video: avi (Motion-JPEG, default; playable even after a hard "
                          "crash) or mp4 (mp4v, smaller, finished on exit or Ctrl-C)")
    out.add_argument("--no-video", action="store_true", help="write only the result file")
    add_overwrite_argument(out)
    out.add_argument("--fps", type=float, metavar="N",
                     help="frame rate of the source (default: the video's, seqinfo.ini's, or 30 "
                          "for a folder of images); scales the track buffer")
    return parser


def run(args):
    from fairmot.inference.sources import open_source

    options = tracker_options(args)
    with open_source(args.source, fps=args.fps) as source:
        detector = build_detector(args)
        track_and_report(source, detector, args.output, None if args.no_video else args.video_format, options,
                         overwrite=args.overwrite)
    return 0
