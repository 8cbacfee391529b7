"""ONNX export: the network and its decoding in one graph, so a consumer only thresholds and gathers.

The exported model takes ``images`` (N, 3, H, W) float32, RGB / 255, letterboxed (see
:mod:`fairmot.preprocess`) and returns, best first:

- ``scores`` (N, K): heatmap peak values (sigmoid, kept where equal to their 3x3 max-pool);
- ``boxes`` (N, K, 4): x1, y1, x2, y2 in network-input pixels;
- ``embeddings`` (N, K, D): re-ID embeddings, L2-normalised;
- ``classes`` (N, K) int64 class indices, only for a network of more than one class (a one-class
  export has the three outputs it always had).

It is :func:`fairmot.decoding.decode` traced into the graph, so the two give the same detections.
The metadata (``metadata_props``) tells a consumer the input size, the classes (``classes``: JSON
``{"names": [...], "numbers": [...]}``) and how the model was made.
"""
import copy
import json
import warnings
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn

from fairmot import __version__
from fairmot.errors import UserError
from fairmot.inference.decoding import DOWN_RATIO, decode
from fairmot.models import model_classes
from fairmot.utils.atomic import atomic_save

from .runtime import (  # noqa: F401
    CLASS_OUTPUT,
    INPUT_NAME,
    OUTPUT_NAMES,
    import_onnx_packages,
    ort_session,
    parse_metadata,
    read_metadata,
)

MIN_OPSET = 16  # GridSample, which the deformable convolution is exported with, is opset 16
DEFAULT_OPSET = 17
# the largest ONNX Runtime vs PyTorch differences an export may show (boxes in input pixels)
TOLERANCES = {"scores": 1e-4, "boxes": 1e-2, "embeddings": 1e-4}


def output_names(model) -> tuple:
    """The exported graph's outputs: scores, boxes, embeddings, and classes for several classes."""
    return OUTPUT_NAMES + ((CLASS_OUTPUT,) if model.heads["hm"] > 1 else ())


class ExportableDetector(nn.Module):
    """A FairMOT network followed by :func:`fairmot.decoding.decode`: images -> (scores, boxes,
    embeddings[, classes])."""

    def __init__(self, model, K=500, ltrb=None):
        super().__init__()
        for head in ("hm", "wh", "id"):
            if head not in model.heads:
                raise UserError(f"the network has no {head!r} head; export needs hm, wh and id")
        self.model = model
        self.K = int(K)
        self.ltrb = model.heads["wh"] == 4 if ltrb is None else bool(ltrb)
        self.multi_class = model.heads["hm"] > 1

    def forward(self, images):
        boxes, embeddings, classes = decode(self.model(images), K=self.K, ltrb=self.ltrb)
        if self.multi_class:
            return boxes[..., 4], boxes[..., :4], embeddings, classes
        return boxes[..., 4], boxes[..., :4], embeddings


def model_metadata(detector, input_size, opset):
    """The metadata_props written into the ONNX model (all values are strings)."""
    model = detector.model
    width, height = input_size
    return {
        "producer": f"fairmot {__version__}",
        "arch": str(getattr(model, "arch", type(model).__name__)),
        "heads": json.dumps(model.heads, sort_keys=True),
        "head_conv": str(getattr(model, "head_conv", "")),
        "input_size": f"{width}x{height}",
        "input_format": "RGB float32 / 255, letterboxed with grey 127.5, NCHW",
        "stride": str(DOWN_RATIO),
        "ltrb": "1" if detector.ltrb else "0",
        "topk": str(detector.K),
        "opset": str(opset),
        "precision": "float32",  # int8 once quantized (fairmot.export.onnx_int8, NNCF for OpenVINO)
        "classes": json.dumps(model_classes(model).record()),
        "outputs": "scores (N,K) peak scores best first; boxes (N,K,4) x1,y1,x2,y2 in input pixels; "
                   "embeddings (N,K,D) L2-normalised",
    }


def export_onnx(model, path, input_size=(1088, 608), opset=DEFAULT_OPSET, K=500, dynamic_batch=False):
    """Export ``model`` (a FairMOT network) with decoding to ``path``; returns the metadata written.

    The file is written as a whole: a failed export leaves nothing at ``path``.
    """
    onnx = import_onnx_packages("onnx")
    if opset < MIN_OPSET:
        raise UserError(f"opset {opset} is too old: the deformable convolution needs GridSample (opset >= {MIN_OPSET})")
    width, height = input_size
    K = min(K, (width // DOWN_RATIO) * (height // DOWN_RATIO))  # as decode: no more peaks than map cells
    detector = ExportableDetector(model.eval(), K=K).eval()
    images = torch.rand(1, 3, height, width, generator=torch.Generator().manual_seed(0))
    outputs = output_names(model)
    dynamic_axes = {name: {0: "batch"} for name in (INPUT_NAME,) + outputs} if dynamic_batch else None
    metadata = model_metadata(detector, input_size, opset)

    def write(tmp):
        with torch.no_grad(), warnings.catch_warnings():
            # The TorchScript-based exporter (dynamo=False) is deprecated but needs no onnxscript and
            # writes opset 16/17. Its tracer warns about the shape checks, which hold for any batch.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            torch.onnx.export(detector, (images,), tmp, dynamo=False, opset_version=opset,
                              input_names=[INPUT_NAME], output_names=list(outputs),
                              dynamic_axes=dynamic_axes, do_constant_folding=True)
        proto = onnx.load(tmp)
        del proto.metadata_props[:]
        for key, value in metadata.items():
            proto.metadata_props.add(key=key, value=value)
        onnx.checker.check_model(proto, full_check=True)
        onnx.save(proto, tmp)

    atomic_save(path, write)
    return metadata


def pair_detections(ref_scores, ref_boxes, got_scores, got_boxes, score_window):
    """Pair the rows of two top-K lists of one image; returns (ref_rows, got_rows, unpaired).

    Both lists are best first, so two runs order them alike except where scores tie within
    rounding: a row pairs with a row whose score is within ``score_window`` and whose box is
    nearest. ``unpaired`` counts rows of ``got`` left without a partner, not counting the last
    peaks of the list (within ``score_window`` of its lowest score), where the K-th peak may tie
    with the first one left out; boundary pairs of different peaks are dropped for that reason too.
    """
    from scipy.optimize import linear_sum_assignment

    box_dist = np.abs(ref_boxes[:, None, :] - got_boxes[None, :, :]).max(-1)
    close = np.abs(ref_scores[:, None] - got_scores[None, :]) <= score_window
    ref_rows, got_rows = linear_sum_assignment(np.where(close, box_dist, 1e12))
    paired = close[ref_rows, got_rows]
    ref_rows, got_rows = ref_rows[paired], got_rows[paired]
    boundary = min(ref_scores.min(), got_scores.min()) + score_window
    lonely = np.setdiff1d(np.arange(len(got_scores)), got_rows)
    unpaired = int((got_scores[lonely] > boundary).sum())
    other_peak_at_boundary = (got_scores[got_rows] <= boundary) & (box_dist[ref_rows, got_rows] > TOLERANCES["boxes"])
    return ref_rows[~other_peak_at_boundary], got_rows[~other_peak_at_boundary], unpaired


PLATEAU_SCORE = 2e-7   # float32 rounding near a score of 1
PLATEAU_CELLS = 8.0    # px between centres: neighbouring cells of the stride-4 heatmap


def plateau_twins(scores, boxes):
    """Rows of a best-first list that tie, within rounding, with a better row next to them: two
    neighbouring heatmap cells of one plateau are both peaks in one run and one in another."""
    centres = (boxes[:, :2] + boxes[:, 2:4]) / 2
    twins = np.zeros(len(scores), bool)
    for i in range(1, len(scores)):
        near = np.abs(centres[:i] - centres[i]).max(-1) <= PLATEAU_CELLS
        twins[i] = bool(np.any(near & ~twins[:i] & (np.abs(scores[:i] - scores[i]) <= PLATEAU_SCORE)))
    return twins


def compare_outputs(reference, outputs, score_window=None):
    """Largest differences between two batched (scores, boxes, embeddings) results (numpy).

    "scores" compares the two best-first lists position by position, which ties cannot upset
    (once :func:`plateau_twins` are left out of both); "boxes" and "embeddings" compare
    detections paired by :func:`pair_detections` with scores within ``score_window`` (default:
    ten times the "scores" difference, so that rounding does not unpair them); "unpaired" counts
    peaks found by one run only, away from the top-K boundary.
    """
    diffs = {"scores": 0.0, "boxes": 0.0, "embeddings": 0.0, "unpaired": 0}
    for image in range(reference[0].shape[0]):
        ref_keep, got_keep = (~plateau_twins(np.asarray(a[0][image], np.float64), np.asarray(a[1][image], np.float64))
                              for a in (reference, outputs))
        n = min(ref_keep.sum(), got_keep.sum())   # a list with fewer twins reaches further down
        ref_s, ref_b, ref_e = (np.asarray(a[image], dtype=np.float64)[ref_keep][:n] for a in reference[:3])
        got_s, got_b, got_e = (np.asarray(a[image], dtype=np.float64)[got_keep][:n] for a in outputs[:3])
        classes = [np.asarray(a[image])[keep][:n] for a, keep in ((reference[3], ref_keep), (outputs[3], got_keep))] \
            if len(reference) > 3 else None
        score_diff = float(np.abs(ref_s - got_s).max())
        diffs["scores"] = max(diffs["scores"], score_diff)
        window = max(10 * score_diff, 1e-6) if score_window is None else score_window
        ref_rows, got_rows, unpaired = pair_detections(ref_s, ref_b, got_s, got_b, window)
        diffs["unpaired"] += unpaired
        if classes is not None and len(ref_rows):  # classes: a pair of another class is no pair
            diffs["unpaired"] += int(np.sum(classes[0][ref_rows] != classes[1][got_rows]))
        if len(ref_rows):
            diffs["boxes"] = max(diffs["boxes"], float(np.abs(ref_b[ref_rows] - got_b[got_rows]).max()))
            diffs["embeddings"] = max(diffs["embeddings"], float(np.abs(ref_e[ref_rows] - got_e[got_rows]).max()))
    return diffs


def within_tolerance(diffs):
    return diffs["unpaired"] == 0 and all(diffs[name] <= limit for name, limit in TOLERANCES.items())


def format_diffs(diffs):
    return (", ".join(f"{name} {diffs[name]:.2e}" for name in TOLERANCES)
            + f", peaks found by one only {diffs['unpaired']}")


@dataclass
class Verification:
    """onnxruntime's outputs against PyTorch's (see :func:`verify_onnx`)."""
    vs_pytorch: dict  # onnxruntime vs PyTorch float32
    pytorch_float32: dict = None  # PyTorch float32 vs float64, when the fixed limits were exceeded
    onnxruntime_float32: dict = None  # onnxruntime vs PyTorch float64, likewise

    @property
    def ok(self):
        if within_tolerance(self.vs_pytorch):
            return True
        if self.pytorch_float32 is None:
            return False
        ort, torch32 = self.onnxruntime_float32, self.pytorch_float32
        return (ort["unpaired"] <= 2 * torch32["unpaired"]
                and all(ort[name] <= 2 * torch32[name] + limit for name, limit in TOLERANCES.items()))

    def summary(self):
        lines = [f"onnxruntime vs PyTorch, max |diff|: {format_diffs(self.vs_pytorch)} (limits "
                 + ", ".join(f"{name} {limit:g}" for name, limit in TOLERANCES.items()) + ")"]
        if self.pytorch_float32 is not None:
            lines += ["beyond the limits; this network amplifies float32 rounding, so both are measured "
                      "against PyTorch in float64:",
                      f"  PyTorch float32:     {format_diffs(self.pytorch_float32)}",
                      f"  onnxruntime float32: {format_diffs(self.onnxruntime_float32)}",
                      "  " + ("onnxruntime is as exact as PyTorch (within twice its error plus the limits)" if self.ok
                              else "onnxruntime is less exact than PyTorch")]
        return "\n".join(lines)


def verify_onnx(path, model, images, providers=None):
    """Run the exported model with onnxruntime and the PyTorch model + decode on ``images``.

    The outputs must agree within :data:`TOLERANCES`. A network whose float32 results are
    themselves that far from exact (random weights with large deformable offsets amplify rounding
    through the deformable layers) passes if onnxruntime is within twice PyTorch float32's own
    distance from a float64 PyTorch run. Returns a :class:`Verification`.
    """
    session = ort_session(path, providers)
    meta = read_metadata(session)
    got = session.run(list(output_names(model)), {INPUT_NAME: images.numpy()})
    detector = ExportableDetector(model.eval(), K=int(meta["topk"]), ltrb=meta["ltrb"] == "1")
    with torch.no_grad():
        reference = [t.numpy() for t in detector(images)]
    result = Verification(compare_outputs(reference, got))
    if within_tolerance(result.vs_pytorch):
        return result
    with torch.no_grad():
        exact = [t.numpy() for t in copy.deepcopy(detector).double()(images.double())]
    result.pytorch_float32 = compare_outputs(exact, reference)
    result.onnxruntime_float32 = compare_outputs(exact, got)
    return result
