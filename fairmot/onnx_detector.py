"""``OnnxDetector``: :class:`fairmot.detector.Detector`'s interface on a model from ``fairmot export``.

The exported graph already contains the decoding (peaks, top-K, boxes, normalised embeddings), so
this only letterboxes the frame, runs onnxruntime, thresholds the scores and maps boxes back.
onnxruntime is imported when a detector is created: ``pip install 'fairmot[onnx]'``.
"""
import time

import numpy as np

from .detector import check_frame, confident_detections, parse_input_size
from .errors import UserError
from .export import INPUT_NAME, OUTPUT_NAMES, ort_session, read_metadata
from .preprocess import frame_to_input


class OnnxDetector:
    """FairMOT detection + embedding for single frames with onnxruntime.

    Args:
        path: an ONNX model written by ``fairmot export``.
        input_size: None to use the size the model was exported for (its metadata); a given
            (width, height) or "WxH" must equal it.
        conf_thres: keep detections with score > conf_thres.
        providers: onnxruntime execution providers (default CUDA if available, else CPU).
        threads: onnxruntime intra-op threads (default: one per physical core).

    ``detector(frame)`` returns ``(boxes, embeddings)`` as :class:`fairmot.detector.Detector`:
    boxes (N, 5) float64 x1, y1, x2, y2, score in frame pixels, best first; embeddings (N, D)
    float32 unit vectors. ``timings`` holds the last call's seconds for "preprocess", "network"
    (the whole graph, peak extraction included) and "decode" (threshold and letterbox mapping).
    """

    def __init__(self, path, input_size=None, conf_thres=0.4, providers=None, threads=None):
        self.session = ort_session(path, providers, threads)
        self.metadata = read_metadata(self.session)
        self.input_size = self.metadata["input_size"]
        if input_size is not None:
            wanted = parse_input_size(input_size) if isinstance(input_size, str) else tuple(input_size)
            if wanted != self.input_size:
                raise UserError(f"{path} was exported for input size {'%dx%d' % self.input_size}, not "
                                f"{'%dx%d' % wanted}: export again with --input-size {'%dx%d' % wanted}")
        self.heads = self.metadata["heads"]
        self.K = int(self.metadata["topk"])
        self.conf_thres = conf_thres
        self.timings = {}

    @property
    def providers(self):
        return self.session.get_providers()

    def __call__(self, frame_bgr):
        check_frame(frame_bgr)
        t0 = time.perf_counter()
        blob, box = frame_to_input(frame_bgr, *self.input_size)
        t1 = time.perf_counter()
        scores, boxes, embeddings = self.session.run(list(OUTPUT_NAMES), {INPUT_NAME: blob[None]})
        t2 = time.perf_counter()
        boxes = np.concatenate([boxes[0], scores[0][:, None]], axis=1)
        boxes, embeddings = confident_detections(boxes, embeddings[0], self.conf_thres, box)
        self.timings = {"preprocess": t1 - t0, "network": t2 - t1, "decode": time.perf_counter() - t2}
        return boxes, embeddings
