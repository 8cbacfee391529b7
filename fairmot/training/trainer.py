"""Joint detection + re-ID training, on one CPU/GPU or many processes (torchrun + DDP).

Checkpoints are written atomically at the end of every epoch and hold everything needed to
continue exactly: the network, the loss-side parameters (identity classifier, s_det, s_id), the
optimizer, the epoch and the configuration. Data order and augmentation are functions of
(seed, epoch, index), so ``--resume`` after an interruption gives the same weights as an
uninterrupted run (bitwise on CPU).
"""
import json
import logging
import math
import os
import random
import time
from dataclasses import asdict
from typing import Optional

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, DistributedSampler
from tqdm import tqdm

from fairmot.datasets.classes import ClassTable
from fairmot.datasets.joint_dataset import JointDataset
from fairmot.device import resolve_device
from fairmot.errors import UserError
from fairmot.models import create_model, list_archs
from fairmot.models.checkpoint import (
    carry_class_channels,
    heatmap_classes,
    load_state_dict_checked,
    read_checkpoint,
)
from fairmot.models.pretrained import load_backbone_state, read_pretrained
from fairmot.utils.atomic import atomic_save

from . import distributed as fdist
from .config import LAST_CHECKPOINT, lr_at
from .curves import CurvesWriter
from .losses import MotLoss, remap_loss_state
from .optimizers import build_optimizer

logger = logging.getLogger(__name__)

def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def save_atomically(obj, path):
    """torch.save to a temporary file, then rename: a crash never leaves a half-written checkpoint."""
    atomic_save(path, lambda tmp: torch.save(obj, tmp))


def _append_jsonl(path, record):
    with open(path, "a") as f:
        f.write(json.dumps(record) + "\n")
        f.flush()


def training_device(device: str = "auto", info: Optional[fdist.DistInfo] = None) -> torch.device:
    """The device this process trains on, made current: :func:`fairmot.device.resolve_device`'s
    (CUDA always with an index, which ``torch.cuda.set_device`` needs); under torchrun each
    process takes the GPU of its local rank."""
    target = resolve_device(device)
    if target.type == "cuda" and info is not None and info.enabled:
        target = resolve_device(f"cuda:{info.local_rank}")  # one GPU per process
    if target.type == "cuda":
        torch.cuda.set_device(target)
    return target


def check_output_folder(output: str, resume) -> None:
    """A new run never writes into an earlier one: its checkpoint and log would be replaced and
    mixed (UserError); ``--resume`` is how an existing run goes on."""
    if os.path.exists(output) and not os.path.isdir(output):
        raise UserError(f"--output {output} is a file, not a folder")
    if resume:
        return
    earlier = [f for f in (LAST_CHECKPOINT, "log.jsonl") if os.path.exists(os.path.join(output, f))]
    if earlier:
        raise UserError(f"{output} already holds a training run ({', '.join(earlier)}): pass --resume to "
                        "continue it, or another --output")


def with_arch_defaults(cfg):
    """``cfg`` with head_conv / reid_dim left as None set to the architecture's (yolov5s: 64 / 64)."""
    from dataclasses import replace

    from fairmot.models.registry import arch_defaults
    if cfg.arch not in list_archs():
        raise UserError(f"unknown architecture {cfg.arch!r}; choose one of {', '.join(list_archs())}")
    defaults = arch_defaults(cfg.arch)
    return replace(cfg, head_conv=defaults["head_conv"] if cfg.head_conv is None else cfg.head_conv,
                   reid_dim=defaults["reid_dim"] if cfg.reid_dim is None else cfg.reid_dim)


class ModelWithLoss(nn.Module):
    """One module for DDP: the network and the loss's own parameters are synchronised together."""

    def __init__(self, model, loss):
        super().__init__()
        self.model, self.loss = model, loss

    def forward(self, batch):
        outputs = self.model(batch["input"])
        return self.loss(outputs, batch)


class Trainer:
    verb = "training"   # what the run's first line says it does

    def __init__(self, cfg):
        self.cfg = cfg = with_arch_defaults(cfg)
        # the backend (nccl or gloo) follows the device type; the GPU then follows the local rank
        self.info = fdist.init_from_env(resolve_device(cfg.device).type)
        self.device = training_device(cfg.device, self.info)
        if cfg.batch_size % self.info.world_size:
            raise UserError(f"batch size {cfg.batch_size} must be divisible by the {self.info.world_size} processes")
        self.amp = cfg.amp and self.device.type == "cuda" and not cfg.float64
        self.dtype = torch.float64 if cfg.float64 else torch.float32
        seed_everything(cfg.seed)
        check_output_folder(cfg.output, cfg.resume)

        self._build_data()
        self.model = create_model(cfg.arch, cfg.heads(len(self.classes)), cfg.head_conv)
        self.model.class_table = self.classes
        self.loss = self._build_loss()
        if cfg.load_model and not cfg.resume:
            self._load_initial_weights(cfg.load_model)
        if cfg.sync_bn and self.info.enabled:
            self.model = fdist.convert_sync_batchnorm(self.model, self.device.type)
        self.module = self._wrap(self.model, self.loss).to(self.device, self.dtype)
        self.optimizer = build_optimizer(cfg, self.model.parameters(), self.loss.parameters())
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp)
        self.start_epoch = 0
        if cfg.resume:
            self._resume()
        self.ddp = self.module
        if self.info.enabled:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.ddp = nn.parallel.DistributedDataParallel(self.module, device_ids=ids)
        # the same sampler with one replica when single-process: identical global batches either way
        self.sampler = DistributedSampler(self.dataset, num_replicas=self.info.world_size, rank=self.info.rank,
                                          shuffle=True, seed=cfg.seed, drop_last=True)
        self.per_process_batch = cfg.batch_size // self.info.world_size
        if len(self.sampler) < self.per_process_batch:
            raise UserError(f"{len(self.dataset)} training images are fewer than one batch of {cfg.batch_size}")
        if self.info.is_main:  # only once everything loaded: a run that cannot start leaves no folder
            os.makedirs(cfg.output, exist_ok=True)

    def _build_data(self):
        """``dataset`` (items as JointDataset's), ``classes``, ``ids_per_class``, ``nID``."""
        cfg = self.cfg
        self.dataset = JointDataset.from_config(cfg.data, "train", img_size=tuple(cfg.input_size),
                                                augment=cfg.augment, ltrb=cfg.ltrb, seed=cfg.seed,
                                                scale_range=tuple(cfg.scale_range),
                                                progress=self.info.is_main, classes=cfg.classes)
        self.classes = self.dataset.classes
        self.ids_per_class, self.nID = list(self.dataset.ids_per_class), self.dataset.nID

    def _wrap(self, model, loss):
        """The one module DDP synchronises: the network and the loss's parameters."""
        return ModelWithLoss(model, loss)

    def _build_loss(self):
        cfg = self.cfg
        return MotLoss(self.ids_per_class, cfg.reid_dim, balance=cfg.loss_balance,
                       weights=cfg.loss_weights, targets=cfg.loss_targets)

    # ----- weights ---------------------------------------------------------------------------
    def _load_initial_weights(self, path):
        state_dict, meta, kind = read_pretrained(path)   # the file is read once
        if kind:   # an ImageNet / COCO backbone file
            self._log(load_backbone_state(self.model, state_dict, kind, path))
            return
        note = ""
        if heatmap_classes(state_dict):   # another class list: each class it has keeps its heatmap channel
            try:
                source_classes = ClassTable.from_record(meta.get("classes"), heatmap_classes(state_dict))
            except UserError as err:
                raise UserError(f"--load-model {path}: {err}") from None
            if source_classes.names != self.classes.names:
                state_dict, carried = carry_class_channels(state_dict, source_classes, self.model)
                if carried:
                    new = [n for n in self.classes.names if n not in carried]
                    note = (f"; heatmap channels by class name: {', '.join(carried)} carried over, "
                            f"{', '.join(new) or 'none'} new")
        report = load_state_dict_checked(self.model, state_dict, strict=False, source=repr(path))
        if report.exact:
            self._log(f"initialised all weights from {path}{note}")
            return
        heads = tuple(f"{h}." for h in self.model.heads)
        head_keys = [k for k, _, _ in report.mismatched] + report.missing + report.unexpected
        others = [k for k in head_keys if not k.startswith(heads)]
        if not self.cfg.reinit_heads or others:
            hint = "" if others else " (only head weights differ: add --reinit-heads to start those from scratch)"
            raise UserError(f"--load-model {path} does not match {self.cfg.arch}: {report.summary()}{hint}")
        self._log(f"initialised from {path}{note}; heads re-initialised: {report.summary()}")

    def checkpoint_dict(self, epoch):
        return {"epoch": epoch, "state_dict": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "loss_state": self.loss.state_dict(), "scaler": self.scaler.state_dict(),
                "arch": self.cfg.arch, "heads": self.model.heads, "head_conv": self.cfg.head_conv,
                "ltrb": self.cfg.ltrb, "nID": self.nID, "ids_per_class": list(self.ids_per_class),
                "classes": self.classes.record(), "config": asdict(self.cfg)}

    def _check_resume(self, path, meta):
        """UserError when the checkpoint at ``path`` (its ``meta``) is not a run of this configuration."""
        saved_optimizer = (meta.get("config") or {}).get("optimizer", "adam")
        if saved_optimizer != self.cfg.optimizer:
            raise UserError(f"{path} was trained with --optimizer {saved_optimizer}, not {self.cfg.optimizer}: "
                            "resume with the same --optimizer")
        saved_balance = (meta.get("config") or {}).get("loss_balance", "uncertainty")
        if saved_balance != self.cfg.loss_balance:
            raise UserError(f"{path} was trained with --loss-balance {saved_balance}, not "
                            f"{self.cfg.loss_balance}: resume with the same --loss-balance")

    def _resume(self):
        path = self.cfg.resume if isinstance(self.cfg.resume, str) else os.path.join(self.cfg.output, LAST_CHECKPOINT)
        if not os.path.isfile(path):
            raise UserError(f"--resume: no checkpoint at {path}")
        state_dict, meta = read_checkpoint(path, map_location=self.device)
        if "optimizer" not in meta or "loss_state" not in meta:
            raise UserError(f"{path} lacks the optimizer or loss state needed to resume; "
                            "use --load-model to start a new training from its weights")
        self._check_resume(path, meta)
        ids = list(meta.get("ids_per_class") or [meta.get("nID")])
        if ids != list(self.ids_per_class):
            raise UserError(f"{path} was trained on {'/'.join(map(str, ids))} identities, the data now has "
                            f"{'/'.join(map(str, self.ids_per_class))}: resume with the same --data")
        saved = (meta.get("classes") or {}).get("names", ["person"])
        if list(saved) != list(self.classes.names):
            raise UserError(f"{path} was trained on classes {', '.join(saved)}, the data now gives "
                            f"{', '.join(self.classes.names)}: resume with the same --data and --classes")
        load_state_dict_checked(self.model, state_dict, strict=True, source=repr(path))
        load_state_dict_checked(self.loss, remap_loss_state(meta["loss_state"]), strict=True,
                                source=f"{path} (loss state)")
        self.optimizer.load_state_dict(meta["optimizer"])
        if meta.get("scaler"):
            self.scaler.load_state_dict(meta["scaler"])
        self.start_epoch = int(meta["epoch"])
        self._log(f"resumed from {path} after epoch {self.start_epoch}")

    # ----- loop ------------------------------------------------------------------------------
    def _log(self, message):
        if self.info.is_main:
            tqdm.write(message)

    def _loader(self, epoch):
        self.sampler.set_epoch(epoch)
        self.dataset.set_epoch(epoch)
        return DataLoader(self.dataset, batch_size=self.per_process_batch, sampler=self.sampler,
                          num_workers=self.cfg.num_workers, pin_memory=self.device.type == "cuda",
                          drop_last=True)

    def train_epoch(self, epoch):
        cfg = self.cfg
        lr = lr_at(cfg, epoch)
        self.ddp.train()
        loader = self._loader(epoch)
        steps = len(loader) if not cfg.max_steps_per_epoch else min(len(loader), cfg.max_steps_per_epoch)
        bar = tqdm(total=steps, desc=f"epoch {epoch}/{cfg.epochs}", disable=not self.info.is_main,
                   dynamic_ncols=True, leave=True)
        totals, seen, t0 = {}, 0, time.perf_counter()
        for step, batch in enumerate(loader):
            if step >= steps:
                break
            step_lr = lr_at(cfg, epoch, step / steps)
            for group in self.optimizer.param_groups:
                group["lr"] = step_lr
            batch = {k: v.to(self.device, self.dtype if v.is_floating_point() else v.dtype, non_blocking=True)
                     for k, v in batch.items()}
            with torch.autocast(device_type=self.device.type, dtype=torch.float16, enabled=self.amp):
                loss, stats = self.ddp(batch)
            if not math.isfinite(stats["loss"]):
                raise UserError(f"loss became {stats['loss']} at epoch {epoch} step {step + 1}: "
                                "lower --lr or check the data")
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            seen += self.cfg.batch_size
            for k, v in stats.items():
                totals[k] = totals.get(k, 0.0) + v
            if self.info.is_main:
                bar.set_postfix({k.replace("_loss", ""): f"{v:.3f}" for k, v in stats.items()
                                 if k.endswith("loss")}, refresh=False)
                bar.update()
                if cfg.log_steps:
                    _append_jsonl(os.path.join(cfg.output, "steps.jsonl"),
                                  {"epoch": epoch, "step": step + 1, "lr": step_lr, **stats})
        bar.close()
        elapsed = time.perf_counter() - t0
        record = {"epoch": epoch, "lr": lr, "steps": steps, **{k: v / max(steps, 1) for k, v in totals.items()},
                  "time_s": round(elapsed, 2), "images_per_s": round(seen / elapsed, 3) if elapsed else None}
        return record

    def fit(self):
        cfg = self.cfg
        if self.info.is_main:
            per_class = (" (" + ", ".join(f"{n} {k}" for n, k in zip(self.classes.names, self.ids_per_class))
                         + ")") if len(self.classes) > 1 else ""
            self._log(f"{self.verb} {cfg.arch} on {len(self.dataset)} images, {self.nID} identities{per_class}, "
                      f"{self.info.world_size} process(es) on {self.device.type}, global batch {cfg.batch_size}, "
                      f"epochs {self.start_epoch + 1}-{cfg.epochs}; output {cfg.output}")
        history = []
        size = "x".join(str(v) for v in cfg.input_size)
        curves = CurvesWriter(cfg.output, f"{cfg.arch} at {size}: {cfg.output}", self._log)
        for epoch in range(self.start_epoch + 1, cfg.epochs + 1):
            record = self.train_epoch(epoch)
            history.append(record)
            if self.info.is_main:
                _append_jsonl(os.path.join(cfg.output, "log.jsonl"), record)
                ckpt = self.checkpoint_dict(epoch)
                save_atomically(ckpt, os.path.join(cfg.output, LAST_CHECKPOINT))
                if epoch in cfg.lr_steps or (cfg.save_every and epoch % cfg.save_every == 0):
                    save_atomically(ckpt, os.path.join(cfg.output, f"model_{epoch}.pth"))
                curves()
                terms = " ".join(f"{k[:-5]} {v:.4f}" for k, v in record.items() if k.endswith("_loss"))
                self._log(f"epoch {epoch}: loss {record['loss']:.4f} ({terms}) "
                          f"{record['images_per_s']} img/s, saved {LAST_CHECKPOINT}")
            if self.info.enabled:
                torch.distributed.barrier()
        return history
