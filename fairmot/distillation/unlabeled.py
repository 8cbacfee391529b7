"""Frames nobody labelled, as training samples for distillation (``fairmot distill --unlabeled``).

Any source ``fairmot track`` reads (a video file, a folder of images, a MOTChallenge sequence),
optionally cut to frames ``A-B`` (``PATH:A-B``) and sampled every k-th frame. Image files are
read when a sample is drawn; a video's sampled frames are decoded once, at the start, and kept
in memory as JPEG (about 100 KB a frame), so that samples can be drawn in any order.

Samples are augmented as labelled ones (HSV, random affine, flip; a generator seeded by
(seed, epoch, index)) and carry empty label targets with ``labelled`` = 0, so the label losses
leave them out and a batch can mix them with labelled images.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
from torch.utils.data import Dataset
from tqdm import tqdm

from fairmot.datasets.augment import augment_hsv, hflip, letterbox, random_affine
from fairmot.datasets.targets import MAX_OBJECTS, build_targets
from fairmot.errors import UserError

_RANGE = re.compile(r":(\d+-\d+)$")
JPEG_QUALITY = 95
# a third element in the augmentation seed: unlabelled index i never draws labelled image i's
SEED_STREAM = 1


@dataclass(frozen=True)
class UnlabeledSpec:
    path: str
    frames: Optional[Tuple[int, int]] = None   # first, last (1-based, inclusive)


def parse_unlabeled_spec(text: str) -> UnlabeledSpec:
    """``PATH`` or ``PATH:A-B`` (frames A to B of the source)."""
    from fairmot.utils.parsing import parse_frame_range
    text = str(text)
    match = _RANGE.search(text)
    if match and not os.path.exists(text):
        return UnlabeledSpec(text[:match.start()], parse_frame_range(match.group(1)))
    return UnlabeledSpec(text)


def collect_frames(spec: UnlabeledSpec, every: int = 1, progress: bool = True) -> List[Tuple[str, object]]:
    """The sampled frames of one source: ``("file", path)`` for image files, ``("jpeg", bytes)``
    for a video's frames. UserError when the source cannot be read or yields nothing."""
    from fairmot.inference.sources import ImageSequenceSource, open_source
    first, last = spec.frames or (1, None)
    source = open_source(spec.path, start_frame=first, end_frame=last)
    items: List[Tuple[str, object]] = []
    with source:
        inner = getattr(source, "source", source)
        if isinstance(inner, ImageSequenceSource):
            end = len(inner.paths) if last is None else min(last, len(inner.paths))
            items = [("file", inner.paths[i - 1]) for i in range(first, end + 1, every)]
        else:
            bar = tqdm(total=source.length or None, desc=f"reading {os.path.basename(spec.path)}", unit="frame",
                       disable=not progress or None, leave=False)
            for index, frame in source:
                bar.update()
                if (index - first) % every:
                    continue
                ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
                if ok:
                    items.append(("jpeg", data.tobytes()))
            bar.close()
    if not items:
        where = f" frames {first}-{last}" if spec.frames else ""
        raise UserError(f"--unlabeled {spec.path}{where}: no frames to learn from")
    return items


class UnlabeledFrames(Dataset):
    """Sampled frames of ``specs`` as augmented training samples with empty targets.

    Items have the keys of :class:`~fairmot.datasets.joint_dataset.JointDataset`'s plus
    ``labelled`` = 0.
    """

    def __init__(self, specs: Sequence[UnlabeledSpec], img_size=(1088, 608), every: int = 1, augment: bool = True,
                 ltrb: bool = True, num_classes: int = 1, seed: int = 0, scale_range=(0.5, 1.2),
                 max_objs: int = MAX_OBJECTS, down_ratio: int = 4, progress: bool = True):
        if every < 1:
            raise UserError(f"--sample-every must be at least 1, got {every}")
        self.width, self.height = img_size
        self.augment, self.ltrb, self.num_classes = augment, ltrb, num_classes
        self.seed, self.scale_range, self.max_objs, self.down_ratio = seed, tuple(scale_range), max_objs, down_ratio
        self.epoch = 0
        self.items: List[Tuple[str, object]] = []
        self.counts = {}
        for spec in specs:
            frames = collect_frames(spec, every, progress)
            self.counts[spec.path] = len(frames)
            self.items += frames

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.items)

    def read(self, index: int) -> np.ndarray:
        kind, value = self.items[index]
        if kind == "file":
            img = cv2.imread(value)
            if img is None:
                raise UserError(f"cannot read image {value} (missing or corrupt)")
            return img
        return cv2.imdecode(np.frombuffer(value, np.uint8), cv2.IMREAD_COLOR)

    def __getitem__(self, index: int):
        img = self.read(index)
        rng = np.random.default_rng([self.seed, self.epoch, index, SEED_STREAM])
        if self.augment:
            img = augment_hsv(img, rng)
        img = letterbox(img, self.height, self.width)[0]
        if self.augment:
            img = random_affine(img, np.zeros((0, 4)), rng, scale=self.scale_range)[0]
            if rng.random() > 0.5:
                img = hflip(img, np.zeros((0, 4)))[0]
        targets = build_targets(np.zeros((0, 4)), np.zeros(0), (self.width // self.down_ratio,
                                                                self.height // self.down_ratio),
                                max_objs=self.max_objs, ltrb=self.ltrb, num_classes=self.num_classes)
        rgb = np.ascontiguousarray(img[:, :, ::-1].transpose(2, 0, 1), dtype=np.float32) / 255.0
        return {"input": rgb, **targets, "labelled": np.float32(0.0)}


class Labelled(Dataset):
    """A labelled dataset's items with ``labelled`` = 1 (to be mixed with :class:`UnlabeledFrames`)."""

    def __init__(self, dataset):
        self.dataset = dataset

    def set_epoch(self, epoch: int) -> None:
        self.dataset.set_epoch(epoch)

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int):
        return {**self.dataset[index], "labelled": np.float32(1.0)}
