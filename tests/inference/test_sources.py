"""Frame sources, drawing and video writing on real PETS09 frames and videos written from them."""
import logging
import os
import shutil

import cv2
import numpy as np
import pytest

from fairmot.errors import UserError
from fairmot.inference.drawing import TrackDrawer, id_color
from fairmot.inference.sources import ImageSequenceSource, VideoSource, open_source
from fairmot.inference.video_writer import VideoWriter
from support.data import requires_shared
from support.video import avi_frame_chunks, corrupt_avi_frame, write_video

pytestmark = requires_shared


@pytest.fixture(scope="module")
def pets_video(pets_frames, tmp_path_factory):
    return write_video(tmp_path_factory.mktemp("video") / "pets8.avi", sorted(pets_frames.iterdir()))


def test_image_folder_sorted_by_number(pets_frames, tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, src in enumerate(sorted(pets_frames.iterdir())[:3], 1):
        shutil.copy(src, folder / f"img{[9, 10, 1][i - 1]}.jpg")  # img1, img9, img10 in frame order
    source = open_source(folder)
    assert (source.name, source.fps, source.size, source.length) == ("frames", 30.0, (480, 360), 3)
    frames = list(source)
    assert [i for i, _ in frames] == [1, 2, 3]
    assert np.array_equal(frames[0][1], cv2.imread(str(folder / "img1.jpg")))
    assert np.array_equal(frames[2][1], cv2.imread(str(folder / "img10.jpg")))


def test_mot_sequence_uses_seqinfo_and_start_frame(shared_data):
    source = open_source(os.path.join(shared_data, "PETS09-S2L1"), start_frame=794)
    assert (source.name, source.fps, source.size, source.length) == ("PETS09-S2L1", 10.0, (480, 360), 2)
    assert [i for i, _ in source] == [794, 795]
    assert open_source(os.path.join(shared_data, "PETS09-S2L1"), fps=25).fps == 25.0


def test_unreadable_image_is_skipped_with_a_warning(pets_frames, tmp_path, caplog):
    folder = tmp_path / "frames"
    shutil.copytree(pets_frames, folder)
    (folder / "000004.jpg").write_bytes(b"not a jpeg")
    with caplog.at_level(logging.WARNING):
        source = open_source(folder)
        indices = [i for i, _ in source]
    assert indices == [1, 2, 3, 5, 6, 7, 8] and source.skipped == 1
    assert "frame 4" in caplog.text and "000004.jpg" in caplog.text


def test_video_source(pets_video, pets_frames):
    source = open_source(pets_video)
    assert isinstance(source, VideoSource)
    assert (source.name, source.fps, source.size, source.length) == ("pets8", 10.0, (480, 360), 8)
    frames = list(source)
    assert [i for i, _ in frames] == list(range(1, 9))
    # MJPG is lossy: same picture, small differences
    original = cv2.imread(str(pets_frames / "000005.jpg")).astype(np.int16)
    assert np.abs(frames[4][1].astype(np.int16) - original).mean() < 3
    assert [i for i, _ in open_source(pets_video, start_frame=7)] == [7, 8]


def test_corrupt_frame_in_the_middle_of_a_video_is_skipped(pets_video, tmp_path, caplog):
    damaged = tmp_path / "damaged.avi"
    shutil.copy(pets_video, damaged)
    corrupt_avi_frame(damaged, 4)
    with caplog.at_level(logging.WARNING):
        source = open_source(damaged)
        indices = [i for i, _ in source]
    assert indices == [1, 2, 3, 5, 6, 7, 8] and source.skipped == 1
    assert "frame 4" in caplog.text and "corrupt" in caplog.text


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing.mp4", "not found"),
    (lambda d: (d / "notes.mp4").write_text("not a video\n") and d / "notes.mp4", "is not a video"),
    (lambda d: (d / "empty").mkdir() or d / "empty", "holds no images"),
])
def test_bad_sources_are_user_errors(tmp_path, make, message):
    with pytest.raises(UserError, match=message):
        open_source(make(tmp_path))


def test_image_source_with_no_readable_image(tmp_path):
    (tmp_path / "a.jpg").write_bytes(b"junk")
    with pytest.raises(UserError, match="no readable image"):
        ImageSequenceSource([str(tmp_path / "a.jpg")], "a")


class _Track:
    def __init__(self, track_id, tlwh):
        self.track_id, self.tlwh = track_id, np.asarray(tlwh, dtype=float)


def test_id_colours_are_stable_and_distinct():
    assert id_color(7) == id_color(7)
    colours = [np.array(id_color(i), dtype=float) for i in range(1, 21)]
    closest = min(np.abs(a - b).max() for i, a in enumerate(colours) for b in colours[i + 1:])
    assert closest >= 20  # no two of the first 20 ids look alike


def test_drawing_puts_the_id_colour_inside_the_box(pets_frames):
    frame = cv2.imread(str(pets_frames / "000001.jpg"))
    before = frame.copy()
    TrackDrawer((480, 360)).draw(frame, [_Track(3, (100, 100, 40, 90))], frame_index=1)
    changed = np.any(frame != before, axis=2)
    assert changed[100:191, 100].all() and changed[100, 100:141].all()  # left and top edges
    assert not changed[150:180, 110:130].any()  # the inside is untouched
    assert tuple(frame[150, 100]) == id_color(3)


def test_video_writer_size_fps_and_resize(tmp_path, pets_frames):
    frame = cv2.imread(str(pets_frames / "000001.jpg"))
    for ext in ("avi", "mp4"):
        path = str(tmp_path / f"out.{ext}")
        with VideoWriter(path, 12.5, (480, 360)) as writer:
            writer.write(frame)
            writer.write(cv2.resize(frame, (240, 180)))  # resized back to 480x360
        cap = cv2.VideoCapture(path)
        assert (cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (480, 360)
        assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(12.5)
        assert sum(1 for _ in iter(lambda cap=cap: cap.read()[0] or None, None)) == 2
    with pytest.raises(UserError, match="unsupported extension"):
        VideoWriter(str(tmp_path / "out.gif"), 10, (480, 360))


def test_frame_range_keeps_the_source_frame_numbers(shared_data):
    source = open_source(f"{shared_data}/PETS09-S2L1", start_frame=401, end_frame=404)
    assert (source.length, source.fps, source.size) == (4, 10.0, (480, 360))
    assert [index for index, _ in source] == [401, 402, 403, 404]
    with pytest.raises(UserError, match="empty"):
        open_source(f"{shared_data}/PETS09-S2L1", start_frame=10, end_frame=9)


def test_damaged_data_that_is_still_used_is_reported(pets_frames, tmp_path):
    folder = tmp_path / "frames"
    shutil.copytree(pets_frames, folder)
    data = (folder / "000004.jpg").read_bytes()
    (folder / "000004.jpg").write_bytes(data[: len(data) // 2])  # cut short, as an interrupted copy
    source = open_source(folder)
    assert [i for i, _ in source] == list(range(1, 9))  # still decoded (part of it grey) and tracked
    assert len(source.damage) == 1 and "000004.jpg is truncated" in source.damage[0]


def test_a_video_shorter_than_its_header_says_is_reported(pets_frames, tmp_path):
    video = write_video(tmp_path / "walk.avi", sorted(pets_frames.iterdir()))
    chunks = avi_frame_chunks(video)
    data = video.read_bytes()
    (tmp_path / "cut.avi").write_bytes(data[: chunks[5][0] - 8])  # frames 6-8 lost, header still says 8
    source = open_source(tmp_path / "cut.avi")
    assert source.header_length == 8
    assert [i for i, _ in source] == [1, 2, 3, 4, 5]
    assert source.damage == [f"{tmp_path / 'cut.avi'} ended after frame 5 although its header announces 8 frames"]
