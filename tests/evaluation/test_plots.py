"""Charts: valid PNG images of the real numbers, and one clear line where matplotlib is missing."""
import os
import sys

import cv2
import numpy as np
import pytest

from fairmot.errors import UserError
from fairmot.evaluation.plots import plot_scores, plot_training
from fairmot.evaluation.scoring import evaluate_folder
from fairmot.training.curves import CURVES_FILE, CurvesWriter, read_log
from support.cli import assert_one_line_error, run_main
from support.data import SHARED, requires_shared
from support.mot15 import write_mot15_results

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MOT15 = os.path.join(SHARED, "MOT15", "train")


def _read_png(path):
    data = open(path, "rb").read()
    assert data[:8] == PNG_SIGNATURE
    image = cv2.imread(str(path))
    assert image is not None and image.shape[0] >= 300 and image.shape[1] >= 600
    return image


@pytest.fixture(scope="module")
def mot15_results(tmp_path_factory):
    """Our tracker's results from MOT15's real detections on two sequences."""
    return write_mot15_results(tmp_path_factory.mktemp("mot15"), ("TUD-Campus", "KITTI-17"))


@requires_shared
def test_score_chart_is_a_png_of_the_table(mot15_results, tmp_path):
    table = evaluate_folder(MOT15, str(mot15_results), sequences=["TUD-Campus", "KITTI-17"])
    path = tmp_path / "scores.png"
    plot_scores(table, str(path), title="ours on MOT15")
    image = _read_png(path)
    assert image.std() > 10                                  # bars and text, not a blank canvas
    # bars are drawn in the metrics' colours (HOTA blue, MOTA orange, IDF1 green)
    for bgr in ((180, 119, 31), (14, 127, 255), (44, 160, 44)):
        assert (np.abs(image.astype(int) - bgr).sum(axis=2) < 30).sum() > 500
    with pytest.raises(UserError, match="nothing to plot"):
        plot_scores(table[["FP", "FN"]], str(tmp_path / "none.png"))


@requires_shared
def test_eval_plot_option(mot15_results, tmp_path, monkeypatch):
    path = tmp_path / "chart.png"
    proc = run_main("eval", MOT15, mot15_results, "--sequences", "TUD-Campus", "KITTI-17", "--plot", path)
    assert proc.returncode == 0, proc.stderr
    assert f"chart: {path}" in proc.stdout
    _read_png(path)
    # a second run refuses to replace it; a name that is not .png is refused before any work
    assert_one_line_error(run_main("eval", MOT15, mot15_results, "--sequences", "KITTI-17", "--plot", path),
                          "already exists", command="eval")
    assert_one_line_error(run_main("eval", MOT15, mot15_results, "--plot", tmp_path / "chart.jpg"),
                          "name it FILE.png", command="eval")


def test_missing_matplotlib_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    with pytest.raises(UserError, match=r"matplotlib is not installed: pip install 'fairmot\[plots\]'"):
        plot_training([{"epoch": 1, "loss": 1.0, "lr": 1e-3}], str(tmp_path / "c.png"))
    # training goes on without charts, saying so once
    (tmp_path / "log.jsonl").write_text('{"epoch": 1, "loss": 2.0, "lr": 0.001}\n')
    lines = []
    writer = CurvesWriter(str(tmp_path), "run", lines.append)
    writer()
    writer()
    assert len(lines) == 1 and "matplotlib is not installed" in lines[0]
    assert not (tmp_path / CURVES_FILE).exists()


def test_training_chart_from_a_log_with_a_torn_last_line(tmp_path):
    log = tmp_path / "log.jsonl"
    records = [{"epoch": e, "lr": 1e-3 if e < 4 else 1e-4, "loss": 10 / e, "hm_loss": 3 / e, "wh_loss": 2 / e,
                "off_loss": 0.3, "id_loss": 4 / e} for e in range(1, 6)]
    import json
    log.write_text("".join(json.dumps(r) + "\n" for r in records) + '{"epoch": 6, "lo')  # killed mid-write
    assert read_log(str(log)) == records
    lines = []
    CurvesWriter(str(tmp_path), "resdcn_18_w32 at 640x480", lines.append)()
    assert lines == []
    assert _read_png(tmp_path / CURVES_FILE).std() > 10
    with pytest.raises(UserError, match="no epoch yet"):
        plot_training([], str(tmp_path / "empty.png"))
