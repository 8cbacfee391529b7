"""``Detector``: one object that turns a BGR frame into boxes and re-ID embeddings."""
import time

import numpy as np
import torch

from .decoding import decode
from .errors import UserError
from .models import model_from_checkpoint
from .preprocess import frame_to_input


def parse_input_size(text):
    """"1088x608" -> (1088, 608); both must be multiples of 32 (the network's total stride)."""
    try:
        width, height = (int(v) for v in str(text).lower().split("x"))
    except ValueError:
        raise UserError(f"input size {text!r} must look like WIDTHxHEIGHT, e.g. 1088x608") from None
    if width <= 0 or height <= 0 or width % 32 or height % 32:
        raise UserError(f"input size {width}x{height}: width and height must be positive multiples of 32")
    return width, height


def training_input_size(weights, default=(1088, 608)):
    """The input size a checkpoint was trained at (recorded by ``fairmot train``), else ``default``."""
    from .models import read_checkpoint
    _, meta = read_checkpoint(weights)
    size = (meta.get("config") or {}).get("input_size")
    return tuple(size) if size else default


def resolve_device(device="auto"):
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"device {device!r} asked for, but this torch build sees no CUDA GPU; use --device cpu")
    return torch.device(device)


def check_frame(frame_bgr):
    if frame_bgr is None or frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3:
        raise ValueError("expected a BGR frame of shape (H, W, 3)")


def confident_detections(boxes, embeddings, conf_thres, letterbox):
    """Keep rows with score > conf_thres of one image's top-K list and map them to the frame.

    boxes: (K, 5) x1, y1, x2, y2, score in network-input pixels; embeddings: (K, D).
    Returns boxes (N, 5) float64 in frame pixels and embeddings (N, D) float32, contiguous.
    """
    keep = boxes[:, 4] > conf_thres
    return letterbox.to_frame(boxes[keep]), np.ascontiguousarray(embeddings[keep], dtype=np.float32)


class Detector:
    """FairMOT detection + embedding for single frames.

    Args:
        weights: checkpoint path (architecture and heads read from it) or a built model.
        input_size: network input (width, height) or "WxH"; 1088x608 as the original, 864x480 and
            576x320 trade accuracy for speed.
        device: "auto", "cpu", "cuda", ...
        conf_thres: keep detections with score > conf_thres (0.4 for MOT16/17, 0.3 for MOT15/20).
        K: heatmap peaks considered per frame.

    ``detector(frame)`` returns ``(boxes, embeddings)``: boxes (N, 5) float64 x1, y1, x2, y2, score in
    frame pixels, best first; embeddings (N, D) float32 unit vectors. ``timings`` holds the last
    call's seconds for "preprocess", "network" and "decode".
    """

    def __init__(self, weights, input_size=(1088, 608), device="auto", conf_thres=0.4, K=500):
        self.device = resolve_device(device)
        self.model = model_from_checkpoint(weights) if isinstance(weights, (str, bytes)) or hasattr(
            weights, "__fspath__") else weights.eval()
        self.model.to(self.device)
        self.input_size = parse_input_size(input_size) if isinstance(input_size, str) else tuple(input_size)
        parse_input_size("%dx%d" % self.input_size)
        self.conf_thres = conf_thres
        self.K = K
        self.timings = {}

    @property
    def heads(self):
        return self.model.heads

    @torch.inference_mode()
    def __call__(self, frame_bgr):
        check_frame(frame_bgr)
        t0 = time.perf_counter()
        blob, box = frame_to_input(frame_bgr, *self.input_size)
        x = torch.from_numpy(blob).unsqueeze(0).to(self.device)
        t1 = time.perf_counter()
        outputs = self.model(x)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        t2 = time.perf_counter()
        boxes, embeddings = decode(outputs, K=self.K)
        boxes, embeddings = confident_detections(boxes[0].cpu().numpy(), embeddings[0].float().cpu().numpy(),
                                                 self.conf_thres, box)
        self.timings = {"preprocess": t1 - t0, "network": t2 - t1, "decode": time.perf_counter() - t2}
        return boxes, embeddings
