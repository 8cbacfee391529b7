"""Live sources over loopback HTTP (a test server in this process), real-time reading, and the
expansion of many sources into uniquely named ones."""
import os
import time

import numpy as np
import pytest

from fairmot.errors import UserError
from fairmot.inference.realtime import LatestFrameReader
from fairmot.inference.source_list import SourceSpec, expand_sources, open_spec
from fairmot.inference.sources import FrameSource, open_source
from fairmot.inference.streams import StreamSource, is_live_source, redact, stream_name
from support.data import PETS, requires_shared
from support.stream_server import FileServer, LiveMjpegServer, SilentServer, jpeg_frames
from support.video import write_video


@pytest.fixture(scope="module")
def clip_frames():
    """60 PETS09-S2L1 frames as small JPEGs (what the test camera sends)."""
    if not os.path.isdir(PETS):
        pytest.skip("shared data not found")
    return jpeg_frames([os.path.join(PETS, "img1", f"{i:06d}.jpg") for i in range(1, 61)])


# names and kinds -----------------------------------------------------------------------------
def test_live_sources_are_told_from_paths_and_named_without_credentials():
    assert is_live_source("0") and is_live_source("rtsp://cam/live") and is_live_source("https://x/y.m3u8")
    assert not is_live_source("clip.mp4") and not is_live_source("ftp://host/clip.mp4")
    assert stream_name("0") == "camera0"
    assert stream_name("rtsp://admin:secret@10.0.0.5:554/live/ch1") == "10.0.0.5_554_live_ch1"
    assert stream_name("http://127.0.0.1:8080/clip.avi") == "127.0.0.1_8080_clip"
    assert stream_name("http://cam.local/video.cgi?channel=2&res=hi") == "cam.local_video_channel_2_res_hi"
    assert redact("rtsp://admin:secret@10.0.0.5/live") == "rtsp://admin:***@10.0.0.5/live"
    assert "secret" not in stream_name("rtsp://admin:secret@10.0.0.5/live")


def test_many_sources_get_names_that_cannot_collide(tmp_path):
    frames = [os.path.join(PETS, "img1", f"{i:06d}.jpg") for i in range(1, 4)] if os.path.isdir(PETS) else []
    if not frames:
        pytest.skip("shared data not found")
    for day in ("day1", "day2"):
        (tmp_path / "archive" / day).mkdir(parents=True)
        write_video(tmp_path / "archive" / day / "cam.avi", frames)
    write_video(tmp_path / "archive" / "Cam.avi", frames)  # differs only by case from the others' stem
    (tmp_path / "archive" / "notes.md").write_text("not a video")
    listing = tmp_path / "sources.txt"
    listing.write_text("# cameras\narchive/day1/cam.avi   # listed twice: tracked once\n0\n\n"
                       "rtsp://u:p@10.0.0.5/live\n")
    specs = expand_sources([str(tmp_path / "archive"), str(listing)])
    names = [s.name for s in specs]
    assert names == ["archive_Cam", "day1_cam", "day2_cam", "camera0", "10.0.0.5_live"]
    assert [s.live for s in specs] == [False, False, False, True, True]
    assert len({n.lower() for n in names}) == len(names)
    assert expand_sources([str(tmp_path / "archive"), str(listing)]) == specs  # the same every time


@pytest.mark.parametrize("items, message", [
    (["missing.mp4"], "source missing.mp4 not found"),
    (["ftp://host/clip.mp4"], "ftp:// is not a stream address"),
    ([""], "an empty source name"),
])
def test_bad_source_names_are_one_clear_error(items, message, tmp_path):
    with pytest.raises(UserError, match=message):
        expand_sources(items)


def test_a_list_or_folder_with_nothing_to_track_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="holds no images, no videos"):
        expand_sources([str(tmp_path / "empty")])
    (tmp_path / "list.txt").write_text("# nothing\n\n")
    with pytest.raises(UserError, match="names no source"):
        expand_sources([str(tmp_path / "list.txt")])
    (tmp_path / "nested.txt").write_text("list.txt\n")
    with pytest.raises(UserError, match="lists cannot name other lists"):
        expand_sources([str(tmp_path / "nested.txt")])
    (tmp_path / "typo.txt").write_text("no-such-video.mp4\n")
    with pytest.raises(UserError, match="typo.txt: source .*no-such-video.mp4 not found"):
        expand_sources([str(tmp_path / "typo.txt")])


# streams over HTTP -----------------------------------------------------------------------------
@requires_shared
def test_a_live_http_stream_is_read_frame_by_frame(clip_frames):
    with LiveMjpegServer(clip_frames[:30], fps=50) as server, StreamSource(server.url, read_timeout=2,
                                                                              reconnect=0) as source:
        assert (source.size, source.length, source.name) == ((320, 240), 0, server.url.split("//")[1]
                                                             .replace(":", "_").replace("/video.mjpg", "_video"))
        indices = [index for index, frame in source]
    assert indices == list(range(1, 31))
    assert source.lost is not None and "stopped sending frames after frame 30" in source.lost
    assert source.gaps == []


@requires_shared
def test_a_dropped_stream_is_reopened_and_the_gap_counted(clip_frames):
    """The camera cuts the connection after 15 frames and answers 503 for 1 s: the source reopens
    it, joins the live stream where it is now, and counts the frames sent meanwhile as missed.
    (The camera sends until the test has 30 frames, however long the machine takes.)"""
    with LiveMjpegServer(clip_frames, fps=25, cut_after=15, down_for=1.0, endless=True) as server, \
            StreamSource(server.url, read_timeout=2, reconnect=4) as source:
        indices, missed = [], 0
        for index, _ in source:
            indices.append(index)
            missed += source.pop_missed()
            if len(indices) == 30:
                break
    assert server.connections >= 2 and len(source.gaps) == 1
    gap = source.gaps[0]
    assert gap.after_frame == 15 and gap.seconds >= 1.0 and gap.missed == missed
    # the indices jump over the outage by as many frames as it lasted at 25 fps
    assert indices[:15] == list(range(1, 16)) and indices[15] == 16 + gap.missed
    assert abs(gap.missed - (gap.seconds * 25 - 1)) <= 1
    assert indices == sorted(set(indices))


def test_a_server_that_never_answers_times_out_with_one_line():
    with SilentServer() as server, \
            pytest.raises(UserError, match=r"cannot open http://127.0.0.1:\d+/stream.mjpg: no answer within 1 s"):
        StreamSource(server.url, read_timeout=1)


def test_a_missing_camera_is_one_line():
    with pytest.raises(UserError, match="cannot open camera 63: no such camera"):
        StreamSource("63", read_timeout=1)


@requires_shared
def test_a_video_served_over_http_ends_with_its_data(tmp_path):
    frames = [os.path.join(PETS, "img1", f"{i:06d}.jpg") for i in range(1, 11)]
    clip = write_video(tmp_path / "clip.avi", frames)
    with FileServer(clip) as server:
        with StreamSource(server.url, read_timeout=2, reconnect=3) as source:
            assert source.length == 10
            over_http = [frame for _, frame in source]
    with open_source(str(clip)) as local:
        from_disk = [frame for _, frame in local]
    assert len(over_http) == 10 and all(np.array_equal(a, b) for a, b in zip(over_http, from_disk))
    assert source.lost is None and source.gaps == []


# real-time reading ------------------------------------------------------------------------------
class _CountingSource(FrameSource):
    """``count`` tiny frames, as fast as they are asked for."""

    def __init__(self, count, fps=100.0):
        super().__init__()
        self.name, self.fps, self.size, self.length, self.count = "counting", fps, (8, 8), count, count

    def __iter__(self):
        for index in range(1, self.count + 1):
            yield index, np.full((8, 8, 3), index % 256, np.uint8)


def test_a_slow_consumer_gets_the_newest_frames_and_the_counts_add_up():
    """A 100 fps file played in real time to a consumer that needs 50 ms a frame: about 4 of 5
    frames are dropped, the ones handed out are the newest, and received = processed + dropped."""
    reader = LatestFrameReader(_CountingSource(60))
    seen = []
    with reader:
        for index, frame in reader:
            assert frame[0, 0, 0] == index % 256
            seen.append(index)
            time.sleep(0.05)
    assert reader.received == 60 and reader.processed == len(seen)
    assert reader.processed + reader.dropped == reader.received
    assert reader.dropped > 0 and seen == sorted(set(seen)) and seen[-1] == 60


def test_frames_come_in_order_once_each_and_the_last_one_always():
    """Whatever the machine's speed: no frame twice, none out of order, the newest at the end."""
    reader = LatestFrameReader(_CountingSource(20, fps=50.0))
    with reader:
        seen = [index for index, _ in reader]
    assert seen == sorted(set(seen)) and seen[-1] == 20
    assert reader.received == 20 == len(seen) + reader.dropped


def test_an_error_in_the_reading_thread_reaches_the_consumer():
    class Broken(_CountingSource):
        def __iter__(self):
            yield 1, np.zeros((8, 8, 3), np.uint8)
            raise UserError("disk gone")

    reader = LatestFrameReader(Broken(5))
    with pytest.raises(UserError, match="disk gone"), reader:
        for _ in reader:
            pass


@requires_shared
def test_open_spec_names_the_source_and_wraps_it_for_real_time(tmp_path):
    spec = SourceSpec(os.path.join(PETS), "pets-renamed")
    with open_spec(spec, realtime=True) as source:
        assert isinstance(source, LatestFrameReader) and source.name == "pets-renamed" and source.length == 0
