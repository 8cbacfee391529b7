"""fairmot detect [IMAGE]: run the network on one frame, print what it found and how long it took."""
import os
import statistics

from fairmot.errors import UserError


def add_parser(subparsers):
    p = subparsers.add_parser("detect", help="detect people in one image (or a generated frame) and time it",
                              description="Run the network on one image (or a generated frame), print what it "
                              "found and how long each step took.")
    p.add_argument("image", nargs="?", help="image file; omitted: a generated 1280x720 synthetic frame")
    p.add_argument("--weights", help="FairMOT checkpoint (architecture and heads are read from it) or an "
                                     "exported .onnx / .xml model; omitted: an untrained network of --arch, "
                                     "for timing only")
    p.add_argument("--backend", choices=("torch", "onnxruntime", "openvino"), default=None,
                   help="default: from the weights file (.onnx onnxruntime, .xml openvino, else torch)")
    p.add_argument("--threads", type=int, default=None, metavar="N", help="CPU threads (default: every core)")
    p.add_argument("--arch", default="dla_34", help="architecture when no --weights (default dla_34)")
    p.add_argument("--input-size", default=None,
                   help="network input WxH (default: the model's trained or exported size, else 1088x608)")
    p.add_argument("--conf-thres", type=float, default=0.4)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--runs", type=int, default=3, help="timed runs after one warm-up (default 3)")
    p.add_argument("--show", type=int, default=10, help="detections to list (default 10)")
    return p


def generated_frame(width=1280, height=720, seed=0):
    """A frame of the project's synthetic scene generator (people walking on textured ground)."""
    import numpy as np

    from fairmot.datasets.synthetic import SynthConfig, SyntheticScene
    scene = SyntheticScene(SynthConfig(width=width, height=height), np.random.default_rng(seed))
    frame, rows, _ = scene.render()
    return frame, len(rows)


def run(args):
    import cv2
    import torch

    from fairmot.models import create_model
    from fairmot.utils.parsing import parse_input_size

    from .common import make_detector

    if args.image:
        if not os.path.isfile(args.image):
            raise UserError(f"image {args.image!r} not found")
        frame = cv2.imread(args.image)
        if frame is None:
            raise UserError(f"cannot read {args.image!r} as an image")
        source = args.image
    else:
        frame, people = generated_frame()
        source = f"generated 1280x720 synthetic frame with {people} people"
    input_size = parse_input_size(args.input_size) if args.input_size else None
    if args.weights:
        weights, what = args.weights, args.weights
    else:
        if args.backend not in (None, "torch"):
            raise UserError(f"--backend {args.backend} needs --weights: an exported model")
        try:
            weights = create_model(args.arch)
        except ValueError as err:
            raise UserError(str(err)) from None
        input_size = input_size or (1088, 608)
        what = f"untrained {args.arch} (no --weights: detections are meaningless, timings are real)"
    detector = make_detector(weights, args.backend, input_size, args.device, args.conf_thres, args.threads,
                             tracking=False)
    where = getattr(detector, "device", None) or "cpu"
    threads = args.threads or torch.get_num_threads()
    print(f"model: {what} ({type(detector).__name__})\ninput: {source} ({frame.shape[1]}x{frame.shape[0]}) -> "
          f"network {detector.input_size[0]}x{detector.input_size[1]} on {where}, {threads} threads")
    detector(frame)  # warm-up
    timings = []
    for _ in range(max(1, args.runs)):
        boxes, embeddings, classes = detector(frame)
        timings.append(detector.timings)
    names = detector.class_table.names
    what_found = "people" if names == ("person",) else "objects"
    print(f"found {len(boxes)} {what_found} with score > {args.conf_thres}"
          + ((f" (embeddings {embeddings.shape[1]}-d)" if embeddings.shape[1] else " (no re-ID head)")
             if len(boxes) else ""))
    for i, ((x1, y1, x2, y2, score), cls) in enumerate(zip(boxes[:args.show], classes)):
        label = f"  {names[cls]:<12}" if len(names) > 1 else ""
        print(f"  {i + 1:3d}{label}  score {score:.3f}  box x1={x1:.1f} y1={y1:.1f} x2={x2:.1f} y2={y2:.1f}")
    if len(boxes) > args.show:
        print(f"  ... {len(boxes) - args.show} more")
    parts = {k: statistics.median(t[k] for t in timings) for k in timings[0]}
    total = sum(parts.values())
    print(f"time per frame (median of {len(timings)}): {total:.3f} s = "
          + ", ".join(f"{k} {v:.3f} s" for k, v in parts.items()) + f"  ({1 / total:.2f} frames/s)")
    return 0
