"""Options and set-up shared by the commands that track (track, eval --weights, demo)."""
import argparse

from fairmot.errors import UserError

BACKENDS = ("torch", "onnxruntime")


def add_tracking_arguments(parser: argparse.ArgumentParser, weights_required: bool = True,
                           title: str = "model and tracker"):
    """Options of the detector and tracker, shared by every command that tracks."""
    group = parser.add_argument_group(title)
    group.add_argument("--weights", required=weights_required, metavar="FILE",
                       help="FairMOT checkpoint (.pth; architecture and heads are read from it), "
                            "or an exported .onnx model with --backend onnxruntime")
    group.add_argument("--backend", choices=BACKENDS, default="torch",
                       help="run the network with PyTorch (default) or ONNX Runtime (an exported model)")
    group.add_argument("--input-size", metavar="WxH",
                       help="network input size, multiples of 32 (default: the size the checkpoint was "
                            "trained at, else 1088x608; faster: 864x480, 576x320); an ONNX model runs "
                            "at the size it was exported for")
    group.add_argument("--device", default="auto", help="auto (GPU if there is one), cpu, cuda or cuda:N")
    group.add_argument("--conf-thres", type=float, default=0.4,
                       help="detection score threshold (default 0.4; 0.3 for MOT15/MOT20-like scenes)")
    group.add_argument("--track-buffer", type=int, default=30,
                       help="frames (at 30 fps) a lost track is kept to be re-found (default 30)")
    group.add_argument("--byte", action="store_true",
                       help="BYTE association: also match low-score detections (0.2 < score < "
                            "--conf-thres) to tracks by IoU")
    return group


def tracker_options(args) -> dict:
    """The tracker's keyword arguments; checks every tracking option first (UserError), so that
    a bad value is found before any file is opened or model loaded."""
    from fairmot.device import parse_device
    from fairmot.utils.parsing import parse_input_size

    parse_device(args.device)
    if args.input_size:
        parse_input_size(args.input_size)
    if not 0.0 <= args.conf_thres < 1.0:
        raise UserError(f"--conf-thres must be in [0, 1), got {args.conf_thres}")
    if args.track_buffer < 1:
        raise UserError(f"--track-buffer must be at least 1, got {args.track_buffer}")
    return {"conf_thres": args.conf_thres, "track_buffer": args.track_buffer, "use_byte": args.byte}


def build_detector(args):
    """The detector the arguments ask for (model loaded; UserError for a bad checkpoint)."""
    from fairmot.utils.parsing import parse_input_size

    if args.backend == "onnxruntime":
        from fairmot.device import onnx_providers
        from fairmot.export.onnx import import_onnx_packages
        from fairmot.inference.onnx_detector import OnnxDetector
        import_onnx_packages("onnxruntime")
        return OnnxDetector(args.weights, input_size=args.input_size, conf_thres=args.conf_thres,
                            providers=onnx_providers(args.device))
    if str(args.weights).lower().endswith(".onnx"):
        raise UserError(f"{args.weights} is an ONNX model: run it with --backend onnxruntime")
    from fairmot.inference.torch_detector import Detector
    input_size = parse_input_size(args.input_size) if args.input_size else None  # None: the trained size
    return Detector(args.weights, input_size=input_size, device=args.device, conf_thres=args.conf_thres)


def add_overwrite_argument(group):
    group.add_argument("--overwrite", action="store_true",
                       help="replace results that already exist (default: refuse; nothing is ever written "
                            "over a source)")


def track_and_report(source, detector, output, video_format, options, run=None, overwrite=False):
    """Track ``source`` into ``output`` and print the summary, also when stopped by Ctrl-C.

    ``run(source, detector, output, video_format=..., **options)`` does the tracking (default
    :func:`fairmot.inference.pipeline.track_to_folder`) and returns a summary or an object
    with a ``summary``.
    """
    from fairmot.inference import pipeline
    run = run or pipeline.track_to_folder
    try:
        result = run(source, detector, output, video_format=video_format, overwrite=overwrite, **options)
    except pipeline.TrackingInterrupted as stop:
        print(stop.summary.format(), flush=True)
        raise
    print(getattr(result, "summary", result).format(), flush=True)
    return result
