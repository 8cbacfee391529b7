"""Detections of a sequence, frame by frame, kept in memory (and on disk) for many tracker runs.

A :class:`SequenceDetections` holds, for every frame of a sequence, boxes (N, 5) x1, y1, x2, y2,
score in frame pixels and, from a network, their embeddings (N, D). They come from the
sequence's ``det/det.txt`` (MOTChallenge detection rows; no embeddings: the tracker then matches
by motion alone) or from a FairMOT detector run over the sequence's images once, with a low score
threshold so that every configuration tried finds the detections it would keep.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import List, Optional

import numpy as np

from fairmot.datasets.mot_format import read_seqinfo
from fairmot.errors import UserError
from fairmot.evaluation.boxes import tlwh_to_xyxy

# the lowest detection score cached from a network: no tracker configuration keeps less
NETWORK_SCORE_FLOOR = 0.05


@dataclass
class SequenceDetections:
    """``frames[i]``: (boxes (N, 5), embeddings (N, D) or None) of frame ``first_frame + i``."""
    name: str
    frame_rate: float
    first_frame: int
    frames: List[tuple]
    gt: np.ndarray          # the ground-truth rows
    length: Optional[int]   # frames in the sequence (seqinfo.ini)

    @property
    def has_embeddings(self) -> bool:
        return any(e is not None and len(e) for _, e in self.frames)


def _sequence_info(seq_dir: str):
    from fairmot.evaluation.mot_metrics import load_rows
    gt_path = os.path.join(seq_dir, "gt", "gt.txt")
    if not os.path.isfile(gt_path):
        raise UserError(f"{seq_dir} has no gt/gt.txt: tuning needs ground truth to score against")
    info = read_seqinfo(seq_dir) if os.path.isfile(os.path.join(seq_dir, "seqinfo.ini")) else {}
    return load_rows(gt_path, "ground-truth"), float(info.get("frame_rate") or 30.0), info.get("length")


def from_det_file(seq_dir: str, filename: str = "det.txt") -> SequenceDetections:
    """The detections of ``<seq_dir>/det/<filename>`` (``frame, -1, x, y, w, h, score, ...``)."""
    from fairmot.datasets.mot_format import load_mot_rows, split_by_frame
    path = os.path.join(seq_dir, "det", filename)
    if not os.path.isfile(path):
        raise UserError(f"{path} not found: tune from a network's detections with --weights instead")
    try:
        rows = load_mot_rows(path)
    except ValueError as err:
        raise UserError(f"malformed detection file: {err}") from None
    gt, frame_rate, length = _sequence_info(seq_dir)
    last = int(max(rows[:, 0].max() if len(rows) else 0, gt[:, 0].max() if len(gt) else 0, length or 0))
    # frame, then x1, y1, x2, y2, score: converted once, then split by frame
    boxes = np.concatenate([rows[:, :1], tlwh_to_xyxy(rows[:, 2:6]), rows[:, 6:7]], axis=1)
    by_frame = split_by_frame(boxes)
    empty = np.zeros((0, 5))
    frames = [(by_frame[index][:, 1:] if index in by_frame else empty, None) for index in range(1, last + 1)]
    return SequenceDetections(os.path.basename(os.path.normpath(seq_dir)), frame_rate, 1, frames, gt, length)


def cache_key(weights_digest: str, input_size, seq_dir: str) -> str:
    """What a network's cached detections depend on: the weights, the input size, the frames."""
    text = f"{weights_digest}|{tuple(input_size)}|{os.path.abspath(seq_dir)}|{NETWORK_SCORE_FLOOR}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def from_network(seq_dir: str, detector, cache_dir: Optional[str] = None, key: Optional[str] = None,
                 progress: bool = True, class_index: Optional[int] = None) -> SequenceDetections:
    """The detections (and embeddings) ``detector`` finds in every frame of the MOTChallenge
    sequence ``seq_dir``, above :data:`NETWORK_SCORE_FLOOR` (of class ``class_index`` alone when
    given: a model of several classes); read from / written to ``<cache_dir>/<name>-<key>.npz``
    when given (written whole, at the end)."""
    from fairmot.inference.sources import open_source
    from fairmot.utils.atomic import atomic_save
    gt, frame_rate, length = _sequence_info(seq_dir)
    name = os.path.basename(os.path.normpath(seq_dir))
    cache = os.path.join(cache_dir, f"{name}-{key}.npz") if cache_dir and key else None
    if cache and os.path.isfile(cache):
        return _read_cache(cache, name, frame_rate, gt, length)
    detector.conf_thres = NETWORK_SCORE_FLOOR
    frames, first = [], None
    with open_source(seq_dir) as source:
        from tqdm import tqdm
        for index, frame in tqdm(source, total=source.length or None, desc=f"detecting {name}", unit="frame",
                                 disable=not progress or None, leave=False):
            first = index if first is None else first
            while first + len(frames) < index:  # a frame that could not be read: nothing detected
                frames.append((np.zeros((0, 5)), None))
            detections = detector(frame)
            if class_index is not None:
                detections = detections.select(detections.classes == class_index)
            frames.append((detections.boxes, detections.embeddings))
    if first is None:
        raise UserError(f"no frame of {seq_dir} could be read")
    if cache:
        os.makedirs(cache_dir, exist_ok=True)
        counts = np.array([len(b) for b, _ in frames])
        boxes = np.concatenate([b for b, _ in frames]) if frames else np.zeros((0, 5))
        embeddings = np.concatenate([e for _, e in frames]) if frames else np.zeros((0, 0), np.float32)
        atomic_save(cache, lambda tmp: _write_npz(tmp, first=first, counts=counts, boxes=boxes,
                                                  embeddings=embeddings))
    return SequenceDetections(name, frame_rate, first, frames, gt, length)


def _write_npz(path, **arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def _read_cache(path, name, frame_rate, gt, length) -> SequenceDetections:
    try:
        with np.load(path) as data:
            first, counts = int(data["first"]), data["counts"]
            boxes, embeddings = data["boxes"], data["embeddings"]
    except (OSError, ValueError, KeyError):
        raise UserError(f"cached detections {path} are unreadable: delete the file to detect again") from None
    splits = np.cumsum(counts)[:-1]
    frames = list(zip(np.split(boxes, splits), np.split(embeddings, splits)))
    return SequenceDetections(name, frame_rate, first, frames, gt, length)
