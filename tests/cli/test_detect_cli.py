import re

import pytest
import torch

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
