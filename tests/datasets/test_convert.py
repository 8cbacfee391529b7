import glob
import json
import os

import cv2
import numpy as np
import pytest

from fairmot.cli import main
from fairmot.datasets.convert_coco import convert_coco
from fairmot.datasets.convert_crowdhuman import convert_crowdhuman
from fairmot.datasets.convert_mot import convert_mot, plan_parts
from fairmot.datasets.jde import load_data_config, parse_label_file, read_list_file
from fairmot.datasets.joint_dataset import JointDataset
from fairmot.datasets.mot_format import load_mot_rows
from fairmot.errors import UserError
from support.cli import assert_one_line_error, run_main
from support.data import COCO, MOT17_TRAIN, PETS, requires_shared
from support.files import snapshot

pytestmark = requires_shared


def _labels_of(out, list_name):
    root = str(out)
    images = read_list_file(os.path.join(root, list_name), root)
    return images, [parse_label_file(p.replace("/images/", "/labels_with_ids/")[:-4] + ".txt")
                    for p in images]


def test_pets_frame_ranges_mot15_rows(tmp_path):
    gt = load_mot_rows(os.path.join(PETS, "gt", "gt.txt"))
    summary = convert_mot(plan_parts([PETS], (1, 400), (401, 550)), str(tmp_path), "pets",
                          progress=False)
    kept = gt[gt[:, 6] != 0]
    assert len(gt) == 2993 and len(kept) == 2819  # MOT15 rows: mark 0 ones are left out
    assert summary.images == {"train": 400, "val": 150}
    assert summary.boxes_kept == 2819 and summary.dropped == {"mark 0": 174}
    assert summary.identities == len(np.unique(kept[:, 1])) == 15

    images, labels = _labels_of(tmp_path, "pets.train")
    assert images[0] == os.path.join(str(tmp_path), "images/PETS09-S2L1/img1/000001.jpg")
    assert os.path.isfile(images[-1]) and images[-1].endswith("000400.jpg")
    assert sum(len(lb) for lb in labels) == (kept[:, 0] <= 400).sum()
    # frame 1: the same boxes, normalised, ids renumbered 1..15 in original-id order
    ranks = {old: new for new, old in enumerate(np.unique(kept[:, 1]).astype(int), 1)}
    f1 = kept[kept[:, 0] == 1]
    expected = np.stack([np.zeros(len(f1)), [ranks[int(i)] for i in f1[:, 1]],
                         (f1[:, 2] + f1[:, 4] / 2) / 480, (f1[:, 3] + f1[:, 5] / 2) / 360,
                         f1[:, 4] / 480, f1[:, 5] / 360], axis=1)
    np.testing.assert_allclose(labels[0], expected, atol=1e-6)
    config = load_data_config(str(tmp_path / "data.json"))
    assert set(config.train) == {"pets"} and config.test["pets"].endswith("pets.val")


def test_pets_half_split(tmp_path):
    summary = convert_mot(plan_parts([PETS], half=True), str(tmp_path), "pets", progress=False)
    assert summary.images == {"train": 275, "val": 275}  # annotated frames 1-550
    train, _ = _labels_of(tmp_path, "pets.train")
    val, _ = _labels_of(tmp_path, "pets.val")
    assert train[-1].endswith("000275.jpg") and val[0].endswith("000276.jpg")
    with pytest.raises(UserError, match="do not combine"):
        plan_parts([PETS], (1, 10), half=True)


@pytest.mark.slow
def test_mot17_keeps_pedestrians_only(tmp_path):
    seqs = sorted(glob.glob(os.path.join(MOT17_TRAIN, "MOT17-*")))
    assert len(seqs) == 7
    summary = convert_mot(plan_parts(seqs), str(tmp_path), "mot17", labels_only=True,
                          progress=False)
    gts = [load_mot_rows(os.path.join(s, "gt", "gt.txt")) for s in seqs]
    rows = np.concatenate(gts)
    pedestrians = (rows[:, 6] != 0) & (rows[:, 7] == 1)
    assert len(rows) == 204701 and pedestrians.sum() == 112297
    assert summary.dropped["not pedestrian (mark 0 or class != 1)"] == 204701 - 112297
    # boxes whose centre is outside the frame (people leaving at the top of MOT17-04, ...)
    assert summary.dropped["centre outside the image"] == 4822
    assert summary.boxes_kept == 112297 - 4822
    assert summary.identities == sum(len(np.unique(g[(g[:, 6] != 0) & (g[:, 7] == 1), 1]))
                                     for g in gts) == 546
    assert summary.images == {"train": 5316} and summary.list_files == {}
    label = tmp_path / "labels_with_ids" / "MOT17-02-FRCNN" / "img1" / "000001.txt"
    assert len(parse_label_file(str(label))) == ((gts[0][:, 0] == 1) & pedestrians[:len(gts[0])]).sum()
    # min visibility drops more
    vis = convert_mot(plan_parts(seqs[:1]), str(tmp_path / "v"), "v", labels_only=True,
                      min_visibility=0.5, progress=False)
    g = gts[0]
    assert vis.boxes_kept + vis.dropped.get("centre outside the image", 0) == (
        (g[:, 6] != 0) & (g[:, 7] == 1) & (g[:, 8] >= 0.5)).sum()


def test_mot17_without_frames_needs_labels_only(tmp_path, capsys):
    seq = os.path.join(MOT17_TRAIN, "MOT17-09-FRCNN")
    assert main(["convert", "mot", seq, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "img1 not found" in err and "--labels-only" in err and len(err.strip().splitlines()) == 1


def test_coco_persons_skip_crowds(tmp_path):
    summary = convert_coco(os.path.join(COCO, "annotations.json"), os.path.join(COCO, "images"),
                           str(tmp_path), "coco", progress=False)
    assert summary.boxes_kept == 254 and summary.dropped == {"iscrowd": 5}
    assert summary.images == {"train": 61} and summary.identities == 0
    _, labels = _labels_of(tmp_path, "coco.train")
    assert sum(len(lb) for lb in labels) == 254 and all((lb[:, 1] == -1).all() for lb in labels)


def test_mixed_conversions_train_together(tmp_path, capsys):
    out = str(tmp_path)
    assert main(["convert", "coco", os.path.join(COCO, "annotations.json"), "--images",
                 os.path.join(COCO, "images"), "--out", out]) == 0
    assert "254 boxes" in capsys.readouterr().out
    assert main(["convert", "mot", PETS, "--out", out, "--name", "pets",
                 "--train-frames", "1-40"]) == 0
    config = json.load(open(tmp_path / "data.json"))
    assert config["train"] == {"coco": "coco.train", "pets": "pets.train"}
    ds = JointDataset.from_config(str(tmp_path / "data.json"), img_size=(320, 192),
                                  progress=False)
    assert len(ds) == 61 + 40
    assert ds.tid_num == {"coco": [0], "pets": [6]} and ds.nID == 6  # 5 people in frames 1-40: ids 1..5
    item = ds[61]
    assert item["reg_mask"].sum() > 0 and (item["ids"][item["reg_mask"] == 1] >= 1).all()
    assert (ds[0]["ids"] == -1).all() and ds[0]["reg_mask"].sum() > 0
    # the same name again would replace the first conversion's lists: refused, nothing changed
    before = {name: (tmp_path / name).read_bytes() for name in ("data.json", "pets.train", "coco.train")}
    proc = run_main("convert", "mot", PETS, "--out", out, "--name", "pets", "--train-frames", "1-20")
    assert_one_line_error(proc, "already holds a dataset named 'pets'", "--name", command="convert")
    again = run_main("convert", "coco", os.path.join(COCO, "annotations.json"), "--images",
                     os.path.join(COCO, "images"), "--out", out)
    assert_one_line_error(again, "already holds a dataset named 'coco'", command="convert")
    assert {name: (tmp_path / name).read_bytes() for name in before} == before


def _odgt_record(image_id, boxes):
    return json.dumps({"ID": image_id, "gtboxes": [
        {"tag": tag, "hbox": [0, 0, 1, 1], "fbox": fbox, "vbox": fbox,
         "extra": {"box_id": i, "occ": 0, **({"ignore": ignore} if ignore is not None else {})}}
        for i, (tag, fbox, ignore) in enumerate(boxes)]})


def test_crowdhuman_full_body_boxes(tmp_path):
    images = tmp_path / "Images"
    images.mkdir()
    for name, (w, h) in {"273271,c9db000d5146c15": (200, 100), "273271,1a0d6000b9e1f5b7": (100, 50)}.items():
        cv2.imwrite(str(images / f"{name}.jpg"), np.zeros((h, w, 3), np.uint8))
    odgt = tmp_path / "annotation_train.odgt"
    odgt.write_text("\n".join([
        _odgt_record("273271,c9db000d5146c15", [
            ("person", [10, 20, 20, 60], 0),
            ("person", [100, 10, 30, 80], None),       # no ignore key: kept
            ("person", [50, 10, 10, 30], 1),           # ignored
            ("mask", [0, 0, 200, 100], 1)]),          # crowd region
        _odgt_record("273271,1a0d6000b9e1f5b7", [
            ("person", [-80, 0, 40, 50], 0),           # centre outside the image
            ("person", [40, -10, 20, 70], 0)]),       # partly outside, centre inside: kept
    ]) + "\n")
    summary = convert_crowdhuman(str(odgt), str(images), str(tmp_path / "out"), progress=False)
    assert summary.boxes_kept == summary.identities == 3
    assert summary.dropped == {"ignore flag": 1, "not tagged person": 1,
                               "centre outside the image": 1}
    _, labels = _labels_of(tmp_path / "out", "crowdhuman.train")
    np.testing.assert_allclose(labels[0], [[0, 0, 0.1, 0.5, 0.1, 0.6], [0, 1, 0.575, 0.5, 0.15, 0.8]],
                               atol=1e-6)
    np.testing.assert_allclose(labels[1], [[0, 2, 0.5, 0.5, 0.2, 1.4]], atol=1e-6)

    odgt.write_text('{"ID": "x", "gtboxes": []}\nnot json\n')
    with pytest.raises(UserError, match=r"annotation_train.odgt:2: not a CrowdHuman record"):
        convert_crowdhuman(str(odgt), str(images), str(tmp_path / "out2"), progress=False)


def test_bad_coco_files_are_one_line_errors(tmp_path):
    bad = tmp_path / "a.json"
    bad.write_text('{"images": []}')
    with pytest.raises(UserError, match="not a COCO annotation file"):
        convert_coco(str(bad), str(tmp_path), str(tmp_path / "out"), progress=False)
    bad.write_text('{"images": [], "annotations": [], "categories": [{"id": 1, "name": "car"}]}')
    with pytest.raises(UserError, match="no category 'person'"):
        convert_coco(str(bad), str(tmp_path), str(tmp_path / "out"), progress=False)
    with pytest.raises(UserError, match="annotation file .* not found"):
        convert_coco(str(tmp_path / "none.json"), str(tmp_path), str(tmp_path / "o"), progress=False)


@pytest.mark.parametrize("copy_images", [False, True])
def test_a_conversion_that_fails_half_way_leaves_nothing_and_keeps_earlier_datasets(copy_images, tmp_path):
    """A COCO file naming an image that is missing, found after many labels were written: the
    conversion removes everything it wrote (labels, links or copies, folders); the dataset converted
    before it in the same --out is byte for byte unchanged."""
    out = tmp_path / "jde"
    convert_mot(plan_parts([PETS], (1, 20)), str(out), "pets", progress=False)
    before = snapshot(out)
    images = tmp_path / "images"
    images.mkdir()
    coco = json.load(open(os.path.join(COCO, "annotations.json")))
    kept = [img for img in coco["images"] if any(a["image_id"] == img["id"] for a in coco["annotations"])]
    for image in kept[:-1]:  # the last annotated image is missing
        os.link(os.path.join(COCO, "images", image["file_name"]), images / image["file_name"])
    with pytest.raises(UserError, match=r"image .* is missing"):
        convert_coco(os.path.join(COCO, "annotations.json"), str(images), str(out), name="coco",
                     copy_images=copy_images, progress=False)
    assert snapshot(out) == before
    fresh = tmp_path / "fresh"
    with pytest.raises(UserError, match=r"image .* is missing"):
        convert_coco(os.path.join(COCO, "annotations.json"), str(images), str(fresh), progress=False)
    assert not fresh.exists()  # not even the folder it made


def test_an_earlier_conversions_image_link_is_never_repointed(tmp_path):
    """Two different sequences with one folder name, into one --out under two names: re-pointing
    images/<seq> would change the first dataset's images. Refused; the first dataset is unchanged."""
    out = tmp_path / "jde"
    convert_mot(plan_parts([PETS], (1, 20)), str(out), "pets", progress=False)
    before = snapshot(out)
    other = tmp_path / "copy" / "PETS09-S2L1"
    os.makedirs(other)
    os.symlink(os.path.join(PETS, "gt"), other / "gt")
    os.link(os.path.join(PETS, "seqinfo.ini"), other / "seqinfo.ini")
    os.mkdir(other / "img1")
    for frame in range(1, 21):
        os.link(os.path.join(PETS, "img1", f"{frame:06d}.jpg"), other / "img1" / f"{frame:06d}.jpg")
    with pytest.raises(UserError, match="already exists and is not a link to .*choose another --out"):
        convert_mot(plan_parts([str(other)], (1, 20)), str(out), "pets2", progress=False)
    assert snapshot(out) == before
