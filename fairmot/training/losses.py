"""FairMOT's training loss: focal heatmap loss, L1 size/offset losses, identity classification,
combined with learnable uncertainty weights (s_det, s_id).

Every term is a sum divided by a count (positives, box slots, labelled identities). Under
DistributedDataParallel the counts are summed over all processes first, and each process's
loss is scaled by the world size, so that DDP's gradient averaging yields exactly the gradient
of the loss of the global batch (the original normalised per GPU, so its result depended on
how a batch was split).
"""
import math

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

from fairmot.inference.decoding import gather_at

from .loss_balance import (
    BALANCES,
    DEFAULT_TARGETS,
    adaptive_combine,
    fixed_combine,
    uncertainty_combine,
)

S_DET_INIT = -1.85
S_ID_INIT = -1.05

# fixed weights (uncertainty and fixed balance): FairMOT's for the label terms; the distillation
# terms' counterparts alike (their scales are comparable, see fairmot.distillation.losses)
DEFAULT_WEIGHTS = {"hm": 1.0, "wh": 0.1, "off": 1.0, "id": 1.0,
                   "kd_hm": 1.0, "kd_wh": 0.1, "kd_off": 1.0, "kd_id": 1.0}


def _distributed():
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def _at_least_float32(x):
    """Half-precision (AMP) outputs are scored in float32; float32/float64 stay as they are."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def focal_loss_sum(pred, gt, sample_mask=None):
    """CenterNet's penalty-reduced focal loss (alpha 2, beta 4), summed; pred already in (0, 1).

    ``sample_mask`` (N,): 1 for images whose labels count, 0 for unlabelled ones (their empty
    heatmaps would otherwise teach "no object anywhere"). Returns (loss sum, number of positives).
    """
    pos = gt.eq(1).to(pred.dtype)
    neg_weights = torch.pow(1 - gt, 4) * (1 - pos)
    if sample_mask is not None:
        neg_weights = neg_weights * sample_mask.to(pred.dtype).view(-1, 1, 1, 1)
    pos_loss = torch.log(pred) * torch.pow(1 - pred, 2) * pos
    neg_loss = torch.log(1 - pred) * torch.pow(pred, 2) * neg_weights
    return -(pos_loss.sum() + neg_loss.sum()), pos.sum()


def masked_l1_sum(output, mask, ind, target):
    """L1 between the map ``output`` read at object centres ``ind`` and ``target``, summed over
    valid slots. Returns (loss sum, number of valid values)."""
    pred = gather_at(output, ind)
    m = mask.unsqueeze(2).expand_as(pred).to(pred.dtype)
    return F.l1_loss(pred * m, target * m, reduction="sum"), m.sum()


def embedding_scale(num_ids):
    """sqrt(2) * ln(nID - 1), as the original (kept >= sqrt(2) * ln 2 for tiny id counts)."""
    return math.sqrt(2) * math.log(max(num_ids - 1, 2))


def remap_loss_state(state: dict) -> dict:
    """Loss states saved before classes had classifiers of their own (``classifier.*``) as
    today's (``classifiers.0.*``)."""
    return {("classifiers.0." + k[len("classifier."):] if k.startswith("classifier.") else k): v
            for k, v in state.items()}


class MotLoss(nn.Module):
    """The loss and its parameters: one identity classifier per class and the balance's.

    ``ids_per_class``: identities of each class (an int for one class). As MCFairMOT, the
    embedding of an object is classified among the identities of its own class only (its own
    classifier, scaled by its own id count); the id term is the sum over classes divided by all
    labelled objects, so one class gives exactly FairMOT's loss.

    ``balance`` (:mod:`~fairmot.training.loss_balance`): ``uncertainty`` (FairMOT's learnable
    ``s_det`` / ``s_id``, the parameters of this module besides the classifiers), ``fixed``
    (``weights``) or ``adaptive`` (``targets``). ``label_terms=False``: no label loss at all
    (distillation on unlabelled data only): only the terms passed to ``forward`` count.

    ``forward(outputs, batch, extra_terms)`` returns the scalar to back-propagate and a dict of
    detached loss terms of the *global* batch (equal on every process). ``outputs`` may carry
    the earlier stacks of a stacked network under ``"stacks"``; ``extra_terms`` are more
    ``(sum, count)`` terms (distillation's), balanced with the label terms.
    """

    def __init__(self, ids_per_class, emb_dim=128, hm_weight=1.0, wh_weight=0.1, off_weight=1.0, id_weight=1.0,
                 balance="uncertainty", weights=None, targets=None, label_terms=True):
        super().__init__()
        if balance not in BALANCES:
            raise ValueError(f"unknown loss balance {balance!r}; choose one of {', '.join(BALANCES)}")
        self.balance = balance
        self.label_terms = label_terms
        if isinstance(ids_per_class, int):
            ids_per_class = [ids_per_class]
        self.ids_per_class = [int(n) for n in ids_per_class] if label_terms else []
        self.num_ids = sum(self.ids_per_class)
        self.emb_dim = emb_dim
        self.weights = {**DEFAULT_WEIGHTS, "hm": hm_weight, "wh": wh_weight, "off": off_weight, "id": id_weight,
                        **(weights or {})}
        self.targets = {**DEFAULT_TARGETS, **(targets or {})}
        self.classifiers = nn.ModuleList(nn.Linear(emb_dim, max(n, 1)) for n in self.ids_per_class)
        self.emb_scales = [embedding_scale(n) for n in self.ids_per_class]
        if balance == "uncertainty":   # only then: fixed / adaptive runs have no unused parameters
            self.s_det = nn.Parameter(S_DET_INIT * torch.ones(1))
            self.s_id = nn.Parameter(S_ID_INIT * torch.ones(1))

    def _stacked_terms(self, outputs, batch):
        """A stacked network (hourglass_104 in training) also gives its earlier stacks' outputs
        under "stacks": as FairMOT with num_stacks, detection terms are averaged over the stacks
        and identity terms summed."""
        stacks = [*outputs.get("stacks", ()), outputs]
        if len(stacks) == 1:
            return self._terms(outputs, batch)
        per_stack = [self._terms(out, batch) for out in stacks]
        return {k: (sum(t[k][0] for t in per_stack) / (1 if k == "id" else len(stacks)), count)
                for k, (_, count) in per_stack[-1].items()}

    def _terms(self, outputs, batch):
        """(sum, count) of each loss term on this process's part of the batch."""
        mask = batch["reg_mask"]
        hm = torch.clamp(torch.sigmoid(_at_least_float32(outputs["hm"])), min=1e-4, max=1 - 1e-4)
        terms = {"hm": focal_loss_sum(hm, batch["hm"], batch.get("labelled")),
                 "wh": masked_l1_sum(_at_least_float32(outputs["wh"]), mask, batch["ind"], batch["wh"])}
        if "reg" in outputs:
            terms["off"] = masked_l1_sum(_at_least_float32(outputs["reg"]), mask, batch["ind"], batch["reg"])
        # identity: embeddings at labelled object centres, normalised and scaled, classified
        emb = gather_at(_at_least_float32(outputs["id"]), batch["ind"])
        labelled = (mask > 0) & (batch["ids"] >= 0)
        classes = batch.get("cls")
        id_sum = 0.0
        for c, (classifier, scale) in enumerate(zip(self.classifiers, self.emb_scales)):
            rows = labelled if len(self.classifiers) == 1 else labelled & (classes == c)
            logits = classifier(scale * F.normalize(emb[rows], dim=1))
            id_sum = id_sum + F.cross_entropy(logits, batch["ids"][rows], reduction="sum")
            # keep every classifier in the graph when nothing is labelled (DDP needs every gradient)
            id_sum = id_sum + 0.0 * sum(p.sum() for p in classifier.parameters())
        terms["id"] = (id_sum, labelled.sum().to(id_sum.dtype))
        return terms

    def forward(self, outputs, batch, extra_terms=None):
        terms = self._stacked_terms(outputs, batch) if self.label_terms else {}
        terms.update(extra_terms or {})
        names = list(terms)
        sums = [terms[k][0] for k in names]
        counts = torch.stack([torch.as_tensor(terms[k][1]).detach().float() for k in names])
        world = 1
        if _distributed():
            world = dist.get_world_size()
            dist.all_reduce(counts)
        # as the original: L1 terms divide by (count + 1e-4); focal and id terms by the count,
        # or by 1 when it is zero
        eps = torch.tensor([1e-4 if k in ("wh", "off") else 0.0 for k in names], device=counts.device)
        norms = torch.where((counts > 0) | (eps > 0), counts + eps, torch.ones_like(counts))
        local = {k: s / norms[i] for i, (k, s) in enumerate(zip(names, sums))}
        stats = torch.stack([torch.as_tensor(local[k]).detach().reshape(()).to(torch.float64) for k in names])
        if world > 1:
            dist.all_reduce(stats)
        global_values = dict(zip(names, stats.tolist()))
        if self.balance == "uncertainty":
            loss, value, extra = uncertainty_combine(local, global_values, self.weights, self.s_det, self.s_id, world)
        elif self.balance == "fixed":
            loss, value, extra = fixed_combine(local, global_values, self.weights, world)
        else:
            loss, value, extra = adaptive_combine(local, global_values, self.targets, world)
        values = {f"{k}_loss": v for k, v in global_values.items()}
        values["loss"] = value
        values.update(extra)
        return loss, values
