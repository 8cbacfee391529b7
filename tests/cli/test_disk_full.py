"""A full disk during tracking: one line, non-zero exit, and every frame written before it whole.

The disk is a small tmpfs mounted for the test (root only; skipped where mounting is refused)."""
import os
import subprocess

import pytest

from fairmot.datasets.mot_format import load_mot_rows
from support.cli import assert_one_line_error, run_fairmot
from support.data import copy_pets_frames


@pytest.fixture
def small_disk(tmp_path):
    """mount(size) -> a folder on a tmpfs of that many bytes; unmounted afterwards."""
    mounted = []

    def mount(size):
        folder = tmp_path / f"disk{len(mounted)}"
        folder.mkdir()
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.skip(f"cannot mount a small tmpfs here ({proc.stderr.strip() or 'not root'})")
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", str(folder)], capture_output=True)


@pytest.fixture(scope="module")
def pets40(shared_data, tmp_path_factory):
    return copy_pets_frames(tmp_path_factory.mktemp("pets40") / "pets40", 40)


def assert_whole_frames(path, first_missing_frame):
    text = path.read_text()
    assert text.endswith("\n") and all(len(line.split(",")) == 10 for line in text.splitlines())
    frames = set(load_mot_rows(path)[:, 0].astype(int))
    assert frames and max(frames) < first_missing_frame


@pytest.mark.slow
@pytest.mark.parametrize("video", [False, True])
def test_a_full_disk_is_one_line_and_keeps_the_frames_written(video, small_disk, pets40, tracking_weights):
    disk = small_disk("1m" if video else "4k")
    out = disk / "out"
    extra = [] if video else ["--no-video"]
    proc = run_fairmot("track", pets40, "--weights", tracking_weights, "--output", out,
                        "--input-size", "160x96", *extra)
    assert_one_line_error(proc, "cannot write the outputs of frame", "No space left on device", command="track")
    failed_at = int(proc.stderr.split("of frame ")[1].split(" ")[0])
    assert 1 < failed_at < 40
    assert_whole_frames(out / "pets40.txt", failed_at)
    assert not [f for f in os.listdir(out) if ".partial" in f]
    if video:
        import cv2
        cap = cv2.VideoCapture(str(out / "pets40.avi"))
        frames = 0
        while cap.read()[0]:
            frames += 1
        assert frames == failed_at - 1  # every frame before the failure, playable
