"""Distillation losses, centerX's extended to FairMOT's heads; pure functions of tensors.

A teacher's outputs become targets on the student's output grid (:class:`TeacherTargets`):

- its heatmap as probabilities (resampled when its grid differs from the student's), for
  ``kd_hm``: by default (``mse``, centerX's) the squared difference of student and teacher
  probabilities at every pixel. centerX's heads end in a sigmoid, so its "ReLU'd heatmaps" are
  probabilities; a ReLU on our logits would stop every gradient where the student is still below
  0.5 (all of it at the start). The squared difference's gradient on a logit carries the
  sigmoid's slope s(1-s), so a peak the student has not found yet (s near 0) pulls it up hardly at
  all, and students undershoot their teachers' faint peaks. ``kl`` is each pixel's Bernoulli
  KL divergence from teacher to student (the soft-target cross-entropy less the teacher's
  entropy): zero where the student equals the teacher, with gradient ``s - t`` on the logit, as
  strong for a faint peak not yet found as for anything else the student gets wrong;
- its peaks (3x3 local maxima, as CenterNet's decoding; at most ``MAX_PEAKS`` per image, weight =
  the teacher's score, none below ``MIN_SCORE``), and at each the box size, centre offset and
  embedding the teacher predicts there. centerX weights the size / offset L1 at every pixel by
  the teacher's peak-suppressed heatmap, which is zero off the peaks: the same terms.

Terms are ``(sum, count)`` pairs as the label losses' (:class:`~fairmot.training.losses.MotLoss`
divides and balances them): ``kd_hm`` sums the squared differences over pixels and counts the
teacher's peak weight plus one per image (an image the teacher sees nothing in still counts
once); ``kd_wh`` / ``kd_off`` are L1 distances at the peaks weighted by the teacher's score,
counted per value as the label L1 terms; ``kd_id`` pulls the student's embedding at each peak
to the teacher's: ``1 - cosine`` when both have the same size, else the difference of the two
cosine-similarity matrices over the batch's peaks (a relation loss: only how embeddings relate
to each other is compared, so any sizes work).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from fairmot.inference.decoding import gather_at

from .config import HEATMAP_LOSSES, MAX_PEAKS, MIN_SCORE

PEAK_KERNEL = 3

Term = Tuple[torch.Tensor, torch.Tensor]


@dataclass
class TeacherTargets:
    """One teacher's targets for one batch, on the student's output grid.

    ``channels``: the student heatmap channels it teaches; ``prob``: (N, len(channels), H, W)
    its probabilities for them; ``ind`` / ``weight``: (N, K) its peaks (flat index on the
    student grid; weight 0 marks an empty slot); ``wh`` (N, K, student's wh channels), ``reg``
    (N, K, 2), ``emb`` (N, K, D) or None (a teacher without a re-ID head).
    """
    channels: List[int]
    prob: torch.Tensor
    ind: torch.Tensor
    weight: torch.Tensor
    wh: torch.Tensor
    reg: Optional[torch.Tensor]
    emb: Optional[torch.Tensor]


def peak_suppress(prob: torch.Tensor, kernel: int = PEAK_KERNEL) -> torch.Tensor:
    """``prob`` where it is the maximum of its kernel x kernel neighbourhood, else 0."""
    hmax = F.max_pool2d(prob, kernel, stride=1, padding=kernel // 2)
    return prob * (hmax == prob).to(prob.dtype)


def top_peaks(prob: torch.Tensor, max_peaks: int = MAX_PEAKS, min_score: float = MIN_SCORE):
    """The strongest local maxima of (N, C, H, W) probabilities, over all channels.

    Returns ``(ind, weight)``, (N, K) each: flat pixel index (y * W + x) and score, with the
    weight of peaks below ``min_score`` set to 0 (K = min(max_peaks, C*H*W)).
    """
    n, c, h, w = prob.shape
    flat = peak_suppress(prob).reshape(n, -1)
    scores, index = flat.topk(min(max_peaks, flat.shape[1]), dim=1)
    weight = scores * (scores >= min_score).to(scores.dtype)
    return index % (h * w), weight


def convert_sizes(wh: torch.Tensor, channels: int) -> torch.Tensor:
    """Box sizes (..., 4 ltrb or 2 wh, last dimension) as ``channels`` values: ltrb -> wh sums
    the sides, wh -> ltrb halves them (a centred box)."""
    have = wh.shape[-1]
    if have == channels:
        return wh
    if have == 4 and channels == 2:
        return torch.stack([wh[..., 0] + wh[..., 2], wh[..., 1] + wh[..., 3]], dim=-1)
    if have == 2 and channels == 4:
        half = wh / 2
        return torch.cat([half, half], dim=-1)
    raise ValueError(f"cannot turn {have} box-size values into {channels}")


def resample_prob(prob: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
    """(N, C, h, w) probabilities on a grid of ``size`` = (H, W): max over the cells a coarser
    cell covers (a peak keeps its height), bilinear onto a finer grid."""
    if tuple(prob.shape[-2:]) == tuple(size):
        return prob
    if prob.shape[-2] >= size[0] and prob.shape[-1] >= size[1]:
        return F.adaptive_max_pool2d(prob, size)
    return F.interpolate(prob, size=size, mode="bilinear", align_corners=False)


def teacher_targets(outputs: Dict[str, torch.Tensor], teacher_channels: Sequence[int],
                    student_channels: Sequence[int], student_grid: Tuple[int, int], wh_channels: int,
                    max_peaks: int = MAX_PEAKS, min_score: float = MIN_SCORE) -> TeacherTargets:
    """A teacher's raw outputs (logits at stride 4 of its own input) as targets on the student's
    ``student_grid`` (H, W), for the heatmap channels it teaches (teacher channel
    ``teacher_channels[i]`` teaches student channel ``student_channels[i]``).

    On the same grid every peak keeps its pixel and the teacher's own offset. On another grid
    (a teacher run at another input size) a peak moves to the student pixel its centre (pixel +
    offset, scaled) falls in, with that centre's fraction as the offset, and its sizes scaled.
    """
    hm = outputs["hm"].float()[:, list(teacher_channels)]
    prob = torch.sigmoid(hm)
    n, _, th, tw = prob.shape
    sh, sw = student_grid
    ind, weight = top_peaks(prob, max_peaks, min_score)
    wh = convert_sizes(gather_at(outputs["wh"].float(), ind), wh_channels)
    reg = gather_at(outputs["reg"].float(), ind) if "reg" in outputs else None
    emb = gather_at(outputs["id"].float(), ind) if "id" in outputs else None
    if (th, tw) != (sh, sw):
        sx, sy = sw / tw, sh / th
        x, y = (ind % tw).float(), (ind // tw).float()
        if reg is not None:
            x, y = x + reg[..., 0], y + reg[..., 1]
        cx, cy = x * sx, y * sy
        col = cx.floor().clamp(0, sw - 1)
        row = cy.floor().clamp(0, sh - 1)
        ind = (row * sw + col).long()
        if reg is not None:
            reg = torch.stack([cx - col, cy - row], dim=-1)
        scale = wh.new_tensor([sx, sy, sx, sy] if wh_channels == 4 else [sx, sy])
        wh = wh * scale
        prob = resample_prob(prob, (sh, sw))
    return TeacherTargets(list(student_channels), prob, ind, weight, wh, reg, emb)


def heatmap_term(student_hm: torch.Tensor, target: TeacherTargets, kind: str = "mse") -> Term:
    """Student against teacher probabilities over the taught channels: their squared difference
    (``mse``) or the Bernoulli KL divergence of each pixel (``kl``), summed."""
    logits = student_hm[:, target.channels]
    student = torch.sigmoid(logits)
    if kind == "mse":
        total = ((student - target.prob) ** 2).sum()
    elif kind == "kl":
        # t log(t/s) + (1-t) log((1-t)/(1-s)) pixel by pixel, logs taken stably (log1p, logsigmoid)
        # so that a student equal to its teacher gives zero, not the rounding of two large sums
        t = target.prob
        positive = torch.where(t > 0, t * (torch.log(t.clamp_min(1e-30)) - F.logsigmoid(logits)), torch.zeros_like(t))
        negative = (1 - t) * (torch.log1p(-t.clamp_max(1 - 1e-7)) - F.logsigmoid(-logits))
        total = (positive + negative).sum()
    else:
        raise ValueError(f"unknown heatmap distillation loss {kind!r}; choose from {', '.join(HEATMAP_LOSSES)}")
    count = target.weight.sum() + student.shape[0]
    return total, count.detach()


def weighted_l1_term(student_map: torch.Tensor, ind: torch.Tensor, values: torch.Tensor,
                     weight: torch.Tensor) -> Term:
    """L1 between ``student_map`` (N, C, H, W) read at ``ind`` (N, K) and ``values`` (N, K, C),
    each peak weighted by ``weight`` (N, K); counted per value as the label L1 terms."""
    pred = gather_at(student_map, ind)
    total = (weight.unsqueeze(-1) * (pred - values).abs()).sum()
    return total, (weight.sum() * values.shape[-1]).detach()


def cosine_term(student_emb: torch.Tensor, teacher_emb: torch.Tensor, weight: torch.Tensor) -> Term:
    """``1 - cos(student, teacher)`` per peak, weighted (same embedding sizes)."""
    cos = F.cosine_similarity(student_emb, teacher_emb, dim=-1, eps=1e-8)
    return (weight * (1.0 - cos)).sum(), weight.sum().detach()


def relation_term(student_emb: torch.Tensor, teacher_emb: torch.Tensor, weight: torch.Tensor) -> Term:
    """Squared difference of the cosine-similarity matrices of the batch's peaks (any sizes),
    each pair weighted by the product of its peaks' weights."""
    keep = weight.reshape(-1) > 0
    s = F.normalize(student_emb.reshape(-1, student_emb.shape[-1])[keep], dim=1, eps=1e-8)
    t = F.normalize(teacher_emb.reshape(-1, teacher_emb.shape[-1])[keep], dim=1, eps=1e-8)
    w = weight.reshape(-1)[keep]
    pair = w[:, None] * w[None, :]
    total = (pair * (s @ s.T - t @ t.T) ** 2).sum()
    return total, pair.sum().detach()


def distillation_terms(student: Dict[str, torch.Tensor], targets: Sequence[TeacherTargets],
                       heatmap_loss: str = "mse") -> Dict[str, Term]:
    """``kd_hm`` (``heatmap_loss``: one of :data:`HEATMAP_LOSSES`), ``kd_wh``, ``kd_off``, ``kd_id``
    of all teachers (sums and counts added: every teacher peak counts alike). A term no teacher
    gives (no offset head, no re-ID head) is absent."""
    terms: Dict[str, List[Term]] = {}
    wh_map = student["wh"].float()
    for target in targets:
        terms.setdefault("kd_hm", []).append(heatmap_term(student["hm"].float(), target, heatmap_loss))
        terms.setdefault("kd_wh", []).append(weighted_l1_term(wh_map, target.ind, target.wh, target.weight))
        if target.reg is not None and "reg" in student:
            terms.setdefault("kd_off", []).append(
                weighted_l1_term(student["reg"].float(), target.ind, target.reg, target.weight))
        if target.emb is not None and "id" in student:
            emb = gather_at(student["id"].float(), target.ind)
            same = emb.shape[-1] == target.emb.shape[-1]
            term = (cosine_term if same else relation_term)(emb, target.emb, target.weight)
            terms.setdefault("kd_id", []).append(term)
    return {k: (sum(s for s, _ in v), sum(c for _, c in v)) for k, v in terms.items()}
