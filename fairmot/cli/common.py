"""Options and set-up shared by the commands that track (track, eval --weights, demo)."""
import argparse
import math

from fairmot.errors import UserError

BACKENDS = ("torch", "onnxruntime", "openvino")
# the backend a weights file implies when --backend is not given
BACKEND_OF_SUFFIX = {".onnx": "onnxruntime", ".xml": "openvino"}
# fairmot.trackers.list_trackers() and DEFAULT_TRACKER, spelled out so that --help needs no numpy
# (tests/cli check that they agree)
TRACKERS = ("fairmot", "hybrid")
DEFAULT_TRACKER = "hybrid"


def add_tracking_arguments(parser: argparse.ArgumentParser, weights_required: bool = True,
                           title: str = "model and tracker"):
    """Options of the detector and tracker, shared by every command that tracks."""
    group = parser.add_argument_group(title)
    group.add_argument("--weights", required=weights_required, metavar="FILE",
                       help="FairMOT checkpoint (.pth; architecture and heads are read from it), or a model "
                            "from fairmot export: .onnx (onnxruntime) or .xml (OpenVINO)")
    group.add_argument("--backend", choices=BACKENDS, default=None,
                       help="run the network with PyTorch, ONNX Runtime or OpenVINO (default: from the "
                            "weights file: .onnx onnxruntime, .xml openvino, else torch)")
    group.add_argument("--threads", type=int, default=None, metavar="N",
                       help="CPU threads of the network (default: every core)")
    group.add_argument("--input-size", metavar="WxH",
                       help="network input size, multiples of 32 (default: the size the checkpoint was "
                            "trained at, else 1088x608; faster: 864x480, 576x320); an ONNX model runs "
                            "at the size it was exported for")
    group.add_argument("--device", default="auto", help="auto (GPU if there is one), cpu, cuda or cuda:N")
    group.add_argument("--tracker", choices=TRACKERS, default=None,
                       help=f"association: hybrid (ByteTrack-style two-stage matching with an appearance "
                            f"veto; see fairmot.trackers) or fairmot (the original's, bit for bit) (default "
                            f"{DEFAULT_TRACKER})")
    group.add_argument("--tracker-option", action="append", default=[], metavar="KEY=VALUE",
                       help="any keyword option of the tracker, e.g. min_hits=3 (repeat for more)")
    group.add_argument("--tracker-config", metavar="FILE.json",
                       help="the tracker and its options from a file written by 'fairmot tune'; options "
                            "given on the command line beside it win")
    group.add_argument("--conf-thres", type=float, default=None,
                       help="detection score threshold of --tracker fairmot (default 0.4; 0.3 for "
                            "MOT15/MOT20-like scenes)")
    group.add_argument("--track-buffer", type=int, default=None,
                       help="frames (at 30 fps) a lost track is kept to be re-found (default 30)")
    group.add_argument("--byte", action="store_true",
                       help="BYTE association for --tracker fairmot: also match low-score detections "
                            "(0.2 < score < --conf-thres) to tracks by IoU (hybrid always does)")
    group.add_argument("--min-box-area", type=float, default=100, metavar="PIXELS",
                       help="output only tracks whose box is larger (default 100, FairMOT's)")
    group.add_argument("--max-aspect-ratio", type=float, default=1.6, metavar="W/H",
                       help="output only tracks whose width / height is at most this (default 1.6: "
                            "FairMOT's rule for people)")
    group.add_argument("--camera-motion", action="store_true",
                       help="estimate the camera's motion between frames (optical flow) and compensate it in "
                            "the tracker: for moving or shaking cameras")
    group.add_argument("--classes", metavar="LIST",
                       help="a model of several classes: track only these, comma-separated names or class "
                            "numbers, e.g. person,car (default: every class the model has)")
    group.add_argument("--no-box-filter", action="store_true",
                       help="output every track, whatever its size and shape (other objects than people)")
    return group


def _option_value(text: str):
    """A --tracker-option value: int, float, true/false, none, else the text."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "none":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def tracker_options(args) -> dict:
    """The tracker's keyword arguments; checks every tracking option first (UserError), so that
    a bad value is found before any file is opened or model loaded."""
    from fairmot.device import parse_device
    from fairmot.utils.parsing import parse_input_size

    parse_device(args.device)
    if args.input_size:
        parse_input_size(args.input_size)
    if args.conf_thres is not None and not 0.0 <= args.conf_thres < 1.0:
        raise UserError(f"--conf-thres must be in [0, 1), got {args.conf_thres}")
    if args.track_buffer is not None and args.track_buffer < 1:
        raise UserError(f"--track-buffer must be at least 1, got {args.track_buffer}")
    if not math.isfinite(args.min_box_area) or args.min_box_area < 0:
        raise UserError(f"--min-box-area must be 0 or more, got {args.min_box_area}")
    if not (math.isfinite(args.max_aspect_ratio) and args.max_aspect_ratio > 0):
        raise UserError(f"--max-aspect-ratio must be a positive number, got {args.max_aspect_ratio}")
    config = {"tracker": None, "options": {}}
    if getattr(args, "tracker_config", None):
        from fairmot.tuning.config_file import read_tracker_config
        config = read_tracker_config(args.tracker_config)
        if args.tracker and args.tracker != config["tracker"]:
            raise UserError(f"--tracker {args.tracker} and --tracker-config {args.tracker_config} (tracker "
                            f"{config['tracker']}) disagree: give one of them")
    tracker = args.tracker or config["tracker"] or DEFAULT_TRACKER
    # the tracker's defaults, then the config file, then the flags given
    options = {"track_buffer": 30, **config["options"]}
    if args.track_buffer is not None:
        options["track_buffer"] = args.track_buffer
    if tracker == "fairmot":
        if args.conf_thres is not None or "conf_thres" not in options:
            options["conf_thres"] = _detector_threshold(args)
        options["use_byte"] = args.byte or bool(options.get("use_byte", False))
    elif args.byte or args.conf_thres is not None:
        flag = "--byte" if args.byte else "--conf-thres"
        raise UserError(f"{flag} is an option of --tracker fairmot; for --tracker {tracker} set its "
                        "thresholds with --tracker-option (e.g. reid_new_track_thresh=0.5)")
    for item in args.tracker_option:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--tracker-option {item!r}: write KEY=VALUE, e.g. min_hits=3")
        options[key.strip()] = _option_value(value)
    options["tracker"] = tracker
    if args.camera_motion:
        options["camera_motion"] = True
    if getattr(args, "classes", None):
        from fairmot.datasets.classes import parse_name_list
        options["classes"] = parse_name_list(args.classes)
    options["min_box_area"] = 0.0 if args.no_box_filter else args.min_box_area
    options["max_aspect_ratio"] = None if args.no_box_filter else args.max_aspect_ratio
    return options


def build_detector(args):
    """The detector the arguments ask for (model loaded; UserError for a bad checkpoint)."""
    from fairmot.utils.parsing import parse_input_size
    input_size = parse_input_size(args.input_size) if args.input_size else None  # None: the model's size
    return make_detector(args.weights, getattr(args, "backend", None), input_size, args.device,
                         _detector_threshold(args), getattr(args, "threads", None))


def make_detector(weights, backend, input_size, device, conf_thres, threads=None, tracking=True):
    """The one place a detector is made for a command: ``backend`` None follows ``weights``' suffix.
    ``tracking``: the command tracks, so the model needs its re-ID head (a CenterNet detector has none)."""
    import os
    if threads is not None and threads < 1:
        raise UserError(f"--threads must be at least 1, got {threads}")
    suffix = os.path.splitext(str(weights))[1].lower() if isinstance(weights, (str, os.PathLike)) else ""
    backend = backend or BACKEND_OF_SUFFIX.get(suffix, "torch")
    expected = {v: k for k, v in BACKEND_OF_SUFFIX.items()}.get(backend)
    if expected and suffix != expected:
        raise UserError(f"--backend {backend} runs a {expected} model from 'fairmot export'; {weights} is not one: "
                        f"export it first (fairmot export --weights {weights} --output NAME{expected})")
    if backend == "onnxruntime":
        from fairmot.device import onnx_providers
        from fairmot.export.runtime import import_onnx_packages
        from fairmot.inference.onnx_detector import OnnxDetector
        import_onnx_packages("onnxruntime")
        return OnnxDetector(weights, input_size=input_size, conf_thres=conf_thres,
                            providers=onnx_providers(device), threads=threads)
    if backend == "openvino":
        if str(device) not in ("auto", "cpu"):
            raise UserError(f"--backend openvino runs on the CPU here, not on {device!r}: drop --device")
        from fairmot.inference.openvino_detector import OpenVinoDetector
        return OpenVinoDetector(weights, input_size=input_size, conf_thres=conf_thres, threads=threads)
    if suffix in BACKEND_OF_SUFFIX:
        raise UserError(f"{weights} is an exported model: run it with --backend {BACKEND_OF_SUFFIX[suffix]}")
    if threads is not None:
        import torch
        torch.set_num_threads(threads)
    from fairmot.inference.torch_detector import Detector
    detector = Detector(weights, input_size=input_size, device=device, conf_thres=conf_thres)
    if tracking and "id" not in detector.model.heads:
        raise UserError(f"{weights} has no re-ID head (id): it detects (fairmot detect) but cannot track; "
                        f"train one from it: fairmot train --load-model {weights} --reinit-heads ...")
    return detector


def _detector_threshold(args) -> float:
    """The detector's starting threshold; tracking sets it to what the tracker uses."""
    return 0.4 if args.conf_thres is None else args.conf_thres


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
