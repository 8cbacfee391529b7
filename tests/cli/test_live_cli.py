"""``fairmot track`` on live streams (loopback HTTP servers in this process) and on many sources
(in turn, with --workers, under torchrun, resumed after an interruption), as a user runs it."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from fairmot.datasets.mot_format import load_mot_rows
from support.cli import assert_one_line_error, run_fairmot, run_main, run_until_signal, start_fairmot
from support.data import PETS, copy_pets_frames, requires_shared
from support.files import snapshot
from support.stream_server import LiveMjpegServer, SilentServer, jpeg_frames
from support.video import write_video

pytestmark = requires_shared
FAST = ("--input-size", "160x96")


@pytest.fixture(scope="module")
def camera_frames():
    return jpeg_frames([os.path.join(PETS, "img1", f"{i:06d}.jpg") for i in range(1, 61)])


def track(*args, timeout=600):
    return run_fairmot("track", *args, *FAST, timeout=timeout)


def only_result(out, suffix=".txt"):
    found = [f for f in os.listdir(out) if f.endswith(suffix) and not f.endswith(".partial" + suffix)]
    assert len(found) == 1, os.listdir(out)
    return os.path.join(out, found[0])


def record_of(result_path):
    return json.loads(open(result_path[:-4] + ".run.json").read())


# live streams -------------------------------------------------------------------------------------
def test_a_live_stream_tracked_in_real_time_counts_every_frame(camera_frames, tracking_weights, tmp_path):
    """60 frames at 25 fps, read with --realtime; the camera then goes away (--reconnect 0): the
    run ends with one line, the results so far kept, and received = processed + dropped = 60."""
    out = tmp_path / "out"
    with LiveMjpegServer(camera_frames, fps=25) as server:
        proc = track(server.url, "--weights", tracking_weights, "--output", out, "--realtime",
                     "--reconnect", "0", "--read-timeout", "2")
    assert_one_line_error(proc, "stopped sending frames after frame 60", "--reconnect 0",
                          "results of", "are kept", command="track")
    result = only_result(out)
    name = os.path.basename(result)
    assert name.startswith(f"127.0.0.1_{server.url.split(':')[2].split('/')[0]}_video-") and name.endswith(".txt")
    record = record_of(result)
    assert record["received"] == 60 == record["frames"] + record["dropped"]
    assert record["stopped_by"] == "stream lost" and not record["complete"] and record["latency"]["p95_ms"] > 0
    assert "frames: 60 received" in proc.stdout and "latency (arrival to result written)" in proc.stdout
    rows = load_mot_rows(result)
    assert set(rows[:, 0].astype(int)) <= set(range(1, 61))
    assert os.path.exists(result[:-4] + ".avi")


def test_a_dropped_stream_is_reopened_and_the_outage_reported(camera_frames, tracking_weights, tmp_path):
    """The camera cuts the connection after 15 frames and is away for 1 s; it then sends until the
    run has its 30 frames, however slow the machine."""
    out = tmp_path / "out"
    with LiveMjpegServer(camera_frames, fps=15, cut_after=15, down_for=1.0, endless=True) as server:
        proc = track(server.url, "--weights", tracking_weights, "--output", out, "--no-video",
                     "--max-frames", "30", "--reconnect", "5", "--read-timeout", "2")
    assert proc.returncode == 0, proc.stderr
    record = record_of(only_result(out))
    assert record["complete"] and record["stopped_by"] == "max-frames" and record["frames"] == 30
    [gap] = record["gaps"]
    # the time without frames is measured where they are read, after any that were still buffered
    assert gap["after_frame"] == 15 and gap["seconds"] > 0.5 and gap["missed"] >= 5
    assert "outages: 1" in proc.stdout and f"{gap['missed']} frames missed" in proc.stdout
    frames = sorted(set(load_mot_rows(only_result(out))[:, 0].astype(int)))
    assert max(frames) <= 30 + gap["missed"]  # the frames after the outage are numbered past it
    assert not [f for f in frames if 15 < f <= 15 + gap["missed"]]


def test_a_stream_that_never_answers_times_out_with_one_line(tracking_weights, tmp_path):
    with SilentServer() as server:
        proc = track(server.url, "--weights", tracking_weights, "--output", tmp_path / "out",
                     "--read-timeout", "1")
    assert_one_line_error(proc, "no answer within 1 s", "--read-timeout", command="track")
    assert not (tmp_path / "out").exists()


def test_show_without_a_display_is_one_line(pets_frames, tracking_weights, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.run([sys.executable, "-m", "fairmot", "track", str(pets_frames), "--weights",
                           str(tracking_weights), "--output", str(tmp_path / "out"), "--show", *FAST],
                          capture_output=True, text=True, timeout=120, env=env)
    assert_one_line_error(proc, "--show needs a display", command="track")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("extra, message", [
    (["--max-frames", "0"], "--max-frames must be at least 1"),
    (["--duration", "-1"], "--duration must be a positive number of seconds"),
    (["--read-timeout", "nan"], "--read-timeout must be a positive number"),
    (["--reconnect", "-1"], "--reconnect must be 0 or more"),
    (["--workers", "0"], "--workers must be at least 1"),
])
def test_live_and_batch_options_out_of_range(extra, message, pets_frames, tracking_weights, tmp_path):
    proc = run_main("track", pets_frames, "--weights", tracking_weights, "--output", tmp_path / "out", *extra)
    assert_one_line_error(proc, message, command="track")
    assert not (tmp_path / "out").exists()


def test_duration_stops_a_file_after_that_much_video(pets_frames, tracking_weights, tmp_path):
    proc = run_main("track", pets_frames, "--weights", tracking_weights, "--output", tmp_path, "--no-video",
                    "--fps", "4", "--duration", "1", *FAST)
    assert proc.returncode == 0, proc.stderr
    assert record_of(str(tmp_path / "pets8.txt"))["frames"] == 4


# many sources -------------------------------------------------------------------------------------
@pytest.fixture
def four_sources(tmp_path):
    """Two image folders (6 and 5 frames), a video (7) and a MOTChallenge-less folder of two videos,
    one of them with a name another source has."""
    frames = [os.path.join(PETS, "img1", f"{i:06d}.jpg") for i in range(1, 8)]
    copy_pets_frames(tmp_path / "src" / "walk", 6)
    copy_pets_frames(tmp_path / "src" / "plaza", 5)
    write_video(tmp_path / "src" / "clip.avi", frames)
    (tmp_path / "src" / "more").mkdir()
    write_video(tmp_path / "src" / "more" / "walk.avi", frames[:4])
    return [tmp_path / "src" / "walk", tmp_path / "src" / "plaza", tmp_path / "src" / "clip.avi",
            tmp_path / "src" / "more"]


def results_of(out):
    return {f: open(os.path.join(out, f), "rb").read() for f in sorted(os.listdir(out)) if f.endswith(".txt")}


@pytest.mark.slow
def test_workers_give_the_results_of_one_by_one(four_sources, tracking_weights, tmp_path):
    one = track(*four_sources, "--weights", tracking_weights, "--output", tmp_path / "one", "--threads", "1")
    assert one.returncode == 0, one.stderr
    two = track(*four_sources, "--weights", tracking_weights, "--output", tmp_path / "two", "--workers", "2")
    assert two.returncode == 0, two.stderr
    expected = ["clip.txt", "more_walk.txt", "plaza.txt", "src_walk.txt"]
    assert list(results_of(tmp_path / "one")) == expected
    assert results_of(tmp_path / "two") == results_of(tmp_path / "one")
    for proc in (one, two):
        assert "total: 4 sources: 4 done; 22 frames tracked" in proc.stdout
        assert all(f"{name[:-4]}: " in proc.stdout for name in expected)


@pytest.mark.slow
def test_torchrun_gives_each_process_its_share_and_each_source_once(four_sources, tracking_weights, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                           "-m", "fairmot", "track", *map(str, four_sources), "--weights", str(tracking_weights),
                           "--output", str(out), "--no-video", *FAST], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = [json.loads(open(os.path.join(out, f)).read()) for f in os.listdir(out) if f.endswith(".run.json")]
    assert sorted(r["name"] for r in records) == ["clip", "more_walk", "plaza", "src_walk"]
    assert sorted(r["rank"] for r in records) == [0, 0, 1, 1]
    assert proc.stdout.count("[rank 0 of 2] total: 2 sources: 2 done") == 1
    assert proc.stdout.count("[rank 1 of 2] total: 2 sources: 2 done") == 1


def test_a_failing_source_is_reported_and_the_others_go_on(four_sources, tracking_weights, tmp_path):
    broken = four_sources[0].parent / "broken.mp4"
    broken.write_bytes(b"not a video at all" * 100)
    out = tmp_path / "out"
    proc = run_main("track", four_sources[1], broken, four_sources[2], "--weights", tracking_weights,
                    "--output", out, "--no-video", *FAST)
    assert proc.returncode == 2
    assert "broken: failed: " in proc.stdout and "total: 3 sources: 2 done, 1 failed" in proc.stdout
    assert proc.stderr.strip().splitlines()[-1].startswith("fairmot track: error: 1 of 3 sources failed (broken:")
    assert sorted(results_of(out)) == ["clip.txt", "plaza.txt"]


@pytest.mark.slow
def test_an_interrupted_run_over_many_sources_resumes(four_sources, tracking_weights, tmp_path):
    """Ctrl-C during the second source (9th frame): the first is complete, the second's frames so
    far are kept and marked incomplete. The same command again skips the first, redoes the second
    and does the rest: the results equal those of a run that was never stopped."""
    args = ("track", *four_sources, "--weights", tracking_weights, "--no-video", *FAST)
    straight = run_fairmot(*args, "--output", tmp_path / "straight")
    assert straight.returncode == 0, straight.stderr
    out = tmp_path / "out"
    stopped = run_until_signal("SIGINT", 9, *args, "--output", out)
    assert stopped.returncode == 130, stopped.stderr
    assert "total: 2 sources: 1 done, 1 interrupted; 9 frames tracked" in stopped.stdout
    assert record_of(str(out / "src_walk.txt"))["complete"]
    assert not record_of(str(out / "plaza.txt"))["complete"] and record_of(str(out / "plaza.txt"))["frames"] == 3
    resumed = run_fairmot(*args, "--output", out)
    assert resumed.returncode == 0, resumed.stderr
    assert "src_walk: complete results from an earlier run with the same settings: skipped" in resumed.stdout
    assert "total: 4 sources: 3 done, 1 skipped" in resumed.stdout
    assert results_of(out) == results_of(tmp_path / "straight")


def test_results_from_elsewhere_stop_a_batch_before_any_work(four_sources, tracking_weights, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "plaza.txt").write_text("1,1,10,10,20,40,1,-1,-1,-1\n")
    before = snapshot(out)
    proc = run_main("track", *four_sources, "--weights", tracking_weights, "--output", out, *FAST)
    assert_one_line_error(proc, "plaza.txt already exists", "--overwrite", command="track")
    assert snapshot(out) == before


def test_a_list_of_sources_is_read_relative_to_itself(four_sources, tracking_weights, tmp_path):
    listing = four_sources[0].parent / "todo.txt"
    listing.write_text("# two of them\nplaza\nclip.avi\n")
    proc = run_main("track", listing, "--weights", tracking_weights, "--output", tmp_path / "out", "--no-video", *FAST)
    assert proc.returncode == 0, proc.stderr
    assert sorted(results_of(tmp_path / "out")) == ["clip.txt", "plaza.txt"]
    counts = {name: len(np.unique(load_mot_rows(tmp_path / "out" / name)[:, 0])) <= n
              for name, n in (("clip.txt", 7), ("plaza.txt", 5))}
    assert all(counts.values())
    shutil.rmtree(tmp_path / "out")


def test_an_output_that_cannot_be_written_stops_a_batch_at_once(four_sources, tracking_weights, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    proc = run_main("track", *four_sources, "--weights", tracking_weights, "--output", blocker / "out", *FAST)
    assert_one_line_error(proc, "a-file is a file, not a folder", command="track")


@pytest.mark.slow
def test_ctrl_c_stops_every_worker_and_a_rerun_finishes_the_archive(camera_frames, four_sources, tracking_weights,
                                                                    tmp_path):
    """Ctrl-C reaches the parent once a file source is done, while another worker tracks a camera
    that never ends: the workers stop at a frame boundary (records incomplete, nothing left
    staged), exit 130; the same files again then finish, the complete ones skipped."""
    import signal
    import time

    files = ["track", *map(str, four_sources), "--weights", str(tracking_weights), "--no-video", *FAST]
    out = tmp_path / "out"
    with LiveMjpegServer(camera_frames, fps=25, endless=True) as camera:
        proc = start_fairmot(files[0], camera.url, *files[1:], "--output", out, "--workers", "2")
        # a file done, and the camera worker past its start-up (2 s of stream read): on a loaded machine a
        # file can finish before the camera worker has tracked a frame, and a run of no frame has no record
        while not (out.exists() and any(f.endswith(".run.json") for f in os.listdir(out)) and camera.sent >= 50):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "fairmot track: interrupted by SIGINT; outputs written so far are kept"
    assert "interrupted" in stdout and not [f for f in os.listdir(out) if ".partial." in f]
    [live] = [f for f in os.listdir(out) if f.startswith("127.0.0.1_") and f.endswith(".run.json")]
    record = json.loads((out / live).read_text())
    assert not record["complete"] and record["stopped_by"] == "SIGTERM" and record["frames"] > 0
    done_before = {f for f in os.listdir(out) if f.endswith(".run.json")
                   and json.loads((out / f).read_text())["complete"]}
    assert done_before
    resumed = run_fairmot(*files, "--output", out, "--workers", "2")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.count("settings: skipped") == len(done_before)
    assert {"clip.txt", "more_walk.txt", "plaza.txt", "src_walk.txt"} <= set(results_of(out))


@pytest.mark.parametrize("signal_name, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_stop_signal_ends_a_live_run_with_its_files_closed(signal_name, code, camera_frames, tracking_weights,
                                                             tmp_path):
    import signal
    import time

    out = tmp_path / "out"
    with LiveMjpegServer(camera_frames, fps=25, endless=True) as server:  # only the signal ends the run
        proc = start_fairmot("track", server.url, "--weights", tracking_weights, "--output", out, "--realtime",
                             *FAST)
        while not (out.exists() and any(f.endswith(".partial.txt") and os.path.getsize(out / f) > 0
                                        for f in os.listdir(out))):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        proc.send_signal(getattr(signal, signal_name))
        stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == code, stderr
    last_line = stderr.strip().splitlines()[-1]
    assert last_line == f"fairmot track: interrupted by {signal_name}; outputs written so far are kept"
    record = record_of(only_result(out))
    assert record["stopped_by"] == signal_name and record["frames"] >= 1
    assert record["received"] == record["frames"] + record["dropped"]
    assert not [f for f in os.listdir(out) if ".partial." in f]
    import cv2
    video = cv2.VideoCapture(only_result(out, ".avi"))
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == record["frames"]
