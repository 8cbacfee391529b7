import json
import subprocess
import sys
import time

import cv2
import pytest

from fairmot.datasets.mot_format import load_mot_rows
from support.cli import run_main


@pytest.mark.slow
def test_demo_tracks_its_clip_with_the_bundled_model(tmp_path):
    out = tmp_path / "demo"
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "fairmot", "demo", "--output", str(out)],
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert elapsed < 180  # the limit on this 2-core machine
    scores = json.loads((out / "eval.json").read_text())
    assert scores["demo-01"]["MOTA"] >= 0.8 and scores["OVERALL"]["MOTA"] == scores["demo-01"]["MOTA"]
    assert "MOTA" in proc.stdout and "demo-01" in proc.stdout
    rows = load_mot_rows(str(out / "demo-01.txt"))
    assert rows[:, 0].min() >= 1 and rows[:, 0].max() <= 150 and len(set(rows[:, 1])) >= 5
    video = cv2.VideoCapture(str(out / "demo-01.avi"))
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == 150
    assert (video.get(cv2.CAP_PROP_FRAME_WIDTH), video.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (640, 360)
    video.release()


def test_demo_bad_output_folder_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = run_main("demo", "--output", blocker / "sub")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
