"""The tracking loop in-process: it adds nothing to detector -> tracker -> output filter, and its
summary accounts for the frames and the time."""
import numpy as np
import pytest

from fairmot.datasets.mot_format import load_mot_rows
from fairmot.inference.pipeline import STAGES, TrackingSummary, detection_threshold, track_to_folder
from fairmot.inference.sources import open_source
from fairmot.inference.torch_detector import Detector
from fairmot.trackers import DEFAULT_TRACKER, JDETracker, create_tracker, filter_tracks


@pytest.fixture(scope="module")
def detector(tracking_weights):
    return Detector(str(tracking_weights), input_size="160x96", device="cpu")


def test_results_are_those_of_the_detector_and_tracker(pets_frames, detector, tmp_path):
    summary = track_to_folder(open_source(pets_frames, fps=10), detector, str(tmp_path), progress=False)
    written = load_mot_rows(summary.result_path)

    tracker = create_tracker(DEFAULT_TRACKER, frame_rate=10)
    detector.conf_thres = tracker.min_score
    expected = []
    for index, frame in open_source(pets_frames):
        for t in filter_tracks(tracker.update(*detector(frame))):
            expected.append([index, t.track_id, *t.tlwh, t.score])
    expected = np.array(expected)
    assert len(written) == len(expected) > 8
    np.testing.assert_array_equal(written[:, :2], expected[:, :2])
    np.testing.assert_allclose(written[:, 2:7], expected[:, 2:], atol=0.006)  # rounded to 2/4 decimals

    assert (summary.frames, summary.skipped, summary.interrupted) == (8, 0, False)
    assert summary.tracks == len(np.unique(expected[:, 1]))
    assert set(summary.seconds) == set(STAGES)
    assert summary.seconds["camera motion"] == 0          # not asked for
    assert all(v > 0 for stage, v in summary.seconds.items() if stage != "camera motion")
    assert sum(summary.seconds.values()) <= summary.wall
    assert summary.fps == pytest.approx(8 / summary.wall)
    assert summary.video_path.endswith("pets8.avi")


def test_byte_lowers_the_detector_threshold():
    assert detection_threshold(JDETracker(conf_thres=0.4)) == 0.4
    assert detection_threshold(JDETracker(conf_thres=0.4, use_byte=True)) == 0.2
    assert detection_threshold(JDETracker(conf_thres=0.1, use_byte=True)) == 0.1


def test_summary_text():
    summary = TrackingSummary(name="seq", frames=50, skipped=2, track_ids={1, 2, 3}, wall=10.0,
                              seconds=dict(zip(STAGES, [0.5, 0.2, 8.0, 0.3, 0.0, 0.4, 0.6])))
    text = summary.format()
    assert text.splitlines()[0] == "seq: 50 frames (2 skipped) in 10.0 s, 5.00 frames/s, 3 tracks"
    assert "network 80.0%" in text and "other 0.0%" in text and "outside the network 20.0%" in text
    assert "camera motion" not in text                     # shown only when it ran
    summary.seconds["camera motion"], summary.seconds["association"] = 0.1, 0.3
    assert "| camera motion 1.0% | association 3.0% |" in summary.format()


class _SourceWithOutage:
    """The PETS frames of ``source`` with an outage of ``missed`` frames after frame 4, as a
    reconnected stream reports it: the frame numbers jump and ``pop_missed`` says by how much."""

    live = True

    def __init__(self, source, missed):
        self.source, self.missed = source, missed
        self.name, self.fps, self.size, self.length, self.skipped = source.name, source.fps, source.size, 0, 0
        self._pending = 0

    def __iter__(self):
        for index, frame in self.source:
            if index == 5:
                self._pending = self.missed
            yield (index if index < 5 else index + self.missed), frame

    def pop_missed(self):
        missed, self._pending = self._pending, 0
        return missed


def test_an_outage_steps_the_tracker_through_the_missed_frames(pets_frames, detector):
    """A tracker run through 4 frames, 6 empty ones and 4 more gives exactly the tracks of the
    pipeline on a stream that missed those 6 frames: the outage is missed frames, not a jump."""
    from fairmot.inference.pipeline import track_source

    tracker = create_tracker(DEFAULT_TRACKER, frame_rate=10)
    detector.conf_thres = tracker.min_score
    expected = []
    for index, frame in open_source(pets_frames):
        if index == 5:
            for _ in range(6):
                tracker.update(np.zeros((0, 5), np.float32), None)
        for t in filter_tracks(tracker.update(*detector(frame))):
            expected.append((index if index < 5 else index + 6, t.track_id, *np.round(t.tlwh, 2)))

    class Rows:
        def __init__(self):
            self.rows = []

        def write_frame(self, index, tracks):
            self.rows.extend((index, i, *np.round(tlwh, 2)) for i, tlwh, *_ in tracks)

    written = Rows()
    stream = _SourceWithOutage(open_source(pets_frames), missed=6)
    stepped = create_tracker(DEFAULT_TRACKER, frame_rate=10)
    summary = track_source(stream, detector, stepped, results=written, progress=False)
    assert summary.frames == 8 and summary.live and len(summary.latencies) == 8
    assert stepped.frame_id == 8 + 6  # every missed frame was a tracker step
    assert written.rows == expected and len(expected) > 8
