"""How loss terms are combined into the one scalar that is back-propagated (``--loss-balance``).

- ``uncertainty``: FairMOT's learnable task weights. Detection terms (heatmap, size, offset,
  and their distillation counterparts) are summed with fixed weights into ``det``, identity
  terms into ``id``, and ``0.5 * (exp(-s_det) det + exp(-s_id) id + s_det + s_id)`` is minimised
  over the network and ``s_det`` / ``s_id`` together (Kendall et al.; FairMOT's default).
- ``fixed``: ``sum(weight_k * term_k)``, weights as given.
- ``adaptive``: centerX's ("communism") loss: every step each term's weight is set, detached, to
  ``target_k / term_k``, so every weighted term has the value of its target. Gradients then have
  the size of ``target_k * grad(log term_k)``: a term that spikes (a bad step at a high learning
  rate) cannot swamp the others or blow the step up. centerX pairs it with a cosine schedule.

Each function takes the terms of this process (``local``: differentiable, each a sum over the
process's samples divided by the global count) and their values over the global batch
(``global_values``: detached, equal on every process), and returns the scalar to
back-propagate, scaled so that DistributedDataParallel's gradient averaging gives the gradient
of the global batch's loss, together with that loss's value and what to log.
"""
from __future__ import annotations

import math
from typing import Dict, Mapping, Tuple

import torch

BALANCES = ("uncertainty", "fixed", "adaptive")

# terms that measure identity (the rest measure detection)
ID_TERMS = ("id", "kd_id")

# adaptive targets: centerX's (heatmap 1.5, size 0.3, offset 0.1) for the label terms and their
# distillation counterparts; identity terms 1.0, near where FairMOT's weighted id term settles
DEFAULT_TARGETS = {"hm": 1.5, "wh": 0.3, "off": 0.1, "id": 1.0,
                   "kd_hm": 1.5, "kd_wh": 0.3, "kd_off": 0.1, "kd_id": 1.0}

# a term this small has nothing left to learn this step: adaptive leaves it out (its weight 0)
ADAPTIVE_FLOOR = 1e-8


def is_id_term(name: str) -> bool:
    return name in ID_TERMS


def uncertainty_combine(local: Mapping[str, torch.Tensor], global_values: Mapping[str, float],
                        weights: Mapping[str, float], s_det: torch.Tensor, s_id: torch.Tensor,
                        world: int = 1) -> Tuple[torch.Tensor, float, Dict[str, float]]:
    """FairMOT's ``0.5 * (exp(-s_det) det + exp(-s_id) id + s_det + s_id)``."""
    det = sum(weights[k] * v for k, v in local.items() if not is_id_term(k))
    ident = sum(weights[k] * v for k, v in local.items() if is_id_term(k))
    # s_det / s_id are the same on every process: not scaled by the world size
    loss = 0.5 * (world * (torch.exp(-s_det) * det + torch.exp(-s_id) * ident) + s_det + s_id)
    det_g = sum(weights[k] * v for k, v in global_values.items() if not is_id_term(k))
    id_g = sum(weights[k] * v for k, v in global_values.items() if is_id_term(k))
    sd, si = s_det.item(), s_id.item()
    value = 0.5 * (math.exp(-sd) * det_g + math.exp(-si) * id_g + sd + si)
    return loss.squeeze(), value, {"s_det": sd, "s_id": si}


def fixed_combine(local: Mapping[str, torch.Tensor], global_values: Mapping[str, float],
                  weights: Mapping[str, float], world: int = 1) -> Tuple[torch.Tensor, float, Dict[str, float]]:
    """``sum(weight_k * term_k)``."""
    loss = world * sum(weights[k] * v for k, v in local.items())
    value = sum(weights[k] * v for k, v in global_values.items())
    return loss, value, {}


def adaptive_weights(global_values: Mapping[str, float], targets: Mapping[str, float]) -> Dict[str, float]:
    """Each term's weight this step: ``target / value`` (0 for a term at ~0: nothing to learn)."""
    return {k: (targets[k] / v if v > ADAPTIVE_FLOOR else 0.0) for k, v in global_values.items()}


def adaptive_combine(local: Mapping[str, torch.Tensor], global_values: Mapping[str, float],
                     targets: Mapping[str, float], world: int = 1) -> Tuple[torch.Tensor, float, Dict[str, float]]:
    """centerX's adaptive loss: every weighted term held at its target (weights detached)."""
    weights = adaptive_weights(global_values, targets)
    loss = world * sum(weights[k] * v for k, v in local.items())
    value = sum(weights[k] * v for k, v in global_values.items())
    return loss, value, {f"w_{k}": w for k, w in weights.items()}


def check_weights(names, weights: Mapping[str, float], what: str) -> None:
    """Every term has a finite weight >= 0 (ValueError naming the first that does not)."""
    for name in names:
        if name not in weights:
            raise ValueError(f"no {what} for loss term {name!r}")
        if not (math.isfinite(weights[name]) and weights[name] >= 0):
            raise ValueError(f"{what} of {name!r} must be a finite number >= 0, got {weights[name]}")
