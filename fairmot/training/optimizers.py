"""The optimizer of a training run (``--optimizer``)."""
from __future__ import annotations

import torch

from fairmot.errors import UserError

from .config import OPTIMIZERS, TrainConfig

SGD_MOMENTUM, SGD_WEIGHT_DECAY = 0.9, 1e-4   # detectron2's defaults, which centerX trains with


def build_optimizer(cfg: TrainConfig, network_params, loss_params) -> torch.optim.Optimizer:
    """``cfg.optimizer`` over the network, the loss's own parameters (uncertainty's s_det / s_id)
    as a second group without weight decay."""
    if cfg.optimizer == "adam":   # as the original FairMOT
        optimizer = torch.optim.Adam(network_params, cfg.lr)
    elif cfg.optimizer == "sgd":
        optimizer = torch.optim.SGD(network_params, cfg.lr, momentum=SGD_MOMENTUM, weight_decay=SGD_WEIGHT_DECAY)
    else:
        raise UserError(f"unknown optimizer {cfg.optimizer!r}: choose {' or '.join(OPTIMIZERS)}")
    loss_params = list(loss_params)
    if loss_params:
        optimizer.add_param_group({"params": loss_params, "weight_decay": 0.0})
    return optimizer
