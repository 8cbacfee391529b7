"""JointDataset: several JDE datasets behind one torch Dataset, identity ids offset per dataset.

Each item is a dict of numpy arrays (the default collate turns them into batched tensors):

- ``input``: (3, H, W) float32, RGB / 255, letterboxed to ``img_size`` = (W, H)
- ``hm``: (num_classes = 1, H/4, W/4) float32 gaussian heatmap
- ``wh``: (max_objs, 4) ltrb distances (or (max_objs, 2) w, h) in output cells, float32
- ``reg``: (max_objs, 2) float32 sub-cell centre offset
- ``ind``: (max_objs,) int64 flat centre index; ``reg_mask``: (max_objs,) uint8
- ``ids``: (max_objs,) int64 global identity id, -1 for detection-only objects and empty slots

Detection-only datasets (all ids -1) contribute to the detection losses only. Every random
choice of an item comes from a generator seeded by (seed, epoch, index): the same index in
the same epoch is the same sample in any DataLoader worker; call ``set_epoch`` each epoch.
"""
import os
from collections import OrderedDict

import cv2
import numpy as np
from torch.utils.data import Dataset
from tqdm import tqdm

from fairmot.errors import UserError

from .augment import augment_hsv, hflip, letterbox, normalised_to_letterbox, random_affine, xyxy_to_normalised
from .jde import label_path_for, load_data_config, parse_label_file, read_list_file
from .targets import MAX_OBJECTS, build_targets

# identities per dataset (the classifier has one row of emb_dim weights per id: 1M ids = 512 MB)
MAX_IDENTITIES = 1_000_000

class JointDataset(Dataset):
    """FairMOT training data from ``paths`` = {dataset name: list file} under ``root``.

    ``img_size`` is the network input (width, height); ``augment`` turns on HSV, random affine
    and flip; ``ltrb`` selects 4-value (ltrb) or 2-value (wh) size targets.

    Identity bookkeeping (as the original): a dataset's ``tid_num`` is its largest id + 1
    (0 for a detection-only set), ``tid_start_index`` the sum of the ones before it, and
    ``nID`` the total (the original added one unused extra class; here nID is exact).
    """

    def __init__(self, paths, root, img_size=(1088, 608), augment=False, ltrb=True,
                 max_objs=MAX_OBJECTS, down_ratio=4, num_classes=1, seed=0, progress=True,
                 scale_range=(0.5, 1.2)):
        if not paths:
            raise UserError("no training datasets given: the data config's 'train' is empty")
        self.width, self.height = img_size
        if self.width % down_ratio or self.height % down_ratio:
            raise UserError(f"input size {img_size} must be a multiple of {down_ratio}")
        self.augment = augment
        self.scale_range = tuple(scale_range)  # random affine zoom; the original's (0.5, 1.2)
        self.ltrb = ltrb
        self.max_objs = max_objs
        self.down_ratio = down_ratio
        self.num_classes = num_classes
        self.seed = seed
        self.epoch = 0

        self.image_files = []   # all datasets, concatenated
        self.labels = []        # (N, 6) float32 per image, ids already offset
        self.dataset_index = []  # which dataset each image comes from
        self.names = list(paths)
        self.tid_num = OrderedDict()
        self.tid_start_index = OrderedDict()
        self.num_images = OrderedDict()
        start = 0
        for ds_index, (name, list_file) in enumerate(paths.items()):
            images = read_list_file(list_file, root)
            labels = [self._load(p) for p in tqdm(images, desc=f"labels {name}", unit="img",
                                                  disable=not progress or None, leave=False)]
            max_id = max((int(lb[:, 1].max()) for lb in labels if len(lb)), default=-1)
            if max_id + 1 > MAX_IDENTITIES:
                where = next(p for p, lb in zip(images, labels) if len(lb) and int(lb[:, 1].max()) == max_id)
                raise UserError(f"dataset {name!r}: identity {max_id} (in the labels of {where}) would need an "
                                f"identity classifier of {max_id + 1:,} classes; number the ids from 0 without "
                                f"gaps (the converters do), at most {MAX_IDENTITIES:,}")
            self.tid_num[name] = max_id + 1
            self.tid_start_index[name] = start
            self.num_images[name] = len(images)
            for lb in labels:
                lb[lb[:, 1] >= 0, 1] += start
            start += self.tid_num[name]
            self.image_files += images
            self.labels += labels
            self.dataset_index += [ds_index] * len(images)
        self.nID = start

    @classmethod
    def from_config(cls, json_path, split="train", **kwargs):
        """Build from a data config JSON (``{"root": ..., "train": {...}, "test": {...}}``)."""
        config = load_data_config(json_path)
        return cls(getattr(config, split), config.root, **kwargs)

    def _load(self, image_path):
        if not os.path.isfile(image_path):
            raise UserError(f"image {image_path} listed in the data set is missing")
        label_path = label_path_for(image_path)
        labels = parse_label_file(label_path)
        if len(labels) and labels[:, 0].max() >= self.num_classes:
            raise UserError(f"{label_path}: class {int(labels[:, 0].max())} but the model has "
                            f"{self.num_classes} class(es) (FairMOT: class 0 = pedestrian)")
        return labels

    def set_epoch(self, epoch):
        """Choose the augmentation draws of ``epoch`` (call before each epoch)."""
        self.epoch = int(epoch)

    def __len__(self):
        return len(self.image_files)

    def load_sample(self, index):
        """Augmented image (BGR uint8, network input size) and its labels ``class id xc yc w h``
        (normalised to the input), before target building."""
        path = self.image_files[index]
        img = cv2.imread(path)
        if img is None:
            raise UserError(f"cannot read image {path} (missing or corrupt)")
        labels = self.labels[index]
        rng = np.random.default_rng([self.seed, self.epoch, index])
        if self.augment:
            img = augment_hsv(img, rng)
        h0, w0 = img.shape[:2]
        img, ratio, pad_w, pad_h = letterbox(img, self.height, self.width)
        boxes = normalised_to_letterbox(labels[:, 2:6], w0, h0, ratio, pad_w, pad_h)
        if self.augment:
            img, boxes, keep, _ = random_affine(img, boxes, rng, scale=self.scale_range)
            labels = labels[keep]
        out = labels.copy()
        out[:, 2:6] = xyxy_to_normalised(boxes, self.width, self.height)
        if self.augment and rng.random() > 0.5:
            img, out[:, 2:6] = hflip(img, out[:, 2:6])
        return img, out

    def __getitem__(self, index):
        img, labels = self.load_sample(index)
        targets = build_targets(labels[:, 2:6], labels[:, 1],
                                (self.width // self.down_ratio, self.height // self.down_ratio),
                                max_objs=self.max_objs, ltrb=self.ltrb,
                                classes=labels[:, 0].astype(np.int64), num_classes=self.num_classes)
        rgb = np.ascontiguousarray(img[:, :, ::-1].transpose(2, 0, 1), dtype=np.float32) / 255.0
        return {"input": rgb, **targets}
