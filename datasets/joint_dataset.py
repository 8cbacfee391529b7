"""JointDataset: several JDE datasets behind one torch Dataset, identity ids offset per dataset.

Each item is a dict of numpy arrays (the default collate turns them into batched tensors):

- ``input``: (3, H, W) float32, RGB / 255, letterboxed to ``img_size`` = (W, H)
- ``hm``: (num_classes, H/4, W/4) float32 gaussian heatmaps, one per class
- ``wh``: (max_objs, 4) ltrb distances (or (max_objs, 2) w, h) in output cells, float32
- ``reg``: (max_objs, 2) float32 sub-cell centre offset
- ``ind``: (max_objs,) int64 flat centre index; ``reg_mask``: (max_objs,) uint8
- ``ids``: (max_objs,) int64 identity id within its class, -1 for detection-only objects and
  empty slots; ``cls``: (max_objs,) int64 class index

Classes (as MCFairMOT): the model's classes (a :class:`~fairmot.datasets.classes.ClassTable`)
are matched to each dataset's by name, so a label's class index is the model's; identities are
numbered per class (each class has its own identity classifier) and never shared across
classes. Detection-only datasets or classes (ids -1) contribute to the detection losses only. Every random
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
from .classes import ClassTable, merge_tables
from .jde import label_path_for, load_data_config, parse_label_file, read_list_file
from .targets import MAX_OBJECTS, build_targets

# identities per dataset (the classifier has one row of emb_dim weights per id: 1M ids = 512 MB)
MAX_IDENTITIES = 1_000_000

class JointDataset(Dataset):
    """FairMOT training data from ``paths`` = {dataset name: list file} under ``root``.

    ``img_size`` is the network input (width, height); ``augment`` turns on HSV, random affine
    and flip; ``ltrb`` selects 4-value (ltrb) or 2-value (wh) size targets.

    ``class_tables``: dataset name -> its ClassTable (absent: person only); ``classes``: the
    model's ClassTable, or None for the datasets' classes merged (:func:`merge_tables`).

    Identity bookkeeping (as the original, per class): a dataset's ``tid_num[name][c]`` is its
    largest id of class c + 1 (0 for detection-only data), ``tid_start_index[name][c]`` the sum of
    the ones before it, ``ids_per_class[c]`` the total and ``nID`` the sum over classes (the
    original added one unused extra class; here the counts are exact).
    """

    def __init__(self, paths, root, img_size=(1088, 608), augment=False, ltrb=True,
                 max_objs=MAX_OBJECTS, down_ratio=4, seed=0, progress=True,
                 scale_range=(0.5, 1.2), class_tables=None, classes=None):
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
        class_tables = {name: (class_tables or {}).get(name) or ClassTable.single() for name in paths}
        if classes is None or not isinstance(classes, ClassTable):
            classes = merge_tables(list(class_tables.values()), order=classes)
        self.classes = classes
        self.num_classes = len(classes)
        self.seed = seed
        self.epoch = 0

        self.image_files = []   # all datasets, concatenated
        self.labels = []        # (N, 6) float32 per image, ids already offset
        self.dataset_index = []  # which dataset each image comes from
        self.names = list(paths)
        self.tid_num = OrderedDict()
        self.tid_start_index = OrderedDict()
        self.num_images = OrderedDict()
        start = [0] * self.num_classes
        for ds_index, (name, list_file) in enumerate(paths.items()):
            table = class_tables[name]
            missing = [n for n in table.names if n not in classes.names]
            if missing:
                raise UserError(f"dataset {name!r} has class(es) {', '.join(missing)} that the model's classes "
                                f"({', '.join(classes.names)}) lack")
            to_model = np.array([classes.names.index(n) for n in table.names], dtype=np.float32)
            images = read_list_file(list_file, root)
            labels = [self._load(p, len(table)) for p in tqdm(images, desc=f"labels {name}", unit="img",
                                                             disable=not progress or None, leave=False)]
            for lb in labels:
                lb[:, 0] = to_model[lb[:, 0].astype(np.int64)]
            self.tid_num[name], self.tid_start_index[name] = [], []
            for c in range(self.num_classes):
                max_id = max((int(lb[lb[:, 0] == c, 1].max()) for lb in labels if (lb[:, 0] == c).any()),
                             default=-1)
                if max_id + 1 > MAX_IDENTITIES:
                    where = next(p for p, lb in zip(images, labels)
                                 if (lb[:, 0] == c).any() and int(lb[lb[:, 0] == c, 1].max()) == max_id)
                    raise UserError(f"dataset {name!r}: identity {max_id} (in the labels of {where}) would need an "
                                    f"identity classifier of {max_id + 1:,} classes; number the ids from 0 without "
                                    f"gaps (the converters do), at most {MAX_IDENTITIES:,}")
                self.tid_num[name].append(max_id + 1)
                self.tid_start_index[name].append(start[c])
                for lb in labels:
                    lb[(lb[:, 1] >= 0) & (lb[:, 0] == c), 1] += start[c]
                start[c] += max_id + 1
            self.num_images[name] = len(images)
            self.image_files += images
            self.labels += labels
            self.dataset_index += [ds_index] * len(images)
        self.ids_per_class = start
        self.nID = sum(start)

    @classmethod
    def from_config(cls, json_path, split="train", **kwargs):
        """Build from a data config JSON (``{"root": ..., "train": {...}, "test": {...}}``)."""
        config = load_data_config(json_path)
        paths = getattr(config, split)
        return cls(paths, config.root, class_tables={name: config.class_table(name) for name in paths}, **kwargs)

    def _load(self, image_path, num_classes):
        if not os.path.isfile(image_path):
            raise UserError(f"image {image_path} listed in the data set is missing")
        label_path = label_path_for(image_path)
        labels = parse_label_file(label_path)
        if len(labels) and labels[:, 0].max() >= num_classes:
            raise UserError(f"{label_path}: class {int(labels[:, 0].max())} but its dataset has "
                            f"{num_classes} class(es) (FairMOT: class 0 = pedestrian; data.json's 'classes' "
                            "lists a dataset's classes)")
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
