"""``fairmot eval --per-class`` on hand-made files: each class scored on its own rows (column 8 of
both files), pedestrians by the MOTChallenge rules, other classes on every row, and the average."""
import json

import numpy as np
import pytest

from fairmot.evaluation.per_class import AVERAGE, evaluate_folder_per_class
from support.cli import assert_one_line_error, run_main

FRAMES = 4
SEQINFO = ("[Sequence]\nname={name}\nimDir=img1\nframeRate=10\nseqLength={length}\nimWidth=640\nimHeight=360\n"
           "imExt=.jpg\n")


def _gt_rows():
    """Two pedestrians (ids 1, 2; marked 1), one car (id 7, marked 0 as MOT17 marks its cars), and
    a distractor (class 8) standing still, in every frame."""
    rows = []
    for f in range(1, FRAMES + 1):
        rows += [[f, 1, 10 + 5 * f, 50, 30, 80, 1, 1, 1.0],
                 [f, 2, 300, 60, 30, 80, 1, 1, 1.0],
                 [f, 7, 100 + 20 * f, 200, 120, 60, 0, 3, 1.0],
                 [f, 9, 500, 40, 30, 80, 0, 8, 1.0]]
    return rows


def _result_rows():
    """Person 1 tracked throughout; person 2 missed in frame 4; the car tracked with an id switch
    after frame 2; a box on the distractor (removed from the person score); a car box on a
    pedestrian (a false positive for cars, never a match for people)."""
    rows = []
    for f in range(1, FRAMES + 1):
        rows.append([f, 11, 10 + 5 * f, 50, 30, 80, 0.9, 1, -1, -1])
        if f < 4:
            rows.append([f, 12, 300, 60, 30, 80, 0.9, 1, -1, -1])
        rows.append([f, 21 if f <= 2 else 22, 100 + 20 * f, 200, 120, 60, 0.8, 3, -1, -1])
        rows.append([f, 13, 500, 40, 30, 80, 0.7, 1, -1, -1])
    rows.append([1, 23, 300, 60, 30, 80, 0.6, 3, -1, -1])
    return rows


def _write(path, rows, fmt):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(",".join(fmt(v) for v in row) + "\n" for row in rows))


@pytest.fixture
def folders(tmp_path):
    gt_root, results = tmp_path / "gt", tmp_path / "results"
    seq = gt_root / "SEQ-01"
    _write(seq / "gt" / "gt.txt", _gt_rows(), lambda v: f"{v:g}")
    (seq / "seqinfo.ini").write_text(SEQINFO.format(name="SEQ-01", length=FRAMES))
    _write(results / "SEQ-01.txt", _result_rows(), lambda v: f"{v:g}")
    return gt_root, results


def test_each_class_is_scored_on_its_own_rows(folders):
    gt_root, results = folders
    per_class, summary = evaluate_folder_per_class(str(gt_root), str(results), metrics=("clear", "identity"),
                                                   names={1: "person", 3: "car"})
    person, car = per_class["person"].loc["OVERALL"], per_class["car"].loc["OVERALL"]
    # people: 8 boxes, 1 missed, the distractor box removed, the car box on person 2 not theirs
    assert (person["GT"], person["FN"], person["FP"], person["IDs"]) == (2, 1, 0, 0)
    assert person["MOTA"] == pytest.approx(1 - 1 / 8)
    # the car: scored although marked 0; 4 boxes found, one switch, one false positive
    assert (car["GT"], car["FN"], car["FP"], car["IDs"]) == (1, 0, 1, 1)
    assert car["MOTA"] == pytest.approx(1 - (1 + 1) / 4)
    assert car["IDF1"] == pytest.approx(2 * 2 / (5 + 4))   # 2 frames on the longest id, 5 results, 4 truths
    # one row per class and their average: rates averaged, counts summed
    assert list(summary.index) == ["person", "car", AVERAGE]
    assert summary.loc[AVERAGE, "MOTA"] == pytest.approx((person["MOTA"] + car["MOTA"]) / 2)
    assert summary.loc[AVERAGE, "IDF1"] == pytest.approx((person["IDF1"] + car["IDF1"]) / 2)
    assert summary.loc[AVERAGE, "FP"] == 1 and summary.loc[AVERAGE, "GT"] == 3


def test_a_class_scores_as_a_run_of_that_class_alone(folders, tmp_path):
    """The car's numbers equal those of a one-class file of the cars' rows against their truth."""
    gt_root, results = folders
    per_class, _ = evaluate_folder_per_class(str(gt_root), str(results), classes=[3], metrics=("clear",))
    alone_gt, alone_res = tmp_path / "alone_gt", tmp_path / "alone_res"
    _write(alone_gt / "SEQ-01" / "gt" / "gt.txt",
           [r[:6] + [1, 1, 1.0] for r in _gt_rows() if r[7] == 3], lambda v: f"{v:g}")
    (alone_gt / "SEQ-01" / "seqinfo.ini").write_text(SEQINFO.format(name="SEQ-01", length=FRAMES))
    _write(alone_res / "SEQ-01.txt", [r[:7] + [-1, -1, -1] for r in _result_rows() if r[7] == 3], lambda v: f"{v:g}")
    from fairmot.evaluation.scoring import evaluate_folder
    alone = evaluate_folder(str(alone_gt), str(alone_res), metrics=("clear",))
    assert list(per_class) == ["class 3"]
    for column in ("MOTA", "FP", "FN", "IDs", "MOTP"):
        assert per_class["class 3"].loc["OVERALL", column] == pytest.approx(alone.loc["OVERALL", column])


def test_cli_prints_each_class_and_the_average_and_writes_json(folders, tmp_path):
    gt_root, results = folders
    out = tmp_path / "scores.json"
    done = run_main("eval", gt_root, results, "--per-class", "--metrics", "clear,identity", "--json", out)
    assert done.returncode == 0, done.stderr
    assert "== class 1" in done.stdout and "== class 3" in done.stdout and AVERAGE in done.stdout
    scores = json.loads(out.read_text())
    assert set(scores["per_class"]) == {"class 1", "class 3"}
    assert scores["summary"][AVERAGE]["MOTA"] == pytest.approx((7 / 8 + 0.5) / 2)
    only_cars = run_main("eval", gt_root, results, "--per-class", "--eval-classes", "3", "--metrics", "clear")
    assert only_cars.returncode == 0 and "== class 1" not in only_cars.stdout and "== class 3" in only_cars.stdout


@pytest.mark.parametrize("case, message", [
    ("one-class results", "carry no class"),
    ("mot15 ground truth", "no class column"),
    ("eval-classes alone", "add --per-class"),
    ("eval-classes words", "expected class numbers"),
])
def test_what_cannot_be_scored_per_class_is_one_line(folders, case, message):
    gt_root, results = folders
    args = ["eval", gt_root, results, "--per-class"]
    if case == "one-class results":
        rows = np.loadtxt(results / "SEQ-01.txt", delimiter=",")
        rows[:, 7] = -1
        _write(results / "SEQ-01.txt", rows.tolist(), lambda v: f"{v:g}")
    elif case == "mot15 ground truth":
        _write(gt_root / "SEQ-01" / "gt" / "gt.txt", [r[:6] + [1, -1, -1, -1] for r in _gt_rows()], lambda v: f"{v:g}")
    elif case == "eval-classes alone":
        args = ["eval", gt_root, results, "--eval-classes", "3"]
    else:
        args += ["--eval-classes", "car"]
    assert_one_line_error(run_main(*args), message, command="eval")
