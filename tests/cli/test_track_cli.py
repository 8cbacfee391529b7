"""``fairmot track`` and ``fairmot eval --weights`` driven as a user runs them (subprocesses).

The network is a random resdcn_18 whose heads behave like a detector (fairmot.models.random_init)
at 160x96, on PETS09-S2L1 frames: the detections mean nothing, the files and their format do.
"""
import json
import os
import shutil

import cv2
import numpy as np
import pytest
import torch

from fairmot.datasets.mot_format import load_mot_rows
from fairmot.evaluation.report import format_table
from fairmot.evaluation.scoring import evaluate_folder
from fairmot.models import create_model
from support.cli import assert_one_line_error as _assert_one_line_error
from support.cli import run_fairmot as fairmot
from support.cli import run_main, run_until_signal
from support.video import corrupt_avi_frame, write_video

FAST = ("--input-size", "160x96")


def track(source, weights, output, *extra):
    return fairmot("track", source, "--weights", weights, "--output", output, *FAST, *extra)


def track_here(source, weights, output, *extra):
    """``track`` in this process (fairmot.cli.main): for the cases where a fresh process adds nothing."""
    return run_main("track", source, "--weights", weights, "--output", output, *FAST, *extra)


def assert_one_line_error(proc, *fragments, command="track"):
    _assert_one_line_error(proc, *fragments, command=command)


def assert_valid_results(path, frames, min_score=0.4):
    """MOTChallenge rows frame,id,x,y,w,h,score,-1,-1,-1 within ``frames``, FairMOT's output filter
    applied, each id at most once per frame."""
    text = open(path).read()
    assert text.endswith("\n")
    assert all(len(line.split(",")) == 10 for line in text.splitlines())
    rows = load_mot_rows(path)
    assert len(rows) > 0
    assert set(rows[:, 0].astype(int)) <= set(frames)
    assert np.all(rows[:, 1] >= 1) and np.all(rows[:, 1] == np.round(rows[:, 1]))
    w, h = rows[:, 4], rows[:, 5]
    assert np.all(w * h > 100) and np.all(w / h <= 1.6)
    assert np.all((rows[:, 6] > min_score) & (rows[:, 6] <= 1))
    assert np.all(rows[:, 7:] == -1)
    keys = rows[:, 0] * 100000 + rows[:, 1]
    assert len(np.unique(keys)) == len(keys)
    return rows


def video_info(path):
    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened(), path
    frames = 0
    while cap.read()[0]:
        frames += 1
    return (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            round(cap.get(cv2.CAP_PROP_FPS), 3), frames)


def test_image_folder(pets_frames, tracking_weights, tmp_path):
    proc = track(pets_frames, tracking_weights, tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert_valid_results(tmp_path / "out" / "pets8.txt", range(1, 9))
    assert video_info(tmp_path / "out" / "pets8.avi") == (480, 360, 30.0, 8)  # 30 fps: a folder has none
    summary = proc.stdout
    assert "pets8: 8 frames in" in summary and "frames/s" in summary
    for stage in ("decode", "network", "association", "encode", "outside the network"):
        assert stage in summary


def test_mot_sequence_keeps_its_frame_rate(pets_sequence, tracking_weights, tmp_path):
    proc = track_here(pets_sequence / "PETS8", tracking_weights, tmp_path, "--tracker", "fairmot", "--byte",
                      "--video-format", "mp4")
    assert proc.returncode == 0, proc.stderr
    # BYTE: tracks may be carried by detections down to 0.2
    assert_valid_results(tmp_path / "PETS8.txt", range(1, 9), min_score=0.2)
    assert video_info(tmp_path / "PETS8.mp4") == (480, 360, 10.0, 8)


def test_video_with_a_corrupt_frame(pets_frames, tracking_weights, tmp_path):
    video = write_video(tmp_path / "walk.avi", sorted(pets_frames.iterdir()), fps=12.5)
    corrupt_avi_frame(video, 5)
    proc = track_here(video, tracking_weights, tmp_path / "out", "--no-video")
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert warnings == [f"fairmot track: warning: frame 5 of {video} cannot be decoded (corrupt data); skipped"]
    rows = assert_valid_results(tmp_path / "out" / "walk.txt", [1, 2, 3, 4, 6, 7, 8])
    assert {6, 7, 8} <= set(rows[:, 0].astype(int))  # tracking went on after the damage
    assert "7 frames (1 skipped)" in proc.stdout
    assert not os.path.exists(tmp_path / "out" / "walk.avi")


# ``fairmot track`` in a process that sends itself $STOP_SIGNAL while frame 3 is in the network:
# the signal always arrives at the same point, however fast or busy the machine is
def track_until_signal(signal_name, *args):
    return run_until_signal(signal_name, 3, "track", *args, *FAST)


@pytest.mark.parametrize("signal_name, code, video_format", [
    ("SIGINT", 130, "avi"), pytest.param("SIGTERM", 143, "mp4", marks=pytest.mark.slow),
    pytest.param("SIGHUP", 129, "avi", marks=pytest.mark.slow)])
def test_a_stop_signal_keeps_what_was_written(signal_name, code, video_format, shared_data, tracking_weights,
                                              tmp_path):
    """Ctrl-C, kill/timeout (SIGTERM) or a closed terminal (SIGHUP) during frame 3 of the 795-frame
    sequence: that frame is finished, exit 128 + signal, the result file holds frames 1-3 and the
    video (an mp4 too, which needs its index written) is playable with those 3 frames."""
    out = tmp_path / "out"
    proc = track_until_signal(signal_name, os.path.join(shared_data, "PETS09-S2L1"), "--weights",
                              tracking_weights, "--output", out, "--video-format", video_format)
    assert proc.returncode == code, proc.stderr
    assert proc.stderr == f"fairmot track: interrupted by {signal_name}; outputs written so far are kept\n"
    assert "PETS09-S2L1: 3 frames in" in proc.stdout and f"(interrupted by {signal_name})" in proc.stdout
    rows = assert_valid_results(out / "PETS09-S2L1.txt", range(1, 796))
    assert set(rows[:, 0].astype(int)) <= {1, 2, 3} and 3 in rows[:, 0]
    assert video_info(out / f"PETS09-S2L1.{video_format}") == (480, 360, 10.0, 3)
    assert sorted(os.listdir(out)) == sorted(["PETS09-S2L1.txt", f"PETS09-S2L1.{video_format}",
                                              "PETS09-S2L1.run.json"])  # none staged
    record = json.loads((out / "PETS09-S2L1.run.json").read_text())
    assert (record["complete"], record["stopped_by"], record["frames"]) == (False, signal_name, 3)


@pytest.mark.slow
def test_an_interrupted_rerun_leaves_the_earlier_complete_result(pets_frames, tracking_weights, tmp_path):
    out = tmp_path / "out"
    assert track_here(pets_frames, tracking_weights, out).returncode == 0
    complete = {name: (out / name).read_bytes() for name in ("pets8.txt", "pets8.avi")}
    again = track_here(pets_frames, tracking_weights, out)  # the same command: nothing left to do
    assert again.returncode == 0 and "pets8: complete results from an earlier run" in again.stdout
    assert {name: (out / name).read_bytes() for name in complete} == complete
    other = track_here(pets_frames, tracking_weights, out, "--min-box-area", "50")
    assert_one_line_error(other, "pets8.txt was made with other settings", "--overwrite")
    stopped = track_until_signal("SIGINT", pets_frames, "--weights", tracking_weights, "--output", out,
                                 "--overwrite")
    assert stopped.returncode == 130, stopped.stderr
    assert {name: (out / name).read_bytes() for name in complete} == complete
    assert "partial: " in stopped.stdout
    partial = load_mot_rows(out / "pets8.partial.txt")
    assert set(partial[:, 0].astype(int)) <= {1, 2, 3}
    rerun = track_here(pets_frames, tracking_weights, out, "--overwrite")
    assert rerun.returncode == 0, rerun.stderr
    assert (out / "pets8.txt").read_bytes() == complete["pets8.txt"]  # the same run, published again


def bad_checkpoint(path, heads=None, state_dict=None):
    torch.save({"epoch": 0, "state_dict": state_dict or create_model("resdcn_18", heads).state_dict()}, path)
    return path


@pytest.mark.parametrize("case, fragments", [
    ("missing source", ["source", "not found"]),
    ("text file named .mp4", ["is not a video"]),
    ("folder without images", ["holds no images"]),
    ("missing weights", ["checkpoint", "not found"]),
    ("weights not a checkpoint", ["cannot read", "as a PyTorch checkpoint"]),
    ("weights of another network", ["not a FairMOT network checkpoint"]),
    ("wh head with 3 channels", ["head 'wh' has 3 output channels"]),
    ("no id head", ["has no re-ID head (id)", "--reinit-heads"]),
    ("output under a file", ["cannot create output folder"]),
    ("bad input size", ["input size 300x200"]),
    ("weights that could run code", ["is not a plain checkpoint", "could run code", "not loaded"]),
])
def test_bad_input_is_one_line(case, fragments, pets_frames, tracking_weights, tmp_path):
    source, weights, output, extra = pets_frames, tracking_weights, tmp_path / "out", []
    if case == "missing source":
        source = tmp_path / "nowhere.mp4"
    elif case == "text file named .mp4":
        source = tmp_path / "notes.mp4"
        source.write_text("this is not a video\n")
    elif case == "folder without images":
        source = tmp_path / "empty"
        source.mkdir()
    elif case == "missing weights":
        weights = tmp_path / "nowhere.pth"
    elif case == "weights not a checkpoint":
        weights = tmp_path / "model.pth"
        weights.write_text("not a checkpoint")
    elif case == "weights of another network":
        weights = bad_checkpoint(tmp_path / "other.pth", state_dict={"fc.weight": torch.zeros(2, 2)})
    elif case == "wh head with 3 channels":
        weights = bad_checkpoint(tmp_path / "wh3.pth", {"hm": 1, "wh": 3, "reg": 2, "id": 128})
    elif case == "no id head":
        weights = bad_checkpoint(tmp_path / "noid.pth", {"hm": 1, "wh": 4, "reg": 2})
    elif case == "output under a file":
        (tmp_path / "file").write_text("")
        output = tmp_path / "file" / "out"
    elif case == "bad input size":
        extra = ["--input-size", "300x200"]
    elif case == "weights that could run code":
        weights = tmp_path / "pickled.pth"
        torch.save({"state_dict": {}, "extra": ValueError("any Python object")}, weights)
    proc = run_main("track", source, "--weights", weights, "--output", output, *extra)
    assert_one_line_error(proc, *fragments)
    if case != "output under a file":
        assert not os.path.exists(output)  # nothing written for a run that could not start


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_source(pets_frames, tracking_weights, tmp_path):
    video = write_video(tmp_path / "walk.avi", sorted(pets_frames.iterdir()))
    video.chmod(0)
    assert_one_line_error(track(video, tracking_weights, tmp_path / "out"), "not readable")


@pytest.mark.slow
def test_eval_one_shot_tracks_then_scores(pets_sequence, tracking_weights, tmp_path):
    out = tmp_path / "tracked"
    proc = fairmot("eval", pets_sequence, "--weights", tracking_weights, "--output", out, *FAST)
    assert proc.returncode == 0, proc.stderr
    assert_valid_results(out / "PETS8.txt", range(1, 9))
    assert not os.path.exists(out / "PETS8.avi")  # no video unless --video-format
    assert "PETS8: 8 frames in" in proc.stdout
    # the table printed is the score of the files the run wrote, with the detections' AP50 first
    expected = format_table(evaluate_folder(str(pets_sequence), str(out)))
    table = proc.stdout.rstrip().splitlines()[-3:]
    assert table[0].split() == ["AP50"] + expected.splitlines()[0].split()
    for got, want in zip(table[1:], expected.splitlines()[1:]):
        assert got.split()[0] == want.split()[0] and got.split()[2:] == want.split()[1:]
        assert got.split()[1].endswith("%")

    ranged = fairmot("eval", pets_sequence, "--weights", tracking_weights, "--output", tmp_path / "ranged",
                     "--frames", "3-6", "--json", tmp_path / "ranged.json", *FAST)
    assert ranged.returncode == 0, ranged.stderr
    assert "PETS8: 4 frames in" in ranged.stdout
    assert_valid_results(tmp_path / "ranged" / "PETS8.txt", range(3, 7))
    scores = json.loads((tmp_path / "ranged.json").read_text())
    assert set(scores) == {"PETS8", "OVERALL"} and 0.0 <= scores["OVERALL"]["AP50"] <= 1.0
    gt = load_mot_rows(pets_sequence / "PETS8" / "gt" / "gt.txt")
    in_range = gt[(gt[:, 0] >= 3) & (gt[:, 0] <= 6) & (gt[:, 6] != 0)]
    assert scores["PETS8"]["FN"] + round(scores["PETS8"]["Rcll"] * len(in_range)) == len(in_range)

    half = fairmot("eval", pets_sequence, "--weights", tracking_weights, "--output", tmp_path / "half",
                   "--half", *FAST)
    assert half.returncode == 0, half.stderr
    assert "PETS8: 4 frames in" in half.stdout
    assert_valid_results(tmp_path / "half" / "PETS8.txt", range(5, 9))


def test_eval_one_shot_bad_input(shared_data, pets_sequence, tracking_weights, tmp_path):
    no_images = fairmot("eval", os.path.join(shared_data, "MOT17", "train"), "--weights", tracking_weights,
                        "--output", tmp_path / "out")
    assert_one_line_error(no_images, "has its images", command="eval")
    both = fairmot("eval", pets_sequence, tmp_path, "--weights", tracking_weights)
    assert_one_line_error(both, "not both", command="eval")
    neither = fairmot("eval", pets_sequence)
    assert_one_line_error(neither, "give RESULTS_DIR", command="eval")
    unknown = fairmot("eval", pets_sequence, "--weights", tracking_weights, "--sequences", "MOT17-02")
    assert_one_line_error(unknown, "no ground truth for MOT17-02", command="eval")


@pytest.mark.slow
def test_onnxruntime_backend_tracks_like_pytorch(pets_frames, tracking_weights, tmp_path):
    from fairmot.export.onnx import export_onnx
    from fairmot.models.random_init import detector_like_model
    onnx_path = tmp_path / "model.onnx"
    export_onnx(detector_like_model(), str(onnx_path), input_size=(160, 96))
    by_onnx = fairmot("track", pets_frames, "--weights", onnx_path, "--backend", "onnxruntime",
                      "--device", "cpu", "--output", tmp_path / "onnx", "--no-video")
    assert by_onnx.returncode == 0, by_onnx.stderr
    by_torch = track(pets_frames, tracking_weights, tmp_path / "torch", "--no-video")
    assert by_torch.returncode == 0, by_torch.stderr
    onnx_rows = assert_valid_results(tmp_path / "onnx" / "pets8.txt", range(1, 9))
    torch_rows = load_mot_rows(tmp_path / "torch" / "pets8.txt")
    np.testing.assert_array_equal(onnx_rows[:, :2], torch_rows[:, :2])  # same tracks, same ids
    np.testing.assert_allclose(onnx_rows[:, 2:7], torch_rows[:, 2:7], atol=0.02)

    implied = fairmot("track", pets_frames, "--weights", onnx_path, "--output", tmp_path / "implied", "--no-video")
    assert implied.returncode == 0, implied.stderr                        # .onnx: onnxruntime
    assert np.array_equal(load_mot_rows(tmp_path / "implied" / "pets8.txt"), onnx_rows)
    wrong_backend = fairmot("track", pets_frames, "--weights", onnx_path, "--backend", "torch",
                            "--output", tmp_path / "x")
    assert_one_line_error(wrong_backend, "is an exported model", "--backend onnxruntime")
    wrong_size = fairmot("track", pets_frames, "--weights", onnx_path, "--backend", "onnxruntime",
                         "--input-size", "320x192", "--output", tmp_path / "x")
    assert_one_line_error(wrong_size, "exported for input size 160x96")


def test_damaged_frames_are_named_in_the_summary(pets_frames, tracking_weights, tmp_path):
    folder = tmp_path / "frames"
    shutil.copytree(pets_frames, folder)
    data = (folder / "000004.jpg").read_bytes()
    (folder / "000004.jpg").write_bytes(data[: len(data) // 2])
    proc = track_here(folder, tracking_weights, tmp_path / "out", "--no-video")
    assert proc.returncode == 0, proc.stderr
    assert "frames: 8 frames in" in proc.stdout
    assert f"  warning: frame 4: {folder / '000004.jpg'} is truncated" in proc.stdout
    assert "fairmot track: warning: frame 4" in proc.stderr


def test_the_hybrid_tracker_and_the_box_filter_options(pets_frames, tracking_weights, tmp_path):
    hybrid = track_here(pets_frames, tracking_weights, tmp_path / "hybrid", "--tracker", "hybrid",
                        "--tracker-option", "min_hits=1", "--no-video")
    assert hybrid.returncode == 0, hybrid.stderr
    kept = assert_valid_results(tmp_path / "hybrid" / "pets8.txt", range(1, 9), min_score=0.0)
    unfiltered = track_here(pets_frames, tracking_weights, tmp_path / "all", "--tracker", "hybrid",
                            "--tracker-option", "min_hits=1", "--no-video", "--no-box-filter")
    assert unfiltered.returncode == 0, unfiltered.stderr
    assert "camera motion" not in hybrid.stdout
    compensated = track_here(pets_frames, tracking_weights, tmp_path / "cmc", "--tracker", "hybrid",
                             "--camera-motion", "--no-video")
    assert compensated.returncode == 0, compensated.stderr
    assert "| camera motion " in compensated.stdout        # timed in the summary
    assert_valid_results(tmp_path / "cmc" / "pets8.txt", range(1, 9), min_score=0.0)
    every = load_mot_rows(tmp_path / "all" / "pets8.txt")
    assert len(every) >= len(kept)
    # the rows the filter keeps are exactly the unfiltered rows that pass it
    passes = (every[:, 4] * every[:, 5] > 100) & (every[:, 4] / every[:, 5] <= 1.6)
    assert np.array_equal(every[passes], kept)


def test_the_cli_names_the_trackers_the_package_has():
    from fairmot.cli.common import DEFAULT_TRACKER as CLI_DEFAULT
    from fairmot.cli.common import TRACKERS
    from fairmot.trackers import DEFAULT_TRACKER, list_trackers
    assert list(TRACKERS) == list_trackers() and CLI_DEFAULT == DEFAULT_TRACKER


def test_json_lines_crops_and_trails(pets_frames, tracking_weights, tmp_path):
    """--save-json holds what the MOTChallenge file holds, frame by frame; --save-crops cuts each
    track's box from every k-th frame into a folder per id; --trails changes only the video."""
    plain, out = tmp_path / "plain", tmp_path / "out"
    assert track_here(pets_frames, tracking_weights, plain).returncode == 0
    proc = track_here(pets_frames, tracking_weights, out, "--trails", "5", "--save-json", "--save-crops",
                      "--crop-every", "3")
    assert proc.returncode == 0, proc.stderr
    assert "json:" in proc.stdout and "crops:" in proc.stdout
    assert (out / "pets8.txt").read_bytes() == (plain / "pets8.txt").read_bytes()

    lines = [json.loads(line) for line in open(out / "pets8.jsonl")]
    assert [line["frame"] for line in lines] == list(range(1, 9))       # every frame, empty ones too
    rows = load_mot_rows(str(out / "pets8.txt"))
    from_json = np.array([[line["frame"], t["id"], *t["box"], t["score"]] for line in lines for t in line["tracks"]])
    assert from_json.shape == (len(rows), 7)
    np.testing.assert_allclose(from_json, rows[:, :7], atol=0.006)

    crops = sorted((out / "pets8_crops").rglob("*.jpg"))
    expected = [(int(r[1]), int(r[0])) for r in rows if int(r[0]) in (1, 4, 7) and min(r[4], r[5]) >= 8]
    assert sorted((int(p.parent.name), int(p.stem)) for p in crops) == sorted(expected) and expected
    first = cv2.imread(str(sorted(pets_frames.iterdir())[0]))
    track_id, frame = expected[0]
    x, y, w, h = next(r[2:6] for r in rows if int(r[0]) == frame and int(r[1]) == track_id)
    crop = cv2.imread(str(out / "pets8_crops" / f"{track_id:06d}" / f"{frame:06d}.jpg"))
    assert abs(crop.shape[1] - w) <= 2 and abs(crop.shape[0] - h) <= 2
    x1, y1 = max(int(round(x)), 0), max(int(round(y)), 0)
    patch = first[y1:y1 + crop.shape[0], x1:x1 + crop.shape[1]].astype(float)
    assert np.abs(patch - crop).mean() < 6          # cut from the frame as read (JPEG noise only), no drawing

    record = json.load(open(out / "pets8.run.json"))
    assert record["json"].endswith("pets8.jsonl") and record["crops"].endswith("pets8_crops")
    assert not list(out.glob("*.partial*"))

    def last_frame(folder):
        capture = cv2.VideoCapture(str(folder / "pets8.avi"))
        frames = []
        while True:
            ok, image = capture.read()
            if not ok:
                return frames[-1]
            frames.append(image)
    assert np.abs(last_frame(out).astype(int) - last_frame(plain)).max() > 100   # the trails

    # the same command again: complete with the same settings, skipped; --overwrite redoes the crops folder
    again = track_here(pets_frames, tracking_weights, out, "--trails", "5", "--save-json", "--save-crops",
                       "--crop-every", "3")
    assert again.returncode == 0 and "skipped" in again.stdout
    (out / "pets8_crops" / "stray.txt").write_text("from before")
    redo = track_here(pets_frames, tracking_weights, out, "--save-json", "--save-crops", "--crop-every", "3",
                      "--overwrite")
    assert redo.returncode == 0, redo.stderr
    assert sorted((out / "pets8_crops").rglob("*.jpg")) == crops and not (out / "pets8_crops" / "stray.txt").exists()


@pytest.mark.parametrize("extra, fragment", [
    (["--trails", "5", "--no-video"], "--trails draws on the video"),
    (["--trails", "-1"], "--trails must be 0 or more"),
    (["--save-crops", "--crop-every", "0"], "--crop-every must be at least 1"),
])
def test_export_options_bad_input(extra, fragment, pets_frames, tracking_weights, tmp_path):
    assert_one_line_error(track_here(pets_frames, tracking_weights, tmp_path / "out", *extra), fragment)
    assert not (tmp_path / "out").exists()
