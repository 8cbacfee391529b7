import json
import subprocess
import sys

import cv2
import pytest

from fairmot.datasets.mot_format import load_mot_rows
from support.cli import run_main


@pytest.mark.slow
def test_demo_tracks_its_clip_with_the_bundled_model(tmp_path):
    out = tmp_path / "demo"
    proc = subprocess.run([sys.executable, "-m", "fairmot", "demo", "--output", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    scores = json.loads((out / "eval.json").read_text())
    assert scores["demo-01"]["MOTA"] >= 0.8 and scores["OVERALL"]["MOTA"] == scores["demo-01"]["MOTA"]
    assert "MOTA" in proc.stdout and "demo-01" in proc.stdout
    rows = load_mot_rows(str(out / "demo-01.txt"))
    assert rows[:, 0].min() >= 1 and rows[:, 0].max() <= 150 and len(set(rows[:, 1])) >= 5
    video = cv2.VideoCapture(str(out / "demo-01.avi"))
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == 150
    assert (video.get(cv2.CAP_PROP_FRAME_WIDTH), video.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (640, 360)
    video.release()
    # a second demo into the same folder would replace the first: refused, files unchanged
    before = {name: (out / name).read_bytes() for name in ("demo-01.txt", "demo-01.avi", "eval.json")}
    again = run_main("demo", "--output", out)
    assert again.returncode == 2 and "demo-01 already exists: pass --overwrite" in again.stderr
    assert {name: (out / name).read_bytes() for name in before} == before


def test_demo_bad_output_folder_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = run_main("demo", "--output", blocker / "sub")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
