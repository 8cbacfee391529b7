"""fairmot tune: the search finds a known optimum, the CLI writes what track reads, bad input is one line."""
import json
import sys

import numpy as np
import pytest

from fairmot.cli import build_parser
from fairmot.cli.common import tracker_options
from fairmot.errors import UserError
from fairmot.tuning.config_file import read_tracker_config
from fairmot.tuning.detections import SequenceDetections, from_det_file
from fairmot.tuning.objective import overall, score_configuration
from fairmot.tuning.search import search
from support.cli import assert_one_line_error, run_main

pytest.importorskip("optuna")

PEOPLE_SCORES = (0.62, 0.9)   # every person, every frame
DUMMY_SCORES = (0.42, 0.48)   # a mannequin that never moves: no person


def synthetic_sequence(seed, frames=60):
    """Four people walking across a 640x480 view, detected every frame with jittered boxes and
    scores in PEOPLE_SCORES, and a static false positive scored in DUMMY_SCORES. The best tracker
    starts tracks from people only: new_track_thresh in (0.48, 0.62]."""
    rng = np.random.default_rng(seed)
    starts = rng.uniform([20, 100], [200, 300], size=(4, 2))
    speeds = rng.uniform([2, -1], [5, 1], size=(4, 2))
    gt, dets = [], []
    for frame in range(1, frames + 1):
        for pid in range(4):
            x, y = starts[pid] + speeds[pid] * frame + [120 * pid, 0]
            gt.append([frame, pid + 1, x, y, 40, 100, 1, -1, -1, -1])
            jitter = rng.normal(0, 1.0, 4)
            dets.append([frame, -1, x + jitter[0], y + jitter[1], 40 + jitter[2], 100 + jitter[3],
                         rng.uniform(*PEOPLE_SCORES), -1, -1, -1])
        dets.append([frame, -1, 560, 360, 40, 100, rng.uniform(*DUMMY_SCORES), -1, -1, -1])
    return np.array(gt, float), np.array(dets, float)


def write_sequence(root, name, seed):
    gt, dets = synthetic_sequence(seed)
    folder = root / name
    (folder / "gt").mkdir(parents=True)
    (folder / "det").mkdir()
    np.savetxt(folder / "gt" / "gt.txt", gt, fmt="%g", delimiter=",")
    np.savetxt(folder / "det" / "det.txt", dets, fmt="%g", delimiter=",")
    (folder / "seqinfo.ini").write_text(f"[Sequence]\nname={name}\nimDir=img1\nframeRate=30\nseqLength=60\n"
                                        "imWidth=640\nimHeight=480\nimExt=.jpg\n")
    return folder


@pytest.fixture(scope="module")
def synthetic_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic_mot")
    for k in range(4):
        write_sequence(root, f"walk-{k}", seed=k)
    return root


def test_search_finds_the_known_optimum(synthetic_root):
    sequences = [from_det_file(str(synthetic_root / f"walk-{k}")) for k in range(2)]
    assert isinstance(sequences[0], SequenceDetections) and not sequences[0].has_embeddings
    result = search(sequences, "hybrid", "MOTA", trials=40, seed=0)
    assert result.default_score < 0.1          # the default new_track_thresh (0.9) starts no track here
    assert result.best_score > 0.95
    assert 0.48 < result.best_options["new_track_thresh"] <= 0.62
    # the options found reproduce the score, and hold on sequences the search never saw
    held = [from_det_file(str(synthetic_root / f"walk-{k}")) for k in (2, 3)]
    assert overall(score_configuration(sequences, "hybrid", result.best_options), "MOTA") == result.best_score
    assert overall(score_configuration(held, "hybrid", result.best_options), "MOTA") > 0.95
    assert len(result.trials) == 40 and max(result.trials) == result.best_score


def test_fairmot_tracker_search_never_ends_below_its_default(synthetic_root):
    sequences = [from_det_file(str(synthetic_root / "walk-0"))]
    result = search(sequences, "fairmot", "IDF1", trials=5, seed=1)
    assert result.best_score >= result.default_score == result.trials[0]
    assert set(result.best_options) == {"conf_thres", "iou_thres", "unconfirmed_match_thres", "track_buffer"}


def test_cli_writes_what_track_reads(synthetic_root, tmp_path):
    output = tmp_path / "best.json"
    proc = run_main("tune", synthetic_root, "--trials", "12", "--metric", "mota", "--output", output)
    assert proc.returncode == 0, proc.stderr
    assert "held out: walk-1, walk-3" in proc.stdout and "tuned, held out (2)" in proc.stdout
    written = json.loads(output.read_text())
    assert written["tuned_on"] == ["walk-0", "walk-2"] and written["trials"] == 12
    assert set(written["scores"]) == {"default", "tuned"}
    assert written["scores"]["tuned"]["tuned_on"]["MOTA"] >= written["scores"]["default"]["tuned_on"]["MOTA"]
    assert written["command_line"] in proc.stdout

    # fairmot track --tracker-config: the file's tracker and options; flags beside it win
    config = read_tracker_config(str(output))
    track_args = build_parser().parse_args(["track", "x.mp4", "--weights", "w.pth", "--tracker-config", str(output)])
    options = tracker_options(track_args)
    assert options["tracker"] == "hybrid"
    assert {k: options[k] for k in config["options"]} == config["options"]
    track_args = build_parser().parse_args(["track", "x.mp4", "--weights", "w.pth", "--tracker-config", str(output),
                                            "--track-buffer", "77", "--tracker-option", "min_hits=4"])
    options = tracker_options(track_args)
    assert options["track_buffer"] == 77 and options["min_hits"] == 4
    # the flags printed reproduce the same options
    flags = written["command_line"].split()
    track_args = build_parser().parse_args(["track", "x.mp4", "--weights", "w.pth", *flags])
    printed = tracker_options(track_args)
    assert {k: printed[k] for k in config["options"]} == config["options"]


def test_cli_bad_input_is_one_line(synthetic_root, tmp_path, monkeypatch):
    out = tmp_path / "t.json"
    for args, fragment in (
            (["--holdout", "walk-9"], "--holdout walk-9: not among the sequences"),
            (["--holdout", "walk-0", "walk-1", "walk-2", "walk-3"], "every sequence is held out"),
            (["--trials", "0"], "--trials must be at least 1"),
            (["--output", tmp_path / "t.txt"], "name it FILE.json"),
            (["--sequences", "walk-7"], "walk-7"),
            (["--det-file", "none.txt"], "none.txt not found")):
        proc = run_main("tune", synthetic_root, "--trials", "2", "--output", out, *args)
        assert_one_line_error(proc, fragment, command="tune")
        assert not out.exists()
    out.write_text("{}")
    assert_one_line_error(run_main("tune", synthetic_root, "--output", out), "already exists", command="tune")
    assert out.read_text() == "{}"

    monkeypatch.setitem(sys.modules, "optuna", None)  # as if it were not installed
    assert_one_line_error(run_main("tune", synthetic_root, "--output", tmp_path / "n.json"),
                          "optuna is not installed: pip install 'fairmot[tune]'", command="tune")


@pytest.mark.parametrize("content, fragment", [
    ("not json", "is not JSON"),
    ('{"tracker": "nope", "options": {}}', "tracker 'nope' is not one of"),
    ('{"tracker": "hybrid", "options": {"warp_speed": 9}}', "has no option warp_speed"),
    ('[1, 2]', "expected an object"),
])
def test_bad_tracker_config_files(content, fragment, tmp_path):
    path = tmp_path / "c.json"
    path.write_text(content)
    with pytest.raises(UserError, match=fragment):
        read_tracker_config(str(path))


def test_a_tracker_flag_that_contradicts_the_config_file(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"tracker": "hybrid", "options": {}}')
    with pytest.raises(UserError, match="disagree"):
        tracker_options(build_parser().parse_args(["track", "x.mp4", "--weights", "w", "--tracker", "fairmot",
                                                   "--tracker-config", str(path)]))


def test_network_detections_are_cached_and_reused(pets_sequence, tracking_weights, tmp_path):
    from fairmot.inference.torch_detector import Detector
    from fairmot.tuning.detections import NETWORK_SCORE_FLOOR, cache_key, from_network
    seq_dir = str(pets_sequence / "PETS8")
    detector = Detector(str(tracking_weights), input_size="160x96", device="cpu")
    key = cache_key("digest", detector.input_size, seq_dir)
    first = from_network(seq_dir, detector, str(tmp_path / "cache"), key, progress=False)
    assert detector.conf_thres == NETWORK_SCORE_FLOOR
    assert len(first.frames) == 8 and first.first_frame == 1 and first.has_embeddings
    assert (tmp_path / "cache" / f"PETS8-{key}.npz").is_file()

    class NoNetwork:
        def __call__(self, frame):
            raise AssertionError("the cache should have been read")
    again = from_network(seq_dir, NoNetwork(), str(tmp_path / "cache"), key, progress=False)
    for (a, ea), (b, eb) in zip(first.frames, again.frames):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(ea, eb)
    # trials on them run the tracker with the embeddings
    table = score_configuration([again], "hybrid", {})
    assert set(table.index) == {"PETS8", "OVERALL"}
    assert cache_key("other", detector.input_size, seq_dir) != key
