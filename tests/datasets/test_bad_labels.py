"""Labels and annotations that cannot be trained on or converted: one line naming the file."""
import json
import os
import shutil

import pytest

from support.cli import assert_one_line_error, run_main
from support.data import write_jde_dataset


def jde_config(tmp_path, rows_per_image):
    list_file = write_jde_dataset(str(tmp_path / "jde"), "x", rows_per_image)
    config = tmp_path / "jde" / "data.json"
    config.write_text(json.dumps({"root": str(tmp_path / "jde"), "train": {"x": list_file}}))
    return config


TINY = ("--arch", "resdcn_18_w32", "--head-conv", "16", "--input-size", "128x96", "--batch-size", "2",
        "--epochs", "1", "--num-workers", "0")


def test_an_identity_too_large_for_a_classifier(tmp_path):
    config = jde_config(tmp_path, [[(0, 1_000_000_000, 0.5, 0.5, 0.1, 0.3)], [(0, 2, 0.5, 0.5, 0.1, 0.3)]])
    proc = run_main("train", "--data", config, "--output", tmp_path / "run", *TINY)
    assert_one_line_error(proc, "identity 1000000000", "1,000,000,001 classes", "000.jpg", command="train")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("content, fragment", [(bytes(range(256)), "is not text"),
                                               (b"0 1 nan 0.5 0.1 0.3\n", "non-finite value")])
def test_a_label_file_that_is_not_labels(content, fragment, tmp_path):
    config = jde_config(tmp_path, [[(0, 1, 0.5, 0.5, 0.1, 0.3)], [(0, 2, 0.5, 0.5, 0.1, 0.3)]])
    (tmp_path / "jde" / "labels_with_ids" / "x" / "001.txt").write_bytes(content)
    proc = run_main("train", "--data", config, "--output", tmp_path / "run", *TINY)
    assert_one_line_error(proc, "001.txt", fragment, command="train")
    assert not (tmp_path / "run").exists()


@pytest.fixture
def coco_base(pets_frames, tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    shutil.copy(pets_frames / "000001.jpg", images / "000001.jpg")
    return images, {"images": [{"id": 1, "file_name": "000001.jpg", "width": 480, "height": 360}],
                    "categories": [{"id": 1, "name": "person"}]}


@pytest.mark.parametrize("annotation, fragment", [
    ({"id": 7, "image_id": 1, "category_id": 1, "bbox": ["a", "b", "c", "d"]}, "annotation 7 has bbox ['a'"),
    ({"id": 7, "image_id": 1, "category_id": 1}, "annotation 7 has bbox None"),
    ({"id": 7, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3]}, "annotation 7 has bbox [1, 2, 3]"),
])
def test_coco_annotations_without_a_usable_box(annotation, fragment, coco_base, tmp_path):
    images, coco = coco_base
    path = tmp_path / "ann.json"
    path.write_text(json.dumps({**coco, "annotations": [annotation]}))
    proc = run_main("convert", "coco", path, "--images", images, "--out", tmp_path / "out")
    assert_one_line_error(proc, fragment, command="convert")
    assert not (tmp_path / "out").exists()


def test_coco_annotations_of_unknown_images_are_counted(coco_base, tmp_path):
    images, coco = coco_base
    path = tmp_path / "ann.json"
    anns = [{"id": 1, "image_id": 99, "category_id": 1, "bbox": [1, 2, 30, 60]},
            {"id": 2, "image_id": 1, "category_id": 1, "bbox": [100, 100, 30, 60]}]
    path.write_text(json.dumps({**coco, "annotations": anns}))
    proc = run_main("convert", "coco", path, "--images", images, "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert "1 boxes" in proc.stdout and "left out: 1 of an image not in 'images'" in proc.stdout


@pytest.mark.parametrize("rows, fragment", [
    ("1,1.5,10,10,30,60,1,-1,-1,-1\n1,1,100,10,30,60,1,-1,-1,-1\n", "row 1 has identity 1.5"),
    ("1,1,10,10,30,60,1,-1,-1,-1\nhello world\n", "gt.txt:2: expected at least 6 fields"),
    ("1,1,10,10,abc,60,1,-1,-1,-1\n", "non-numeric field"),
    ("1.5,1,10,10,30,60,1,-1,-1,-1\n", "row 1 has frame number 1.5"),
])
def test_mot_ground_truth_that_is_not_ground_truth(rows, fragment, pets_frames, tmp_path):
    seq = tmp_path / "seq"
    shutil.copytree(pets_frames, seq / "img1")
    (seq / "gt").mkdir()
    (seq / "gt" / "gt.txt").write_text(rows)
    (seq / "seqinfo.ini").write_text("[Sequence]\nname=seq\nimDir=img1\nframeRate=10\nseqLength=8\n"
                                     "imWidth=480\nimHeight=360\nimExt=.jpg\n")
    proc = run_main("convert", "mot", seq, "--out", tmp_path / "out")
    assert_one_line_error(proc, fragment, command="convert")
    assert not os.path.exists(tmp_path / "out")
