import re

import pytest
import torch

from fairmot.datasets.classes import COCO_CLASS_NAMES
from fairmot.models import create_model
from support.cli import run_fairmot as fairmot


@pytest.mark.slow
def test_detect_reports_detections_and_time(tmp_path, shared_data):
    torch.manual_seed(0)
    model = create_model("resdcn_18")
    path = tmp_path / "model.pth"
    torch.save({"epoch": 1, "state_dict": model.state_dict()}, path)
    proc = fairmot("detect", f"{shared_data}/PETS09-S2L1/img1/000001.jpg", "--weights", path,
                   "--input-size", "320x192", "--conf-thres", "0.0", "--runs", "1", "--show", "3")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "(480x360) -> network 320x192" in out
    found = int(re.search(r"found (\d+) people with score > 0.0 \(embeddings 128-d\)", out).group(1))
    assert 3 < found <= 500  # every 3x3 peak of the map (at most K=500) has a positive score
    assert len(re.findall(r"^\s+\d+  score", out, re.M)) == 3 and f"... {found - 3} more" in out
    assert "frames/s" in out


@pytest.mark.slow
def test_detect_bad_inputs_are_one_line_errors(tmp_path):
    not_image = tmp_path / "x.jpg"
    not_image.write_text("not an image")
    for args, msg in [(["missing.jpg"], "not found"), ([not_image], "cannot read"),
                      (["--weights", not_image], "cannot read"), (["--input-size", "100x100"], "multiples of 32")]:
        proc = fairmot("detect", *args, "--arch", "resdcn_18")
        assert proc.returncode == 2
        assert msg in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_a_centernet_detector_without_reid_head_detects_coco_classes(tmp_path, shared_data):
    """CenterNet's ctdet checkpoints (80 COCO classes, wh=2, no id head; here on a small backbone):
    fairmot detect names their classes; fairmot track says in one line why it cannot track."""
    torch.manual_seed(0)
    model = create_model("resdcn_18", {"hm": 80, "wh": 2, "reg": 2})
    path = tmp_path / "ctdet_coco_like.pth"
    torch.save({"epoch": 140, "state_dict": {f"module.{k}": v for k, v in model.state_dict().items()}}, path)
    frame = f"{shared_data}/PETS09-S2L1/img1/000001.jpg"
    proc = fairmot("detect", frame, "--weights", path, "--input-size", "320x192", "--conf-thres", "0.0",
                   "--runs", "1", "--show", "40")
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"found \d+ objects with score > 0.0 \(no re-ID head\)", proc.stdout)
    labels = set(re.findall(r"^\s+\d+  (\w+)\s+score", proc.stdout, re.M))
    assert labels and labels <= set(COCO_CLASS_NAMES)
    proc = fairmot("track", frame, "--weights", path, "--output", tmp_path / "out")
    assert proc.returncode == 2 and "has no re-ID head (id)" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()
