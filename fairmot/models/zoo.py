"""Weights records: every set of weights with its architecture, input size, recipe and scores.

As torchvision's weight enums do, a record is the one place that says what a file is, how it
was made and what it measured, so the CLI, the README and the tests read the same facts.
Nothing is downloaded: a record points at a file inside the package or names one to bring.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights")


@dataclass(frozen=True)
class WeightsRecord:
    """One set of weights and what is known about it."""
    name: str
    filename: str
    arch: str
    heads: Dict[str, int]
    head_conv: int
    input_size: Tuple[int, int]          # (width, height) it was trained at and is run at
    trained_on: str
    recipe: Tuple[str, ...] = ()         # the commands that made it
    metrics: Dict[str, float] = field(default_factory=dict)  # measured, with where in `evaluated_on`
    evaluated_on: str = ""
    bundled: bool = False                # shipped inside the package
    classes: Tuple[str, ...] = ("person",)  # heatmap channel order

    @property
    def path(self) -> Optional[str]:
        """Where the file is when it ships with the package (None for external weights)."""
        return os.path.join(WEIGHTS_DIR, self.filename) if self.bundled else None


DEMO_RESDCN18W32_SYNTH = WeightsRecord(
    name="demo_resdcn18w32_synth",
    filename="demo_resdcn18w32_synth.pth",
    arch="resdcn_18_w32",
    heads={"hm": 1, "wh": 4, "reg": 2, "id": 128},
    head_conv=64,
    input_size=(384, 224),
    trained_on="35 synthetic sequences x 30 frames (fairmot synth, seed 0)",
    recipe=(
        "fairmot synth data/synth --sequences 36 --frames 30 --seed 0",
        "fairmot train --data data/synth/data.json --output runs/synth --arch resdcn_18_w32 "
        "--head-conv 64 --input-size 384x224 --batch-size 8 --epochs 13 --lr 1e-3 --lr-step 10 "
        "--num-workers 1",
        "fairmot synth data/heldout --sequences 2 --frames 150 --seed 7 --val-sequences 0 --name heldout",
        "fairmot eval data/heldout --weights runs/synth/model_last.pth",
        "python scripts/pack_weights.py runs/synth/model_last.pth "
        "fairmot/models/weights/demo_resdcn18w32_synth.pth --int8",
        "fairmot eval data/heldout --weights fairmot/models/weights/demo_resdcn18w32_synth.pth",
    ),
    # the bundled int8 file (3.7 MiB), tracked by the default tracker ("hybrid"); with
    # --tracker fairmot: MOTA 0.805 / IDF1 0.700, demo 0.822 / 0.786 (float16, 7.2 MiB, it was
    # 0.808 / 0.702 / 0.825 / 0.786 with that tracker)
    metrics={"AP50": 0.901, "MOTA": 0.830, "IDF1": 0.801, "demo MOTA": 0.811, "demo IDF1": 0.817},
    evaluated_on="AP50/MOTA/IDF1: held-out synthetic sequences heldout-00 and heldout-01 (seed 7, "
                 "2 x 150 frames); demo: the clip of `fairmot demo` (seed 1, 150 frames); tracker: "
                 "the default, hybrid",
    bundled=True,
)

FAIRMOT_DLA34_MOT17 = WeightsRecord(
    name="fairmot_dla34",
    filename="fairmot_dla34.pth",
    arch="dla_34",
    heads={"hm": 1, "wh": 4, "reg": 2, "id": 128},
    head_conv=256,
    input_size=(1088, 608),
    trained_on="the original FairMOT release (CrowdHuman + MIX + MOT17); bring the file yourself",
)

PERSON_CAR_RESDCN18W32_SYNTH = WeightsRecord(
    name="person_car_resdcn18w32_synth",
    filename="model_last.pth",
    arch="resdcn_18_w32",
    heads={"hm": 2, "wh": 4, "reg": 2, "id": 128},
    head_conv=64,
    input_size=(384, 224),
    classes=("person", "car"),
    trained_on="35 synthetic sequences x 30 frames with people and cars (fairmot synth --classes person,car, "
               "seed 0) + coco256's person and car boxes (detection only), from the bundled demo model",
    recipe=(
        "fairmot synth data/mc --classes person,car --sequences 36 --frames 30 --seed 0",
        "fairmot convert coco ../shared/data/coco256/annotations.json --images ../shared/data/coco256/images "
        "--categories person,car --name coco256 --out data/mc",
        "fairmot train --data data/mc/data.json --output runs/mc --arch resdcn_18_w32 --head-conv 64 "
        "--input-size 384x224 --batch-size 8 --epochs 16 --lr 1e-3 --lr-step 12 --num-workers 1 "
        "--load-model fairmot/models/weights/demo_resdcn18w32_synth.pth",
        "fairmot synth data/mc-heldout --classes person,car --sequences 2 --frames 150 --seed 7 "
        "--val-sequences 0 --name heldout",
        "fairmot eval data/mc-heldout --weights runs/mc/model_last.pth --per-class",
    ),
    metrics={"person AP50": 0.910, "person MOTA": 0.836, "person IDF1": 0.817,
             "car AP50": 0.845, "car MOTA": 0.600, "car IDF1": 0.707},
    evaluated_on="held-out synthetic sequences with people and cars (seed 7, 2 x 150 frames, 31 people, "
                 "15 cars); tracker: the default, hybrid; 28 min of training on a 2-core CPU",
)

RECORDS = {r.name: r for r in (DEMO_RESDCN18W32_SYNTH, FAIRMOT_DLA34_MOT17, PERSON_CAR_RESDCN18W32_SYNTH)}


def get_weights(name: str) -> WeightsRecord:
    """The record called ``name`` (ValueError listing the known ones otherwise)."""
    from fairmot.errors import UserError
    if name not in RECORDS:
        raise UserError(f"no weights called {name!r}; known: {', '.join(sorted(RECORDS))}")
    return RECORDS[name]
