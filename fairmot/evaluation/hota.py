"""HOTA (Luiten et al., IJCV 2021) with TrackEval's definitions: HOTA, DetA, AssA, DetRe, DetPr,
AssRe, AssPr, LocA, each at the 19 localisation thresholds alpha = 0.05, 0.10, ..., 0.95 and as
their mean.

One sequence is a list of frames, each ``(gt_ids, result_ids, similarity)`` with ids numbered
0..n-1 over the sequence and ``similarity`` the (gt, result) IoU matrix, after MOTChallenge's
preprocessing (:mod:`fairmot.evaluation.mot_challenge` prepares it from result files).

- A first pass counts, for every (gt id, result id) pair, how well they could match over the whole
  sequence: in every frame each pair adds its IoU normalised by the IoUs it competes with; divided by
  the number of frames either id is in, that is the pair's global alignment score.
- A second pass matches each frame by the Hungarian algorithm on alignment x IoU; for each alpha the
  matched pairs with IoU >= alpha are true positives, the rest of the frame's gt and results false
  negatives and false positives; the IoUs of the true positives add up to LocA.
- Association: for each alpha and pair of ids, A = TPA / (TPA + FNA + FPA) from how often they were
  matched (TPA) against how often either was present; AssA is the mean of A over the true positives.

Sequences combine by adding TP, FN, FP and weighting AssA, AssRe, AssPr and LocA by each sequence's
TP count, as TrackEval does.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, List, Sequence, Tuple

import numpy as np
from scipy.optimize import linear_sum_assignment

from .report import HOTA_COLUMNS

ALPHAS = np.arange(0.05, 0.99, 0.05)  # 0.05 .. 0.95, 19 values (TrackEval's arange)
HOTA_FIELDS = HOTA_COLUMNS
_EPS = np.finfo("float").eps

Frame = Tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass
class HotaCounts:
    """Per-alpha counts and association scores of one sequence (or several combined)."""
    tp: np.ndarray
    fn: np.ndarray
    fp: np.ndarray
    ass_a: np.ndarray
    ass_re: np.ndarray
    ass_pr: np.ndarray
    loc_a: np.ndarray

    @classmethod
    def empty(cls) -> HotaCounts:
        zeros = lambda: np.zeros(len(ALPHAS))  # noqa: E731
        return cls(zeros(), zeros(), zeros(), zeros(), zeros(), zeros(), np.ones(len(ALPHAS)))

    def scores(self) -> Dict[str, np.ndarray]:
        """Every HOTA field per alpha (arrays of 19)."""
        det_re = self.tp / np.maximum(1.0, self.tp + self.fn)
        det_pr = self.tp / np.maximum(1.0, self.tp + self.fp)
        det_a = self.tp / np.maximum(1.0, self.tp + self.fn + self.fp)
        return {"HOTA": np.sqrt(det_a * self.ass_a), "DetA": det_a, "AssA": self.ass_a, "DetRe": det_re,
                "DetPr": det_pr, "AssRe": self.ass_re, "AssPr": self.ass_pr, "LocA": self.loc_a}

    def summary(self) -> Dict[str, float]:
        """The fields as MOTChallenge reports them: the mean over the 19 alphas."""
        return {name: float(np.mean(values)) for name, values in self.scores().items()}


def _id_counts(frames: Sequence[Frame]) -> Tuple[int, int]:
    gt_n = max((int(f[0].max()) + 1 for f in frames if len(f[0])), default=0)
    res_n = max((int(f[1].max()) + 1 for f in frames if len(f[1])), default=0)
    return gt_n, res_n


def hota_sequence(frames: Sequence[Frame]) -> HotaCounts:
    """HOTA counts of one preprocessed sequence (see the module's docstring)."""
    frames = [(np.asarray(g, dtype=np.int64), np.asarray(r, dtype=np.int64), np.asarray(s, dtype=np.float64))
              for g, r, s in frames]
    num_gt = sum(len(g) for g, _, _ in frames)
    num_res = sum(len(r) for _, r, _ in frames)
    counts = HotaCounts.empty()
    if num_res == 0 or num_gt == 0:
        counts.fn[:] = num_gt
        counts.fp[:] = num_res
        return counts
    gt_n, res_n = _id_counts(frames)

    # pass 1: how well each pair of ids could align over the sequence
    potential = np.zeros((gt_n, res_n))
    gt_present = np.zeros(gt_n)
    res_present = np.zeros(res_n)
    for gt_ids, res_ids, sim in frames:
        if len(gt_ids) and len(res_ids):
            denom = sim.sum(0, keepdims=True) + sim.sum(1, keepdims=True) - sim
            normalised = np.zeros_like(sim)
            positive = denom > _EPS
            normalised[positive] = sim[positive] / denom[positive]
            potential[gt_ids[:, None], res_ids[None, :]] += normalised
        gt_present[gt_ids] += 1
        res_present[res_ids] += 1
    alignment = potential / (gt_present[:, None] + res_present[None, :] - potential)

    # pass 2: match each frame, count per alpha
    matches = np.zeros((len(ALPHAS), gt_n, res_n))
    loc_sum = np.zeros(len(ALPHAS))
    for gt_ids, res_ids, sim in frames:
        if len(gt_ids) == 0 or len(res_ids) == 0:
            counts.fn += len(gt_ids)
            counts.fp += len(res_ids)
            continue
        score = alignment[gt_ids[:, None], res_ids[None, :]] * sim
        rows, cols = linear_sum_assignment(-score)
        for a, alpha in enumerate(ALPHAS):
            keep = sim[rows, cols] >= alpha - _EPS
            r, c = rows[keep], cols[keep]
            n = len(r)
            counts.tp[a] += n
            counts.fn[a] += len(gt_ids) - n
            counts.fp[a] += len(res_ids) - n
            if n:
                loc_sum[a] += sim[r, c].sum()
                matches[a, gt_ids[r], res_ids[c]] += 1

    # association per alpha
    gt_col, res_row = gt_present[:, None], res_present[None, :]
    for a in range(len(ALPHAS)):
        m = matches[a]
        tp = max(1.0, counts.tp[a])
        counts.ass_a[a] = np.sum(m * (m / np.maximum(1.0, gt_col + res_row - m))) / tp
        counts.ass_re[a] = np.sum(m * (m / np.maximum(1.0, gt_col))) / tp
        counts.ass_pr[a] = np.sum(m * (m / np.maximum(1.0, res_row))) / tp
    counts.loc_a = np.maximum(1e-10, loc_sum) / np.maximum(1e-10, counts.tp)
    return counts


def combine(sequences: Iterable[HotaCounts]) -> HotaCounts:
    """Several sequences as one: TP/FN/FP added, AssA/AssRe/AssPr/LocA weighted by TP."""
    sequences = list(sequences)
    total = HotaCounts.empty()
    for seq in sequences:
        total.tp += seq.tp
        total.fn += seq.fn
        total.fp += seq.fp
    for name in ("ass_a", "ass_re", "ass_pr"):
        setattr(total, name, sum(getattr(s, name) * s.tp for s in sequences) / np.maximum(1.0, total.tp))
    if sequences:
        total.loc_a = np.maximum(1e-10, sum(s.loc_a * s.tp for s in sequences)) / np.maximum(1e-10, total.tp)
    return total


def frames_from_ids(gt_ids_per_frame: List[np.ndarray], res_ids_per_frame: List[np.ndarray],
                    similarity_per_frame: List[np.ndarray]) -> List[Frame]:
    """Frames with the ids renumbered 0..n-1 over the sequence (any integer ids in)."""
    gt_all = np.unique(np.concatenate([np.asarray(g).ravel() for g in gt_ids_per_frame] + [np.zeros(0)]))
    res_all = np.unique(np.concatenate([np.asarray(r).ravel() for r in res_ids_per_frame] + [np.zeros(0)]))
    return [(np.searchsorted(gt_all, np.asarray(g)), np.searchsorted(res_all, np.asarray(r)), np.asarray(s))
            for g, r, s in zip(gt_ids_per_frame, res_ids_per_frame, similarity_per_frame)]
