"""A simulated detector on ground-truth tracks: realistic detection streams without images.

From MOTChallenge ground truth it makes, per frame, what a joint detection + re-ID network
hands to the tracker: boxes ``[x1, y1, x2, y2, score]`` and unit embeddings. It misses people
(more often when they are occluded), jitters boxes, scores occluded people lower, adds false
positives, and gives every identity its own embedding direction plus noise (more noise under
occlusion). Everything is drawn from one seeded generator: the same seed gives the same stream.

Used by the tracker benchmark, the fidelity check against the original FairMOT tracker, and tests.
"""
import math
import os
from dataclasses import dataclass

import numpy as np

from .mot_format import load_mot_rows, read_seqinfo, split_by_frame


@dataclass(frozen=True)
class DetectorNoise:
    """How imperfect the simulated detector is.

    miss_rate: chance to miss a fully visible person; occluded_miss_rate: extra chance at zero
    visibility (scaled linearly). box_jitter: std of centre shift (fraction of w / h) and of
    log-size change. Score of a person ~ N(score_base + score_visibility * visibility,
    score_std), clipped to [0.01, 1]. false_positives: mean count per frame (Poisson), scored
    U(0.05, false_positive_max_score). embedding_noise: per-detection Gaussian noise (norm about
    that value, doubled at zero visibility) added to the identity's unit embedding.
    """
    miss_rate: float = 0.05
    occluded_miss_rate: float = 0.4
    box_jitter: float = 0.04
    score_base: float = 0.35
    score_visibility: float = 0.55
    score_std: float = 0.12
    false_positives: float = 1.0
    false_positive_max_score: float = 0.6
    embedding_dim: int = 128
    embedding_noise: float = 0.5


def pedestrian_rows(gt_rows):
    """Rows of people to detect: mark 1 and, in MOT16/17 files, class 1 (MOT15 files have
    no class: column 8 is -1 there)."""
    mark, cls = gt_rows[:, 6], gt_rows[:, 7]
    return gt_rows[(mark == 1) & ((cls == 1) | (cls == -1))]


def identity_embeddings(ids, dim, seed):
    """A fixed random unit vector per identity (independent of which other ids exist)."""
    out = np.empty((len(ids), dim))
    for i, track_id in enumerate(ids):
        out[i] = np.random.default_rng([seed, 1, int(track_id)]).standard_normal(dim)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def simulate_detections(gt_rows, num_frames, width, height, noise=DetectorNoise(), seed=0):
    """Detections for frames 1..num_frames from pedestrian ground truth rows.

    Returns a list (index = frame - 1) of ``(dets, embeddings, gt_ids)``: dets float32 (N, 5)
    ``[x1, y1, x2, y2, score]`` sorted by score (highest first), embeddings float32 (N, D) unit
    rows, gt_ids int (N,) the identity each detection came from (-1 for false positives).
    """
    rng = np.random.default_rng([seed, 0])
    people = pedestrian_rows(gt_rows)
    by_frame = split_by_frame(people)
    ids = np.unique(people[:, 1]).astype(np.int64)
    id_vectors = dict(zip(ids.tolist(), identity_embeddings(ids, noise.embedding_dim, seed)))
    sizes = people[:, 4:6] if len(people) else np.array([[40.0, 100.0]])
    d = noise.embedding_dim
    frames = []
    for frame in range(1, num_frames + 1):
        rows = by_frame.get(frame, np.zeros((0, 10)))
        vis = np.clip(rows[:, 8], 0, 1) if len(rows) else np.zeros(0)
        vis = np.where(rows[:, 8] < 0, 1.0, vis) if len(rows) else vis   # MOT15: no visibility
        keep = rng.random(len(rows)) >= noise.miss_rate + noise.occluded_miss_rate * (1 - vis)
        rows, vis = rows[keep], vis[keep]
        n = len(rows)
        x, y, w, h = rows[:, 2], rows[:, 3], rows[:, 4], rows[:, 5]
        cx = x + w / 2 + rng.normal(0, noise.box_jitter, n) * w
        cy = y + h / 2 + rng.normal(0, noise.box_jitter, n) * h
        w = w * np.exp(rng.normal(0, noise.box_jitter, n))
        h = h * np.exp(rng.normal(0, noise.box_jitter, n))
        score = np.clip(rng.normal(noise.score_base + noise.score_visibility * vis,
                                   noise.score_std), 0.01, 1.0)
        gt_ids = rows[:, 1].astype(np.int64)
        base = np.array([id_vectors[i] for i in gt_ids.tolist()]).reshape(n, d)
        sigma = noise.embedding_noise * (2 - vis) / math.sqrt(d)
        emb = base + rng.standard_normal((n, d)) * sigma[:, None]

        n_fp = rng.poisson(noise.false_positives)
        fp_size = sizes[rng.integers(0, len(sizes), n_fp)] * np.exp(rng.normal(0, 0.2, (n_fp, 2)))
        fp_cx = rng.uniform(0, width, n_fp)
        fp_cy = rng.uniform(0, height, n_fp)
        fp_score = rng.uniform(0.05, noise.false_positive_max_score, n_fp)
        fp_emb = rng.standard_normal((n_fp, d))

        cx, cy = np.r_[cx, fp_cx], np.r_[cy, fp_cy]
        w, h = np.r_[w, fp_size[:, 0]], np.r_[h, fp_size[:, 1]]
        dets = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2,
                         np.r_[score, fp_score]], axis=1)
        emb = np.concatenate([emb, fp_emb])
        emb /= np.linalg.norm(emb, axis=1, keepdims=True)
        gt_ids = np.r_[gt_ids, np.full(n_fp, -1, np.int64)]
        order = np.argsort(-dets[:, 4], kind="stable")
        frames.append((dets[order].astype(np.float32), emb[order].astype(np.float32), gt_ids[order]))
    return frames


def resize_crowd(gt_rows, people_per_frame, width, seed=0):
    """Ground truth with about ``people_per_frame`` people per frame, made from a real one.

    Tiles the sequence side by side (copy k shifted right by k * width, ids offset) as often as
    needed, then keeps a random subset of identities. Returns (rows, new width).
    """
    people = pedestrian_rows(gt_rows)
    per_frame = len(people) / max(len(np.unique(people[:, 0])), 1)
    copies = max(1, math.ceil(people_per_frame / per_frame))
    id_span = int(people[:, 1].max()) + 1
    tiles = []
    for k in range(copies):
        tile = people.copy()
        tile[:, 2] += k * width
        tile[:, 1] += k * id_span
        tiles.append(tile)
    rows = np.concatenate(tiles)
    ids = np.unique(rows[:, 1])
    n_keep = min(len(ids), max(1, round(len(ids) * people_per_frame / (per_frame * copies))))
    kept = np.random.default_rng([seed, 2]).choice(ids, n_keep, replace=False)
    return rows[np.isin(rows[:, 1], kept)], width * copies


@dataclass
class SimulatedSequence:
    """A sequence's ground truth and the simulated detector's output on it."""
    name: str
    frame_rate: float
    width: int
    height: int
    gt_rows: np.ndarray   # all ground-truth rows (every class), as read
    frames: list          # per frame: (dets, embeddings, gt_ids), see simulate_detections


def simulated_sequence(seq_dir, noise=DetectorNoise(), seed=0, max_frames=None):
    """Read ``<seq_dir>/gt/gt.txt`` and ``seqinfo.ini`` and run the simulated detector on it."""
    info = read_seqinfo(seq_dir)
    gt = load_mot_rows(os.path.join(seq_dir, "gt", "gt.txt"))
    num_frames = info["length"] or int(gt[:, 0].max())
    if max_frames:
        num_frames = min(num_frames, max_frames)
        gt = gt[gt[:, 0] <= num_frames]
    frames = simulate_detections(gt, num_frames, info["width"], info["height"], noise, seed)
    return SimulatedSequence(info["name"], info["frame_rate"], info["width"], info["height"],
                             gt, frames)
