"""The detector contract and the steps every backend shares.

``detector(frame)`` -> :class:`Detections` ``(boxes, embeddings, classes)``: boxes (N, 5) float64
x1, y1, x2, y2, score in frame pixels, best first; embeddings (N, D) float32 unit vectors;
classes (N,) int64 class indices into ``detector.class_table`` (all 0 for a one-class model).
Boxes keep the (N, 5) layout every tracker takes, with the classes beside them (what
:class:`fairmot.trackers.PerClassTracker` takes). :class:`BaseDetector` does
:meth:`~BaseDetector.prepare` (letterbox) -> :meth:`~BaseDetector.forward` ->
:meth:`~BaseDetector.candidates` -> threshold -> map back to the frame, and times each step, so a
backend (PyTorch, ONNX Runtime, ...) only says how to run its network and read its outputs.
``prepare`` is a pure function of the frame: a reader thread may run it ahead of the network
(:class:`fairmot.inference.prefetch.PrefetchReader`) and pass its result as ``prepared``.
"""
from __future__ import annotations

import time
from typing import Any, Dict, NamedTuple, Optional, Tuple

import numpy as np

from fairmot.datasets.classes import ClassTable
from fairmot.utils.parsing import parse_input_size

from .preprocess import Letterbox, frame_to_input


def check_frame(frame_bgr: np.ndarray) -> None:
    if not isinstance(frame_bgr, np.ndarray) or frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3:
        from fairmot.errors import UserError
        raise UserError("expected a BGR frame: a numpy array of shape (H, W, 3)")


class Detections(NamedTuple):
    """One frame's detections: ``boxes`` (N, 5) x1, y1, x2, y2, score, ``embeddings`` (N, D),
    ``classes`` (N,) int64 class indices."""
    boxes: np.ndarray
    embeddings: np.ndarray
    classes: np.ndarray

    def select(self, keep: np.ndarray) -> Detections:
        """The rows where the boolean or index array ``keep`` says."""
        return Detections(self.boxes[keep], self.embeddings[keep], self.classes[keep])


def confident_detections(boxes: np.ndarray, embeddings: np.ndarray, classes: Optional[np.ndarray],
                         conf_thres: float, letterbox: Letterbox) -> Detections:
    """Keep rows with score > conf_thres of one image's top-K list and map them to the frame.

    boxes: (K, 5) x1, y1, x2, y2, score in network-input pixels; embeddings: (K, D); classes: (K,)
    or None (a one-class model). Returns :class:`Detections`: boxes (N, 5) float64 in frame
    pixels, embeddings (N, D) float32, contiguous, classes (N,) int64.
    """
    keep = boxes[:, 4] > conf_thres
    classes = np.zeros(int(keep.sum()), np.int64) if classes is None else np.asarray(classes[keep], np.int64)
    return Detections(letterbox.to_frame(boxes[keep]), np.ascontiguousarray(embeddings[keep], dtype=np.float32),
                      classes)


class BaseDetector:
    """FairMOT detection + embedding for single frames; subclasses implement the two hooks.

    Attributes every detector has: ``input_size`` (width, height), ``conf_thres`` (keep
    score > conf_thres; the tracking pipeline sets it), ``heads`` (head name -> channels),
    ``class_table`` (the model's classes) and ``timings``: the last call's seconds for
    "preprocess", "network" and "decode".
    """

    input_size: Tuple[int, int]
    conf_thres: float
    heads: Dict[str, int]
    class_table: ClassTable = ClassTable.single()
    # whether the tracking loop should read and letterbox the next frame in a thread meanwhile
    # (fairmot.inference.prefetch): a backend whose threads spin while idle says no
    read_ahead: bool = True

    def __init__(self, input_size, conf_thres: float = 0.4):
        self.input_size = parse_input_size(input_size)
        self.conf_thres = conf_thres
        self.timings: Dict[str, float] = {}

    def prepare(self, frame_bgr: np.ndarray) -> Tuple[Any, Letterbox]:
        """The network input for one frame and how the frame was fitted into it; by default the
        letterboxed (3, H, W) float32 RGB / 255 array. Thread-safe."""
        check_frame(frame_bgr)
        return frame_to_input(frame_bgr, *self.input_size)

    def forward(self, blob: Any) -> Any:
        """Run the network on one input from :meth:`prepare`."""
        raise NotImplementedError

    def candidates(self, outputs: Any) -> Tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]:
        """:meth:`forward`'s outputs -> the top-K candidates: boxes (K, 5) x1, y1, x2, y2, score
        in input pixels, best first, embeddings (K, D) and classes (K,) (None: one class)."""
        raise NotImplementedError

    def __call__(self, frame_bgr: np.ndarray, prepared: Optional[Tuple[Any, Letterbox]] = None) -> Detections:
        """Detect in one BGR frame; ``prepared``: :meth:`prepare`'s result for this frame if it was
        computed already (its time is then not in ``timings["preprocess"]``)."""
        t0 = time.perf_counter()
        blob, letterbox = prepared if prepared is not None else self.prepare(frame_bgr)
        t1 = time.perf_counter()
        outputs = self.forward(blob)
        t2 = time.perf_counter()
        detections = confident_detections(*self.candidates(outputs), self.conf_thres, letterbox)
        self.timings = {"preprocess": t1 - t0, "network": t2 - t1, "decode": time.perf_counter() - t2}
        return detections
