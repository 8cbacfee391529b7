"""``fairmot track SOURCE``: track people in a video, a folder of images or a MOTChallenge sequence.

Writes ``<output>/<name>.txt`` (MOTChallenge rows ``frame,id,x,y,w,h,score,-1,-1,-1``) and an
annotated video ``<output>/<name>.avi`` at the source's size and frame rate, frame by frame.
The tracking options and the detector set-up here are shared with ``fairmot eval --weights``.
"""
from fairmot import pipeline
from fairmot.errors import UserError
from fairmot.sources import open_source

BACKENDS = ("torch", "onnxruntime")
DEFAULT_INPUT_SIZE = "1088x608"
# --device -> onnxruntime execution providers (auto: onnxruntime's default choice)
ONNX_PROVIDERS = {"cpu": ["CPUExecutionProvider"], "cuda": ["CUDAExecutionProvider"]}


def add_tracking_arguments(parser, weights_required=True, title="model and tracker"):
    """Options of the detector and tracker, shared by every command that tracks."""
    group = parser.add_argument_group(title)
    group.add_argument("--weights", required=weights_required, metavar="FILE",
                       help="FairMOT checkpoint (.pth; architecture and heads are read from it), "
                            "or an exported .onnx model with --backend onnxruntime")
    group.add_argument("--backend", choices=BACKENDS, default="torch",
                       help="run the network with PyTorch (default) or ONNX Runtime (an exported model)")
    group.add_argument("--input-size", metavar="WxH",
                       help="network input size, multiples of 32 (default 1088x608; faster: 864x480, "
                            "576x320); an ONNX model runs at the size it was exported for")
    group.add_argument("--device", default="auto", help="auto (GPU if there is one), cpu or cuda[:N]")
    group.add_argument("--conf-thres", type=float, default=0.4,
                       help="detection score threshold (default 0.4; 0.3 for MOT15/MOT20-like scenes)")
    group.add_argument("--track-buffer", type=int, default=30,
                       help="frames (at 30 fps) a lost track is kept to be re-found (default 30)")
    group.add_argument("--byte", action="store_true",
                       help="BYTE association: also match low-score detections (0.2 < score < "
                            "--conf-thres) to tracks by IoU")
    return group


def tracker_options(args):
    if not 0.0 <= args.conf_thres < 1.0:
        raise UserError(f"--conf-thres must be in [0, 1), got {args.conf_thres}")
    if args.track_buffer < 1:
        raise UserError(f"--track-buffer must be at least 1, got {args.track_buffer}")
    return {"conf_thres": args.conf_thres, "track_buffer": args.track_buffer, "use_byte": args.byte}


def build_detector(args):
    """The detector the arguments ask for (model loaded; UserError for a bad checkpoint)."""
    if args.backend == "onnxruntime":
        from fairmot.onnx_detector import OnnxDetector
        return OnnxDetector(args.weights, input_size=args.input_size, conf_thres=args.conf_thres,
                            providers=ONNX_PROVIDERS.get(args.device.split(":")[0]))
    if str(args.weights).lower().endswith(".onnx"):
        raise UserError(f"{args.weights} is an ONNX model: run it with --backend onnxruntime")
    from fairmot.detector import Detector
    return Detector(args.weights, input_size=args.input_size or DEFAULT_INPUT_SIZE, device=args.device,
                    conf_thres=args.conf_thres)


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
    out.add_argument("--video-format", choices=pipeline.VIDEO_FORMATS, default="avi",
                     help="annotated video: avi (Motion-JPEG, default; playable even after a hard "
                          "crash) or mp4 (mp4v, smaller, finished on exit or Ctrl-C)")
    out.add_argument("--no-video", action="store_true", help="write only the result file")
    out.add_argument("--fps", type=float, metavar="N",
                     help="frame rate of the source (default: the video's, seqinfo.ini's, or 30 "
                          "for a folder of images); scales the track buffer")
    return parser


def track_and_report(source, detector, output, video_format, options):
    """Track ``source`` into ``output`` and print the summary, also when stopped by Ctrl-C."""
    try:
        summary = pipeline.track_to_folder(source, detector, output, video_format=video_format, **options)
    except pipeline.TrackingInterrupted as stop:
        print(stop.summary.format(), flush=True)
        raise
    print(summary.format(), flush=True)
    return summary


def run(args):
    options = tracker_options(args)
    with open_source(args.source, fps=args.fps) as source:
        detector = build_detector(args)
        track_and_report(source, detector, args.output, None if args.no_video else args.video_format, options)
    return 0
