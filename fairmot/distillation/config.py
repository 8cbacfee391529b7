"""What a distillation run is: :class:`DistillConfig` and the choices its options take (no torch here,
so that the command line lists them without loading it)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from fairmot.training.config import TrainConfig

HEATMAP_LOSSES = ("mse", "kl")   # kd_hm: centerX's squared difference, or per-pixel Bernoulli KL
MAX_PEAKS = 128     # per image: FairMOT keeps 500 boxes; a scene of >128 objects loses its weakest
MIN_SCORE = 0.05    # a teacher peak below this is background (FairMOT tracks from 0.4)


@dataclass
class DistillConfig(TrainConfig):
    data: Optional[str] = None                 # labelled JDE data (optional)
    teachers: Tuple[str, ...] = ()             # PATH[:CLASSES][@WxH] each
    unlabeled: Tuple[str, ...] = ()            # PATH[:A-B] each: frames without labels
    sample_every: int = 1                      # every k-th frame of an unlabelled source
    label_weight: float = 1.0                  # the label terms' weights (or targets) times this
    heatmap_loss: str = "mse"                  # kd_hm: one of HEATMAP_LOSSES
    max_peaks: int = MAX_PEAKS
    min_score: float = MIN_SCORE
