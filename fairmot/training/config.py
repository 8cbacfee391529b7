"""Training configuration: every option of ``fairmot train`` as one plain dataclass.

It is stored in each checkpoint (``config``), so a run can be resumed and a model's recipe read.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Optional, Tuple, Union

LAST_CHECKPOINT = "model_last.pth"


@dataclass
class TrainConfig:
    data: str
    output: str = "runs/train"
    arch: str = "dla_34"
    head_conv: Optional[int] = None   # None: the architecture's (256; 64 for yolov5s)
    reid_dim: Optional[int] = None    # None: the architecture's (128; 64 for yolov5s)
    ltrb: bool = True
    input_size: Tuple[int, int] = (1088, 608)
    batch_size: int = 12          # global batch, split over processes
    lr: float = 1e-4
    epochs: int = 30
    lr_steps: Tuple[int, ...] = (20,)       # lr x 0.1 after each of these epochs
    num_workers: int = 8
    seed: int = 0
    augment: bool = True
    scale_range: Tuple[float, float] = (0.5, 1.2)  # random affine zoom range (the original's)
    amp: bool = True              # mixed precision, CUDA only
    float64: bool = False         # double precision: numerical checks (e.g. DDP against one process)
    sync_bn: bool = False
    save_every: int = 0           # also keep model_<epoch>.pth every N epochs (always at lr steps)
    load_model: Optional[str] = None        # initial weights: FairMOT/CenterNet checkpoint or ImageNet DLA-34
    reinit_heads: bool = False    # with load_model: re-initialise heads whose shapes differ
    resume: Union[bool, str] = False
    device: str = "auto"
    max_steps_per_epoch: int = 0  # 0: whole epochs (smaller for smoke tests and benchmarks)
    log_steps: bool = False       # also write every step's losses to steps.jsonl
    loss_weights: dict = field(default_factory=lambda: {"hm": 1.0, "wh": 0.1, "off": 1.0, "id": 1.0})
    classes: Optional[Tuple[str, ...]] = None   # the model's classes in this order (None: the data's)
    loss_balance: str = "uncertainty"   # uncertainty (FairMOT's s_det / s_id), fixed, adaptive (centerX's)
    loss_targets: dict = field(default_factory=dict)  # adaptive: a term's held value (unset: DEFAULT_TARGETS)
    lr_schedule: str = "step"     # step: x0.1 after each of lr_steps; cosine: from lr to 0, every step
    optimizer: str = "adam"       # adam (FairMOT's) or sgd (momentum 0.9, weight decay 1e-4: centerX's)

    @classmethod
    def from_dict(cls, d):
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def heads(self, num_classes: int = 1):
        return {"hm": num_classes, "wh": 4 if self.ltrb else 2, "reg": 2, "id": self.reid_dim}


LR_SCHEDULES = ("step", "cosine")
OPTIMIZERS = ("adam", "sgd")


def lr_at(cfg: TrainConfig, epoch: int, fraction: float = 0.0) -> float:
    """Learning rate at ``fraction`` (0 <= f < 1) of the way through (1-based) ``epoch``.

    ``step``: lr x 0.1 for every step epoch already finished (constant within an epoch).
    ``cosine``: ``lr * (1 + cos(pi * t)) / 2`` with t the fraction of all epochs done.
    """
    if getattr(cfg, "lr_schedule", "step") == "cosine":
        t = (epoch - 1 + fraction) / cfg.epochs
        return cfg.lr * 0.5 * (1.0 + math.cos(math.pi * min(max(t, 0.0), 1.0)))
    return cfg.lr * 0.1 ** sum(1 for s in cfg.lr_steps if epoch > s)
