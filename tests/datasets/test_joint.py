import json
import os

import cv2
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from fairmot.datasets.joint_dataset import JointDataset
from fairmot.errors import UserError
from support.data import write_jde_dataset

SIZE = (160, 96)  # network input (width, height) of these tests


@pytest.fixture
def two_datasets(tmp_path):
    """An identity set (ids 0..3, so 4 identities) and a detection-only set (ids -1)."""
    ident = write_jde_dataset(str(tmp_path), "ident", [
        [[0, 0, 0.3, 0.5, 0.1, 0.4], [0, 3, 0.7, 0.5, 0.15, 0.5]],
        [[0, 1, 0.5, 0.6, 0.2, 0.5]],
        [],  # an image without people
    ])
    det = write_jde_dataset(str(tmp_path), "det", [
        [[0, -1, 0.4, 0.5, 0.2, 0.6]],
        [[0, -1, 0.2, 0.4, 0.1, 0.3], [0, -1, 0.8, 0.5, 0.2, 0.5]],
    ])
    return tmp_path, {"ident": ident, "det": det}


def test_items_have_the_training_keys_and_shapes(two_datasets):
    root, paths = two_datasets
    ds = JointDataset(paths, str(root), img_size=SIZE, progress=False)
    assert len(ds) == 5
    item = ds[0]
    assert item["input"].shape == (3, 96, 160) and item["input"].dtype == np.float32
    assert 0 <= item["input"].min() and item["input"].max() <= 1
    assert item["hm"].shape == (1, 24, 40)
    assert item["wh"].shape == (500, 4) and item["reg"].shape == (500, 2)
    assert item["ind"].shape == item["reg_mask"].shape == item["ids"].shape == (500,)
    assert item["reg_mask"].sum() == 2 and item["ids"][:2].tolist() == [0, 3]
    assert ds[2]["reg_mask"].sum() == 0 and ds[2]["hm"].max() == 0  # empty label file
    # the input is RGB: the boxes were drawn BGR (40, 200, 220)
    y, x = int(0.5 * 96), int(0.3 * 160)
    assert item["input"][:, y, x].tolist() == pytest.approx([220 / 255, 200 / 255, 40 / 255], abs=0.04)


def test_identity_ids_are_offset_per_dataset(two_datasets):
    root, paths = two_datasets
    ds = JointDataset({"det": paths["det"], "ident": paths["ident"]}, str(root), img_size=SIZE,
                      progress=False)
    assert ds.tid_num == {"det": [0], "ident": [4]} and ds.nID == 4
    assert ds.tid_start_index == {"det": [0], "ident": [0]}
    # two identity sets: the second one's ids start after the first one's
    ds2 = JointDataset({"a": paths["ident"], "det": paths["det"], "b": paths["ident"]},
                       str(root), img_size=SIZE, progress=False)
    assert ds2.tid_start_index == {"a": [0], "det": [4], "b": [4]} and ds2.nID == 8
    assert ds2[0]["ids"][:2].tolist() == [0, 3]
    assert ds2[4]["ids"][:3].tolist() == [-1, -1, -1]  # detection-only: no identity,
    assert ds2[4]["reg_mask"].sum() == 2               # but boxes for the detection losses
    assert ds2[5]["ids"][:2].tolist() == [4, 7]


def test_from_config_and_dataloader_batches(two_datasets):
    root, paths = two_datasets
    cfg = root / "data.json"
    cfg.write_text(json.dumps({"root": ".", "train": {"ident": "ident.train", "det": "det.train"}}))
    ds = JointDataset.from_config(str(cfg), img_size=SIZE, progress=False)
    batch = next(iter(DataLoader(ds, batch_size=5)))
    assert batch["input"].shape == (5, 3, 96, 160) and batch["ids"].dtype == torch.int64


def test_augmentation_is_deterministic_per_seed_epoch_and_index(two_datasets):
    root, paths = two_datasets
    ds = JointDataset(paths, str(root), img_size=SIZE, augment=True, seed=3, progress=False)
    a, b = ds[1], ds[1]
    assert all(np.array_equal(a[k], b[k]) for k in a)
    ds.set_epoch(1)
    c = ds[1]
    assert not np.array_equal(a["input"], c["input"])
    ds.set_epoch(0)
    # worker processes draw the same samples as the main process
    loader = DataLoader(ds, batch_size=1, num_workers=2)
    for i, batch in enumerate(loader):
        np.testing.assert_array_equal(batch["input"][0].numpy(), ds[i]["input"])
        np.testing.assert_array_equal(batch["hm"][0].numpy(), ds[i]["hm"])


def test_augmented_boxes_follow_the_image(two_datasets):
    root, paths = two_datasets
    ds = JointDataset(paths, str(root), img_size=SIZE, augment=True, progress=False)
    checked = 0
    for epoch in range(6):
        ds.set_epoch(epoch)
        img, labels = ds.load_sample(1)  # one coloured box on grey
        if not len(labels):
            continue
        checked += 1
        xc, yc = labels[0, 2] * SIZE[0], labels[0, 3] * SIZE[1]
        # the centre lands on the drawn (saturated) box, not on the grey background or border
        saturation = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)[int(yc), int(xc), 1]
        assert saturation > 80
    assert checked >= 4


def test_scale_range_sets_the_zoom_of_the_augmentation(two_datasets):
    root, paths = two_datasets
    heights = {}
    for zoom in (0.5, 1.0):
        ds = JointDataset(paths, str(root), img_size=SIZE, augment=True, progress=False, scale_range=(zoom, zoom))
        _, labels = ds.load_sample(3)  # detection box 0.2 x 0.6 of the frame, near the centre
        heights[zoom] = labels[0, 5]
    # up to the small random rotation/shear, the box scales with the zoom
    assert heights[1.0] / heights[0.5] == pytest.approx(2.0, rel=0.1)


def test_errors_for_missing_images_and_labels(two_datasets):
    root, paths = two_datasets
    os.remove(root / "labels_with_ids" / "ident" / "001.txt")
    with pytest.raises(UserError, match="001.txt is missing"):
        JointDataset(paths, str(root), img_size=SIZE, progress=False)
    os.remove(root / "images" / "det" / "000.jpg")
    with pytest.raises(UserError, match="000.jpg listed in the data set is missing"):
        JointDataset({"det": paths["det"]}, str(root), img_size=SIZE, progress=False)
    with pytest.raises(UserError, match="multiple of 4"):
        JointDataset(paths, str(root), img_size=(150, 96), progress=False)
