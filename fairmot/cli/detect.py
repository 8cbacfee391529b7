"""fairmot detect [IMAGE]: run the network on one frame, print what it found and how long it took."""
import os
import statistics

from fairmot.errors import UserError


def add_parser(subparsers):
    p = subparsers.add_parser("detect", help="detect people in one image (or a generated frame) and time it",
                              description="Run the network on one image (or a generated frame), print what it "
                              "found and how long each step took.")
    p.add_argument("image", nargs="?", help="image file; omitted: a generated 1280x720 synthetic frame")
    p.add_argument("--weights", help="FairMOT checkpoint (architecture and heads are read from it); "
                                     "omitted: an untrained network of --arch, for timing only")
    p.add_argument("--arch", default="dla_34", help="architecture when no --weights (default dla_34)")
    p.add_argument("--input-size", default="1088x608", help="network input WxH (default 1088x608)")
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

    from fairmot.inference.torch_detector import Detector
    from fairmot.models import create_model

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
    if args.weights:
        weights, what = args.weights, args.weights
    else:
        try:
            weights = create_model(args.arch)
        except ValueError as err:
            raise UserError(str(err)) from None
        what = f"untrained {args.arch} (no --weights: detections are meaningless, timings are real)"
    detector = Detector(weights, args.input_size, args.device, conf_thres=args.conf_thres)
    print(f"model: {what}\ninput: {source} ({frame.shape[1]}x{frame.shape[0]}) -> network "
          f"{detector.input_size[0]}x{detector.input_size[1]} on {detector.device}, "
          f"{torch.get_num_threads()} threads")
    detector(frame)  # warm-up
    timings = []
    for _ in range(max(1, args.runs)):
        boxes, embeddings = detector(frame)
        timings.append(detector.timings)
    print(f"found {len(boxes)} people with score > {args.conf_thres}"
          + (f" (embeddings {embeddings.shape[1]}-d)" if len(boxes) else ""))
    for i, (x1, y1, x2, y2, score) in enumerate(boxes[:args.show]):
        print(f"  {i + 1:3d}  score {score:.3f}  box x1={x1:.1f} y1={y1:.1f} x2={x2:.1f} y2={y2:.1f}")
    if len(boxes) > args.show:
        print(f"  ... {len(boxes) - args.show} more")
    parts = {k: statistics.median(t[k] for t in timings) for k in timings[0]}
    total = sum(parts.values())
    print(f"time per frame (median of {len(timings)}): {total:.3f} s = "
          + ", ".join(f"{k} {v:.3f} s" for k, v in parts.items()) + f"  ({1 / total:.2f} frames/s)")
    return 0
