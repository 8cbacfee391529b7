"""A model of two classes (person, car) through the commands a user runs: track, eval --per-class,
export, detect. The model is random with detector-like heads (each class channel peaks at its own
places), the clip a generated one with people and cars."""
import json

import numpy as np
import pytest

from fairmot.datasets.classes import ClassTable
from fairmot.datasets.mot_format import load_mot_rows
from fairmot.datasets.synthetic import SynthConfig, write_sequence
from fairmot.inference.torch_detector import Detector
from fairmot.models import model_from_checkpoint
from fairmot.models.random_init import detector_like_model, write_checkpoint
from support.cli import assert_one_line_error, run_main

PERSON_CAR = ClassTable(("person", "car"), (1, 3))   # MOT17's numbers, as fairmot synth writes them
SIZE = "320x192"


@pytest.fixture(scope="module")
def two_class(tmp_path_factory):
    folder = tmp_path_factory.mktemp("multiclass")
    weights = write_checkpoint(folder / "person_car.pth", detector_like_model("resdcn_18", 0, PERSON_CAR))
    root = folder / "clips"
    write_sequence(str(root / "cars-01"), SynthConfig(width=320, height=192, frames=8, classes=("person", "car")), 3)
    return folder, str(weights), root


def _track(two_class, output, *extra):
    folder, weights, root = two_class
    done = run_main("track", root / "cars-01", "--weights", weights, "--input-size", SIZE, "--output",
                    folder / output, "--no-video", *extra)
    assert done.returncode == 0, done.stderr
    rows = load_mot_rows(str(folder / output / "cars-01.txt"))
    people, cars = (len(np.unique(rows[rows[:, 7] == number, 1])) for number in (1, 3))
    what = ", ".join(f"{name} {n}" for name, n in (("person", people), ("car", cars)) if n)
    assert f"{people + cars} tracks ({what})" in done.stdout + done.stderr     # the summary counts each class
    return rows


def test_checkpoint_names_its_classes_and_detections_carry_them(two_class):
    _, weights, root = two_class
    model = model_from_checkpoint(weights)
    assert model.heads["hm"] == 2 and model.class_table == PERSON_CAR
    import cv2
    frame = cv2.imread(str(root / "cars-01" / "img1" / "000001.jpg"))
    boxes, embeddings, classes = Detector(model, SIZE, device="cpu", conf_thres=0.3)(frame)
    assert set(classes.tolist()) == {0, 1} and len(boxes) == len(embeddings) == len(classes)


def test_track_writes_each_tracks_class_number_and_never_shares_an_id(two_class):
    rows = _track(two_class, "all")
    assert set(np.unique(rows[:, 7])) == {1, 3}
    for track_id in np.unique(rows[:, 1]):       # a track never changes class
        assert len(np.unique(rows[rows[:, 1] == track_id, 7])) == 1
    cars = rows[rows[:, 7] == 3]
    only_cars = _track(two_class, "cars", "--classes", "car")
    assert set(np.unique(only_cars[:, 7])) == {3}
    # the cars' tracker saw the same car detections: the same boxes (ids are numbered anew)
    np.testing.assert_array_equal(only_cars[:, [0, 2, 3, 4, 5, 6]], cars[:, [0, 2, 3, 4, 5, 6]])
    by_number = _track(two_class, "people", "--classes", "1")
    assert set(np.unique(by_number[:, 7])) == {1}


def test_json_lines_name_the_class(two_class):
    folder, _, _ = two_class
    _track(two_class, "json", "--save-json")
    lines = [json.loads(line) for line in (folder / "json" / "cars-01.jsonl").read_text().splitlines()]
    classes = {t["class"] for line in lines for t in line["tracks"]}
    assert classes == {"person", "car"}


def test_an_unknown_class_is_one_line_naming_the_models(two_class):
    folder, weights, root = two_class
    done = run_main("track", root / "cars-01", "--weights", weights, "--input-size", SIZE, "--output",
                    folder / "bad", "--no-video", "--classes", "person,bus")
    assert_one_line_error(done, "no class 'bus'", "person (1), car (3)", command="track")
    assert not (folder / "bad" / "cars-01.txt").exists()


def test_eval_per_class_scores_the_models_classes_with_ap(two_class):
    folder, weights, root = two_class
    out = folder / "scores.json"
    done = run_main("eval", root, "--weights", weights, "--input-size", SIZE, "--output", folder / "eval",
                    "--per-class", "--metrics", "clear", "--json", out)
    assert done.returncode == 0, done.stderr
    assert "== person (1)" in done.stdout and "== car (3)" in done.stdout
    summary = json.loads(out.read_text())["summary"]
    assert set(summary) == {"person (1)", "car (3)", "AVERAGE"}
    assert all(0 <= summary[k]["AP50"] <= 1 for k in summary)
    gt = load_mot_rows(str(root / "cars-01" / "gt" / "gt.txt"))
    assert summary["car (3)"]["GT"] == len(np.unique(gt[gt[:, 7] == 3, 1]))
    # scored as one class, the cars would be the pedestrians' false positives: refused before tracking
    done = run_main("eval", root, "--weights", weights, "--input-size", SIZE, "--output", folder / "eval1")
    assert_one_line_error(done, "person (1), car (3)", "--per-class", command="eval")
    assert not (folder / "eval1").exists()


def test_eval_per_class_scores_a_one_class_model_on_its_own_class(two_class):
    # a one-class model writes -1 in column 8 (as FairMOT does); its checkpoint says which class
    # its rows are, so --per-class scores every one of them as a car (they once all went unscored)
    folder, _, root = two_class
    weights = write_checkpoint(folder / "car.pth", detector_like_model("resdcn_18", 0, ClassTable.single("car", 3)))
    out = folder / "car_scores.json"
    done = run_main("eval", root, "--weights", weights, "--input-size", SIZE, "--output", folder / "eval_car",
                    "--per-class", "--metrics", "clear", "--json", out)
    assert done.returncode == 0, done.stderr
    car = json.loads(out.read_text())["summary"]["car (3)"]
    rows = load_mot_rows(str(folder / "eval_car" / "cars-01.txt"))
    gt = load_mot_rows(str(root / "cars-01" / "gt" / "gt.txt"))
    assert len(rows) > 0 and set(np.unique(rows[:, 7])) == {-1}
    assert car["FP"] + (np.sum(gt[:, 7] == 3) - car["FN"]) == len(rows)   # every row matched or false


@pytest.mark.parametrize("fmt", ["onnx", "openvino"])
def test_exports_carry_the_classes(two_class, fmt):
    pytest.importorskip("onnxruntime" if fmt == "onnx" else "openvino")
    import cv2

    from fairmot.inference.onnx_detector import OnnxDetector
    from fairmot.inference.openvino_detector import OpenVinoDetector
    folder, weights, root = two_class
    path = folder / ("m.onnx" if fmt == "onnx" else "m.xml")
    done = run_main("export", "--weights", weights, "--output", path, "--input-size", SIZE,
                    *(["--format", "openvino"] if fmt == "openvino" else []))
    assert done.returncode == 0, done.stderr
    exported = (OnnxDetector if fmt == "onnx" else OpenVinoDetector)(str(path), conf_thres=0.3)
    assert exported.class_table == PERSON_CAR
    frame = cv2.imread(str(root / "cars-01" / "img1" / "000002.jpg"))
    want = Detector(weights, SIZE, device="cpu", conf_thres=0.3)(frame)
    got = exported(frame)
    assert len(got.boxes) == len(want.boxes) > 0
    np.testing.assert_array_equal(got.classes, want.classes)
    np.testing.assert_allclose(got.boxes[:, :4], want.boxes[:, :4], atol=0.5)
