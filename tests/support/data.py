"""Where the tests find ../shared/data (FAIRMOT_SHARED_DATA overrides), and small JDE fixtures."""
import os

import cv2
import numpy as np
import pytest

from fairmot.datasets.shared_data import shared_data_dir

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = shared_data_dir()
# ../shared/reference: what the original FairMOT's checkpoints hold
REFERENCE = os.path.join(os.path.dirname(os.path.normpath(SHARED)), "reference")
PETS = os.path.join(SHARED, "PETS09-S2L1")
MOT17_TRAIN = os.path.join(SHARED, "MOT17", "train")
COCO = os.path.join(SHARED, "coco128-person")
MISSING_SHARED = f"shared data not found at {SHARED} (set FAIRMOT_SHARED_DATA to its folder)"
# for test modules that read ../shared/data: skipped with that reason where it is absent
requires_shared = pytest.mark.skipif(not os.path.isdir(SHARED), reason=MISSING_SHARED)


def copy_pets_frames(folder, count):
    """``folder`` (created) holding the first ``count`` PETS09-S2L1 frames (480x360) as plain images."""
    import shutil
    os.makedirs(folder)
    for i in range(1, count + 1):
        shutil.copy(os.path.join(PETS, "img1", f"{i:06d}.jpg"), folder)
    return folder


def write_jde_dataset(root, name, labels_per_image, size=(160, 96)):
    """A tiny JDE dataset under ``root``: flat-grey images ``images/<name>/NNN.jpg`` with the
    given label rows (``class id xc yc w h`` lists); returns the list file path."""
    width, height = size
    img_dir = os.path.join(root, "images", name)
    lab_dir = os.path.join(root, "labels_with_ids", name)
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(lab_dir, exist_ok=True)
    entries = []
    for i, rows in enumerate(labels_per_image):
        img = np.full((height, width, 3), 90, np.uint8)
        for _, _, xc, yc, w, h in rows:  # a bright block where each box is
            cv2.rectangle(img, (int((xc - w / 2) * width), int((yc - h / 2) * height)),
                          (int((xc + w / 2) * width), int((yc + h / 2) * height)), (40, 200, 220), -1)
        cv2.imwrite(os.path.join(img_dir, f"{i:03d}.jpg"), img)
        with open(os.path.join(lab_dir, f"{i:03d}.txt"), "w") as f:
            f.writelines(" ".join(str(v) for v in row) + "\n" for row in rows)
        entries.append(f"images/{name}/{i:03d}.jpg")
    list_file = os.path.join(root, f"{name}.train")
    with open(list_file, "w") as f:
        f.write("\n".join(entries) + "\n")
    return list_file
