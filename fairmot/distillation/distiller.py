"""``fairmot distill``: train a student network from frozen teachers, with or without labels.

The loop, checkpoints, exact resume, DDP and AMP are :class:`~fairmot.training.trainer.Trainer`'s;
what differs is the data (labelled JDE data and / or unlabelled frames, mixed in one sampler),
the classes (the data's and the teachers'), and the loss: every batch also goes, unchanged, through
each teacher, and the distillation terms (:mod:`fairmot.distillation.losses`) are balanced with
the label terms (``--loss-balance``).
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import torch.nn as nn
from torch.utils.data import ConcatDataset

from fairmot.datasets.classes import ClassTable, canonical_name, merge_tables, standard_number
from fairmot.errors import UserError
from fairmot.training.loss_balance import DEFAULT_TARGETS
from fairmot.training.losses import DEFAULT_WEIGHTS, MotLoss
from fairmot.training.trainer import Trainer

from .config import HEATMAP_LOSSES, DistillConfig
from .losses import distillation_terms
from .teachers import Teacher, load_teacher, parse_teacher_spec, teach
from .unlabeled import Labelled, UnlabeledFrames, parse_unlabeled_spec

LABEL_TERMS = ("hm", "wh", "off", "id")


class MixedFrames(ConcatDataset):
    """Labelled and unlabelled samples in one dataset (``set_epoch`` reaches both)."""

    def set_epoch(self, epoch: int) -> None:
        for dataset in self.datasets:
            dataset.set_epoch(epoch)


class ModelWithDistillation(nn.Module):
    """The student and its loss in one module for DDP; the teachers are kept outside the module
    tree (a plain list), so they are neither trained, synchronised nor saved with the student."""

    def __init__(self, model, loss, teachers: List[Teacher], max_peaks: int, min_score: float,
                 heatmap_loss: str = "mse"):
        super().__init__()
        self.model, self.loss = model, loss
        self.teachers = list(teachers)
        self.max_peaks, self.min_score = max_peaks, min_score
        self.heatmap_loss = heatmap_loss

    def forward(self, batch):
        images = batch["input"]
        outputs = self.model(images)
        grid = tuple(outputs["hm"].shape[-2:])
        wh_channels = outputs["wh"].shape[1]
        targets = [teach(t, images, grid, wh_channels, self.max_peaks, self.min_score) for t in self.teachers]
        return self.loss(outputs, batch, distillation_terms(outputs, targets, self.heatmap_loss))


def student_classes(cfg: DistillConfig, data_tables: List[ClassTable],
                    teacher_classes: List[List[Tuple[str, Optional[int]]]]) -> ClassTable:
    """The student's classes: ``--classes``, else the labelled data's followed by the teachers'
    (in order of appearance). Each class keeps the number the labelled data gives it, else the one
    its teacher's checkpoint gives it, else its standard one (MOT17's, COCO's), so that the
    student's results are numbered as its teachers' ground truth (``fairmot eval --per-class``)."""
    names: List[str] = []
    for table in data_tables:
        names += [n for n in table.names if n not in names]
    for taught in teacher_classes:
        names += [n for n, _ in taught if n not in names]
    order = [canonical_name(n) for n in cfg.classes] if cfg.classes else names
    labelled = {n for table in data_tables for n in table.names}
    used = {k for table in data_tables for k in table.numbers}
    known = {}
    candidates = [pair for taught in teacher_classes for pair in taught] + [(n, standard_number(n)) for n in order]
    for name, number in candidates:
        if name in order and name not in labelled and name not in known and number is not None and number not in used:
            known[name] = number
            used.add(number)
    extra = [ClassTable(tuple(known), tuple(known.values()))] if known else []
    return merge_tables([*data_tables, *extra], order=order)


def check_coverage(classes: ClassTable, data_tables: List[ClassTable], teachers: List[Teacher]) -> None:
    """Every student class is labelled or taught (UserError naming those that are not)."""
    covered = {n for table in data_tables for n in table.names} | {n for t in teachers for n in t.taught}
    untaught = [n for n in classes.names if n not in covered]
    if untaught:
        raise UserError(f"class(es) {', '.join(untaught)} of --classes are neither in the labelled data nor taught "
                        "by a teacher: add a --teacher PATH:CLASS for them")


class Distiller(Trainer):
    """A :class:`Trainer` whose loss adds the teachers' terms (``cfg``: :class:`DistillConfig`)."""

    verb = "distilling into"

    def _build_data(self):
        cfg = self.cfg
        if not cfg.teachers:
            raise UserError("no --teacher given: distillation needs at least one")
        if not cfg.data and not cfg.unlabeled:
            raise UserError("nothing to learn from: give --data (labelled) and/or --unlabeled SOURCE")
        if not cfg.label_weight >= 0:
            raise UserError(f"--label-weight must be >= 0, got {cfg.label_weight}")
        if cfg.heatmap_loss not in HEATMAP_LOSSES:
            raise UserError(f"--kd-heatmap must be one of {', '.join(HEATMAP_LOSSES)}, got {cfg.heatmap_loss!r}")
        teachers = [load_teacher(parse_teacher_spec(t), self.device, self.dtype) for t in cfg.teachers]
        joint = None
        data_tables: List[ClassTable] = []
        if cfg.data:
            from fairmot.datasets.jde import load_data_config
            config = load_data_config(cfg.data)
            data_tables = [config.class_table(name) or ClassTable.single() for name in config.train]
        self.classes = student_classes(cfg, data_tables, [t.taught_numbers() for t in teachers])
        self.teachers = [t.route(self.classes.names) for t in teachers]
        check_coverage(self.classes, data_tables, self.teachers)
        parts = []
        if cfg.data:
            from fairmot.datasets.joint_dataset import JointDataset
            joint = JointDataset.from_config(cfg.data, "train", img_size=tuple(cfg.input_size), augment=cfg.augment,
                                             ltrb=cfg.ltrb, seed=cfg.seed, scale_range=tuple(cfg.scale_range),
                                             progress=self.info.is_main, classes=self.classes)
            parts.append(Labelled(joint))
        if cfg.unlabeled:
            parts.append(UnlabeledFrames([parse_unlabeled_spec(u) for u in cfg.unlabeled], tuple(cfg.input_size),
                                         every=cfg.sample_every, augment=cfg.augment, ltrb=cfg.ltrb,
                                         num_classes=len(self.classes), seed=cfg.seed,
                                         scale_range=tuple(cfg.scale_range), progress=self.info.is_main))
        self.dataset = MixedFrames(parts)
        self.num_labelled = len(joint) if joint is not None else 0
        self.ids_per_class = list(joint.ids_per_class) if joint is not None else [0] * len(self.classes)
        self.nID = joint.nID if joint is not None else 0
        for teacher in self.teachers:
            self._log(f"teacher: {teacher.describe()}")
        if cfg.heatmap_loss == "kl" and not cfg.load_model and not cfg.resume:
            self._log("warning: --kd-heatmap kl on a student that starts from scratch collapsed in our measurement "
                      "(README, 'Distil a fast student'): give it trained weights with --load-model, or use mse")

    def _build_loss(self):
        cfg = self.cfg
        scale = cfg.label_weight
        weights = {**DEFAULT_WEIGHTS, **cfg.loss_weights}
        targets = {**DEFAULT_TARGETS, **cfg.loss_targets}
        for k in LABEL_TERMS:
            weights[k] *= scale
            targets[k] *= scale
        labels = bool(cfg.data) and scale > 0
        return MotLoss(self.ids_per_class, cfg.reid_dim, hm_weight=weights["hm"], wh_weight=weights["wh"],
                       off_weight=weights["off"], id_weight=weights["id"], balance=cfg.loss_balance,
                       weights=weights, targets=targets, label_terms=labels)

    def _wrap(self, model, loss):
        return ModelWithDistillation(model, loss, self.teachers, self.cfg.max_peaks, self.cfg.min_score,
                                     self.cfg.heatmap_loss)

    def _check_resume(self, path, meta):
        super()._check_resume(path, meta)
        saved = tuple((meta.get("config") or {}).get("teachers") or ())
        if saved != tuple(self.cfg.teachers):
            raise UserError(f"{path} was distilled from --teacher {' '.join(saved) or '(none)'}: resume with the "
                            "same teachers")
        saved_heatmap = (meta.get("config") or {}).get("heatmap_loss", "mse")
        if saved_heatmap != self.cfg.heatmap_loss:
            raise UserError(f"{path} was distilled with --kd-heatmap {saved_heatmap}, not {self.cfg.heatmap_loss}: "
                            "resume with the same --kd-heatmap")

    def checkpoint_dict(self, epoch):
        ckpt = super().checkpoint_dict(epoch)
        ckpt["distillation"] = {"teachers": [t.record() for t in self.teachers],
                                "labelled_images": self.num_labelled,
                                "unlabeled_frames": len(self.dataset) - self.num_labelled}
        return ckpt
