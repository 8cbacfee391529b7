"""Read-ahead of frames in a thread: the same frames in the same order, each with its prepared input;
errors and counts arrive where they would without it; the thread never outlives the loop."""
import shutil
import threading

import numpy as np
import pytest

from fairmot.datasets.mot_format import MotResultWriter, load_mot_rows
from fairmot.errors import UserError
from fairmot.inference.pipeline import track_source, track_to_folder
from fairmot.inference.prefetch import PrefetchReader
from fairmot.inference.preprocess import frame_to_input
from fairmot.inference.sources import FrameSource, open_source
from fairmot.inference.torch_detector import Detector
from fairmot.trackers import DEFAULT_TRACKER, create_tracker
from support.data import requires_shared

pytestmark = requires_shared


def _prefetch_threads():
    return [t for t in threading.enumerate() if t.name == "fairmot-prefetch"]


def _letterbox(frame):
    return frame_to_input(frame, 160, 96)


def test_same_frames_in_order_with_their_prepared_inputs(pets_frames):
    expected = list(open_source(pets_frames))
    reader = PrefetchReader(open_source(pets_frames), _letterbox, depth=2)
    got = []
    for index, frame in reader:
        blob, box = reader.last_prepared
        want_blob, want_box = _letterbox(frame)
        np.testing.assert_array_equal(blob, want_blob)
        assert box == want_box
        got.append((index, frame))
    assert [i for i, _ in got] == [i for i, _ in expected] == list(range(1, 9))
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(got, expected))
    assert reader.length == 8 and reader.name == "pets8"
    assert not _prefetch_threads()


class _FailsAtThird(FrameSource):
    name, length = "failing", 5

    def __iter__(self):
        for index in range(1, 6):
            if index == 3:
                raise UserError("frame 3 cannot be read")
            yield index, np.zeros((4, 4, 3), np.uint8)


def test_a_source_error_reaches_the_consumer_after_the_frames_before_it():
    seen = []
    with pytest.raises(UserError, match="frame 3 cannot be read"):
        for index, _ in PrefetchReader(_FailsAtThird()):
            seen.append(index)
    assert seen == [1, 2]
    assert not _prefetch_threads()


def test_skipped_counts_only_frames_up_to_the_one_handed_out(pets_frames, tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    for src in sorted(pets_frames.iterdir()):
        shutil.copy(src, folder / src.name)
    (folder / sorted(pets_frames.iterdir())[4].name).write_bytes(b"not an image")  # the 5th frame

    reader = PrefetchReader(open_source(folder), depth=3)
    for index, _ in reader:
        if index == 3:
            break
    reader.stop()  # the reader may have read past the broken frame meanwhile: it is not counted
    assert reader.skipped == 0 and not _prefetch_threads()

    reader = PrefetchReader(open_source(folder), depth=3)
    assert [i for i, _ in reader] == [1, 2, 3, 4, 6, 7, 8]
    assert reader.skipped == 1


@pytest.fixture(scope="module")
def detector(tracking_weights):
    return Detector(str(tracking_weights), input_size="160x96", device="cpu")


def test_tracking_results_do_not_depend_on_read_ahead(pets_frames, detector, tmp_path):
    with_prefetch = track_to_folder(open_source(pets_frames, fps=10), detector, str(tmp_path / "a"),
                                    video_format=None, progress=False)
    summary = track_source(open_source(pets_frames, fps=10), detector, create_tracker(DEFAULT_TRACKER, 10),
                           progress=False, max_frames=5)  # stops with frames still queued
    assert summary.frames == 5 and summary.stopped_by == "max-frames" and not _prefetch_threads()

    path = tmp_path / "b.txt"
    with MotResultWriter(str(path)) as results:
        without = track_source(open_source(pets_frames, fps=10), detector, create_tracker(DEFAULT_TRACKER, 10),
                               results, progress=False, prefetch=False)
    assert with_prefetch.frames == without.frames == 8
    np.testing.assert_array_equal(load_mot_rows(with_prefetch.result_path), load_mot_rows(str(path)))


def test_a_detector_that_says_no_is_not_read_ahead(pets_frames, detector, monkeypatch):
    import fairmot.inference.pipeline as pipeline
    from fairmot.inference.onnx_detector import OnnxDetector
    assert OnnxDetector.read_ahead is False and Detector.read_ahead is True

    def no_reader(*args, **kwargs):
        raise AssertionError("read ahead although the detector said no")
    monkeypatch.setattr(pipeline, "PrefetchReader", no_reader)
    monkeypatch.setattr(detector, "read_ahead", False)
    summary = track_source(open_source(pets_frames, fps=10), detector, create_tracker(DEFAULT_TRACKER, 10),
                           progress=False)
    assert summary.frames == 8
