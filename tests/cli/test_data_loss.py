"""Every way a user's data was seen lost, replayed as a user runs fairmot (a subprocess each).

Each test takes a snapshot of what the user has (a source video, an earlier result, a training run,
a converted dataset) and checks it is byte for byte the same after the run that used to destroy it.
Ctrl-C/SIGTERM/SIGHUP are in test_track_cli.py, the full disk in test_disk_full.py.
"""
import os
import subprocess
import sys

import pytest

from support.cli import assert_one_line_error
from support.cli import run_fairmot as fairmot
from support.data import PETS
from support.files import snapshot
from support.video import write_video

FAST = ("--input-size", "160x96")

pytestmark = pytest.mark.slow


def track(source, weights, output, *extra):
    return fairmot("track", source, "--weights", weights, "--output", output, *FAST, *extra)


@pytest.mark.parametrize("video_format, overwrite", [("avi", False), ("avi", True), ("mp4", True)])
def test_a_video_is_never_written_over_by_its_own_tracking(video_format, overwrite, pets_frames,
                                                           tracking_weights, tmp_path):
    """``--output`` the folder of ``clip.avi`` (``clip.mp4`` with --video-format mp4): the annotated
    video would be ``clip.avi`` itself. Refused even with --overwrite; the source is untouched."""
    write_video(tmp_path / f"clip.{video_format}", sorted(pets_frames.iterdir()))
    before = snapshot(tmp_path)
    proc = track(tmp_path / f"clip.{video_format}", tracking_weights, tmp_path, "--video-format", video_format,
                 *(["--overwrite"] if overwrite else []))
    assert_one_line_error(proc, f"clip.{video_format} is the source being read", command="track")
    assert snapshot(tmp_path) == before


def test_a_second_track_run_does_not_replace_the_first(pets_frames, tracking_weights, tmp_path):
    out = tmp_path / "out"
    assert track(pets_frames, tracking_weights, out).returncode == 0
    before = snapshot(out)
    assert set(before) == {"pets8.txt", "pets8.avi", "pets8.run.json"}
    again = track(pets_frames, tracking_weights, out, "--tracker", "fairmot", "--conf-thres", "0.3")
    assert_one_line_error(again, "pets8.txt was made with other settings", "--overwrite", command="track")
    (out / "pets8.run.json").unlink()  # results that are not from fairmot track (no record)
    before = snapshot(out)
    again = track(pets_frames, tracking_weights, out)
    assert_one_line_error(again, "pets8.txt already exists", "--overwrite", command="track")
    assert snapshot(out) == before


def test_a_second_one_shot_eval_does_not_replace_the_first(pets_sequence, tracking_weights, tmp_path):
    out = tmp_path / "tracked"
    first = fairmot("eval", pets_sequence, "--weights", tracking_weights, "--output", out,
                    "--json", tmp_path / "eval.json", *FAST)
    assert first.returncode == 0, first.stderr
    before = snapshot(tmp_path)
    again = fairmot("eval", pets_sequence, "--weights", tracking_weights, "--output", out, *FAST)
    assert_one_line_error(again, "PETS8.txt already exists", "--overwrite", command="eval")
    scores_again = fairmot("eval", pets_sequence, "--weights", tracking_weights, "--output", tmp_path / "other",
                           "--json", tmp_path / "eval.json", *FAST)
    assert_one_line_error(scores_again, "eval.json already exists", command="eval")
    assert snapshot(tmp_path) == before


def test_a_second_demo_does_not_replace_the_first(tmp_path):
    """An earlier demo's results (here written by hand: the demo takes minutes) are refused, not replaced."""
    out = tmp_path / "demo"
    out.mkdir()
    for name, text in (("demo-01.txt", "1,1,10,10,20,40,0.9,-1,-1,-1\n"), ("eval.json", '{"OVERALL": {}}\n')):
        (out / name).write_text(text)
    before = snapshot(out)
    proc = fairmot("demo", "--output", out)
    assert_one_line_error(proc, "already exists: pass --overwrite", command="demo")
    assert snapshot(out) == before


# ``fairmot track`` in a process whose network fails on the first frame: a crash, not a signal
_CRASH_AT_FRAME_1 = """
import sys
from fairmot.cli import main
from fairmot.inference import torch_detector
def forward_fails(self, blob):
    raise RuntimeError("simulated failure in the network")
torch_detector.Detector.forward = forward_fails
sys.exit(main(sys.argv[1:]))
"""


def test_a_rerun_that_crashes_on_its_first_frame_keeps_the_earlier_result(pets_frames, tracking_weights,
                                                                         tmp_path):
    out = tmp_path / "out"
    assert track(pets_frames, tracking_weights, out).returncode == 0
    before = snapshot(out)
    proc = subprocess.run([sys.executable, "-c", _CRASH_AT_FRAME_1, "track", str(pets_frames), "--weights",
                           str(tracking_weights), "--output", str(out), "--overwrite", *FAST],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.splitlines() == [
        "fairmot track: internal error: RuntimeError: simulated failure in the network (a bug in fairmot: "
        "run again with FAIRMOT_DEBUG=1 for the traceback and report it)"]
    assert snapshot(out) == before  # nothing staged is left either: the run wrote no frame


def test_two_sources_with_one_name_do_not_share_a_result(pets_frames, tracking_weights, tmp_path):
    frames = sorted(pets_frames.iterdir())
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_video(tmp_path / "a" / "clip.avi", frames)
    write_video(tmp_path / "b" / "clip.avi", frames[:4])
    out = tmp_path / "out"
    assert track(tmp_path / "a" / "clip.avi", tracking_weights, out).returncode == 0
    before = snapshot(out)
    second = track(tmp_path / "b" / "clip.avi", tracking_weights, out)
    assert_one_line_error(second, "clip.txt already exists, made from another source", command="track")
    assert snapshot(out) == before


def test_a_new_training_run_does_not_replace_an_earlier_one(tmp_path):
    data = tmp_path / "synth"
    assert fairmot("synth", data, "--sequences", "1", "--frames", "4", "--width", "128", "--height", "96",
                   "--seed", "1").returncode == 0
    run = tmp_path / "run"
    train = ("train", "--data", data / "data.json", "--output", run, "--arch", "resdcn_18_w32", "--head-conv", "16",
             "--input-size", "128x96", "--batch-size", "2", "--epochs", "1", "--num-workers", "0")
    first = fairmot(*train)
    assert first.returncode == 0, first.stderr
    before = snapshot(run)
    assert {"model_last.pth", "log.jsonl"} <= set(before)
    again = fairmot(*train, "--seed", "7")
    assert_one_line_error(again, "already holds a training run (model_last.pth, log.jsonl)", "--resume",
                          command="train")
    assert snapshot(run) == before


def test_a_second_conversion_with_the_same_name_does_not_replace_the_first(shared_data, tmp_path):
    out = tmp_path / "jde"
    first = fairmot("convert", "mot", PETS, "--out", out, "--name", "pets", "--train-frames", "1-40")
    assert first.returncode == 0, first.stderr
    before = snapshot(out)
    again = fairmot("convert", "mot", PETS, "--out", out, "--name", "pets", "--train-frames", "1-20")
    assert_one_line_error(again, "already holds a dataset named 'pets'", "--name", command="convert")
    assert snapshot(out) == before


# ``fairmot train`` in a process that sends itself $STOP_SIGNAL while the second checkpoint is being
# saved: the new file is written under its temporary name, not yet renamed into place
_SIGNAL_WHILE_SAVING_EPOCH_2 = """
import os, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
signal.signal(signal.SIGTERM, signal.SIG_DFL)
signal.signal(signal.SIGHUP, signal.SIG_DFL)
import torch
from fairmot.cli import main
save, calls = torch.save, []
def save_then_signal(obj, path, *args, **kwargs):
    save(obj, path, *args, **kwargs)
    calls.append(path)
    if len(calls) == 2:
        os.kill(os.getpid(), getattr(signal, os.environ["STOP_SIGNAL"]))
torch.save = save_then_signal
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("signal_name, code", [("SIGTERM", 143), ("SIGHUP", 129)])
def test_a_stopped_training_keeps_its_last_checkpoint_and_leaves_no_temporary_file(signal_name, code, tmp_path):
    import torch

    data = tmp_path / "synth"
    assert fairmot("synth", data, "--sequences", "1", "--frames", "4", "--width", "128", "--height", "96",
                   "--seed", "1").returncode == 0
    run = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-c", _SIGNAL_WHILE_SAVING_EPOCH_2, "train", "--data", str(data / "data.json"),
         "--output", str(run), "--arch", "resdcn_18_w32", "--head-conv", "16", "--input-size", "128x96",
         "--batch-size", "2", "--epochs", "3", "--num-workers", "0"],
        capture_output=True, text=True, timeout=600, env=dict(os.environ, STOP_SIGNAL=signal_name))
    assert proc.returncode == code, proc.stderr
    assert proc.stderr.splitlines()[-1] == (f"fairmot train: interrupted by {signal_name}; checkpoints saved "
                                            "so far are kept")
    # no temporary checkpoint (curves.png is epoch 1's chart, where matplotlib is installed)
    assert sorted(set(os.listdir(run)) - {"curves.png"}) == ["log.jsonl", "model_last.pth"]
    assert torch.load(run / "model_last.pth", weights_only=True)["epoch"] == 1


def test_a_second_synth_into_one_folder_draws_nothing_over_the_first(tmp_path):
    """It used to redraw the first dataset's frames, then refuse at the end: images no longer
    matching their labels. Now refused before the first frame is drawn."""
    small = ("--sequences", "2", "--frames", "4", "--width", "128", "--height", "96")
    assert fairmot("synth", tmp_path / "sy", *small).returncode == 0
    before = snapshot(tmp_path / "sy")
    again = fairmot("synth", tmp_path / "sy", *small, "--seed", "4")
    assert_one_line_error(again, "already holds a dataset named 'synth'", "--name", command="synth")
    assert snapshot(tmp_path / "sy") == before


# ``fairmot synth`` in a process that sends itself SIGTERM once it has drawn 5 frames
_SIGTERM_AFTER_5_FRAMES = """
import os, signal, sys
signal.signal(signal.SIGTERM, signal.SIG_DFL)
import cv2
from fairmot.cli import main
imwrite, calls = cv2.imwrite, []
def imwrite_then_signal(*args, **kwargs):
    calls.append(1)
    if len(calls) == 5:
        os.kill(os.getpid(), signal.SIGTERM)
    return imwrite(*args, **kwargs)
cv2.imwrite = imwrite_then_signal
sys.exit(main(sys.argv[1:]))
"""


def test_a_stopped_synth_leaves_no_half_dataset_and_keeps_earlier_ones(tmp_path):
    out = tmp_path / "sy"
    assert fairmot("synth", out, "--sequences", "1", "--frames", "3", "--width", "128", "--height", "96",
                   "--name", "first").returncode == 0
    before = snapshot(out)
    proc = subprocess.run([sys.executable, "-c", _SIGTERM_AFTER_5_FRAMES, "synth", str(out), "--sequences", "2",
                           "--frames", "20", "--width", "128", "--height", "96"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 143, proc.stderr
    assert proc.stderr.splitlines()[-1] == "fairmot synth: interrupted by SIGTERM; the unfinished dataset was removed"
    assert snapshot(out) == before
    fresh = tmp_path / "fresh"
    proc = subprocess.run([sys.executable, "-c", _SIGTERM_AFTER_5_FRAMES, "synth", str(fresh), "--frames", "20",
                           "--width", "128", "--height", "96"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 143 and not fresh.exists(), proc.stderr
