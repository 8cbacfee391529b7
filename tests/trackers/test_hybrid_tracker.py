"""HybridTracker on real detections (MOT15's Faster R-CNN boxes) and on constructed streams."""
import os

import numpy as np
import pytest

from fairmot.datasets.mot_format import load_mot_rows, read_seqinfo, split_by_frame
from fairmot.evaluation import evaluate_sequence, summarize
from fairmot.trackers import DEFAULT_TRACKER, HybridTracker, JDETracker, create_tracker, filter_tracks, list_trackers
from support.data import SHARED, requires_shared

MOT15 = os.path.join(SHARED, "MOT15", "train")


def track_mot15(sequence, make_tracker):
    """Scores of ``make_tracker(frame_rate)`` on one MOT15 sequence's real detections."""
    seq_dir = os.path.join(MOT15, sequence)
    info = read_seqinfo(seq_dir)
    by_frame = split_by_frame(load_mot_rows(os.path.join(seq_dir, "det", "det.txt")))
    tracker, rows = make_tracker(info["frame_rate"]), []
    for frame in range(1, info["length"] + 1):
        det = by_frame.get(frame, np.zeros((0, 10)))
        boxes = np.c_[det[:, 2:4], det[:, 2:4] + det[:, 4:6], det[:, 6]]
        rows += [[frame, t.track_id, *t.tlwh, t.score, -1, -1, -1] for t in filter_tracks(tracker.update(boxes))]
    gt = load_mot_rows(os.path.join(seq_dir, "gt", "gt.txt"))
    acc = evaluate_sequence(gt, np.array(rows, float).reshape(-1, 10), sequence, info["length"])
    return summarize({sequence: acc}).loc[sequence]


@requires_shared
@pytest.mark.parametrize("sequence, mota, idf1", [
    ("TUD-Campus", 0.654, 0.763), ("KITTI-17", 0.644, 0.755), ("TUD-Stadtmitte", 0.734, 0.804)])
def test_real_detections_score_above_fairmots_association(sequence, mota, idf1):
    """Motion only, on a real detector's boxes: the measured scores (deterministic), and ahead of
    FairMOT's association (JDETracker in motion-only mode) on both MOTA and IDF1."""
    ours = track_mot15(sequence, lambda fps: HybridTracker(frame_rate=fps))
    fairmot = track_mot15(sequence, lambda fps: JDETracker(frame_rate=fps))
    assert ours["MOTA"] == pytest.approx(mota, abs=1e-3) and ours["IDF1"] == pytest.approx(idf1, abs=1e-3)
    assert ours["MOTA"] > fairmot["MOTA"] and ours["IDF1"] > fairmot["IDF1"]


def person(x, y, score=0.95, w=40, h=100):
    return [x, y, x + w, y + h, score]


def run(tracker, frames, embeddings=None, warps=None):
    out = []
    for i, dets in enumerate(frames):
        emb = None if embeddings is None else embeddings[i]
        warp = None if warps is None else warps[i]
        out.append(tracker.update(np.array(dets, float).reshape(-1, 5), emb, warp=warp))
    return out


def test_tracks_are_confirmed_after_min_hits_and_a_one_frame_detection_is_never_output():
    still = person(100, 100)
    frames = [[still]] * 5 + [[still, person(400, 100)]] + [[still]] * 3 + [[still, person(600, 100)]] * 3
    out = run(HybridTracker(frame_rate=30), frames)
    assert [len(o) for o in out[:5]] == [1] * 5 and all(o[0].track_id == 1 for o in out)
    assert [t.track_id for t in out[5]] == [1]           # seen once: tentative, dropped next frame
    assert [len(o) for o in out[9:]] == [1, 2, 2]         # seen twice in a row: confirmed
    assert out[10][1].track_id == 3 and np.allclose(out[10][1].tlwh, [600, 100, 40, 100], atol=1)


def test_a_lost_track_keeps_its_id_within_the_buffer_then_is_gone():
    walk = [[person(100 + 3 * i, 100)] for i in range(10)]
    gap = [[]] * 12                                       # 12 frames unseen at 10 fps: buffer is 10
    back = [[person(100 + 3 * i, 100)] for i in range(22, 25)]
    out = run(HybridTracker(frame_rate=10, track_buffer=30), walk + gap + back)
    assert out[-1][0].track_id == 2
    short_gap = [[]] * 8
    back = [[person(100 + 3 * i, 100)] for i in range(18, 21)]
    out = run(HybridTracker(frame_rate=10, track_buffer=30), walk + short_gap + back)
    assert out[-1][0].track_id == 1 and len(out[18]) == 1    # found again at once, same id


def test_low_score_detections_extend_tracks_but_never_start_them():
    frames = [[person(100, 100)]] * 4 + [[person(100, 100, score=0.3)]] * 4 + [[person(400, 100, score=0.3)]] * 4
    out = run(HybridTracker(frame_rate=30), frames)
    assert all(len(o) == 1 and o[0].track_id == 1 for o in out[:8])
    assert all(len(o) == 0 for o in out[9:])


def test_camera_motion_keeps_ids_the_boxes_alone_lose():
    """The camera pans 60 px a frame (more than a box's width): without the warp no predicted box
    overlaps its person; with it every frame matches."""
    frames = [[person(100 + 60 * i, 100), person(300 + 60 * i, 150)] for i in range(8)]
    pan = [np.array([[1, 0, 60], [0, 1, 0]], float)] * 8
    warped = run(HybridTracker(frame_rate=30), frames, warps=pan)
    assert all(sorted(t.track_id for t in o) == [1, 2] for o in warped)
    plain = run(HybridTracker(frame_rate=30), frames)
    assert max(t.track_id for o in plain for t in o) > 2


def test_appearance_keeps_two_crossing_people_apart():
    """Two people cross; at the crossing their boxes coincide. Motion alone may swap them; with
    their (distinct) embeddings the ids stay on the right people."""
    frames, embeddings = [], []
    a, b = np.eye(8)[0], np.eye(8)[1]
    for i in range(20):
        xa, xb = 100 + 10 * i, 290 - 10 * i
        frames.append([person(xa, 100), person(xb, 100)])
        embeddings.append(np.stack([a, b]))
    out = run(HybridTracker(frame_rate=30), frames, embeddings=embeddings)
    first = {round(t.tlwh[0]): t.track_id for t in out[0]}
    last = {round(t.tlwh[0]): t.track_id for t in out[-1]}
    assert first == {100: 1, 290: 2} and last[round(100 + 190)] == 1 and last[round(290 - 190)] == 2


def test_bad_input_and_options():
    tracker = HybridTracker()
    with pytest.raises(ValueError, match="one row per detection"):
        tracker.update(np.array([person(0, 0)]), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="thresholds"):
        HybridTracker(high_thresh=0.9, new_track_thresh=0.5)
    with pytest.raises(ValueError, match="frame_rate"):
        HybridTracker(frame_rate=0)
    assert tracker.update(np.zeros((0, 5))) == []
    tracker.update(np.array([person(0, 0)]))
    tracker.reset()
    assert tracker.frame_id == 0 and tracker.update(np.array([person(0, 0)]))[0].track_id == 1


def test_registry():
    assert list_trackers() == ["fairmot", "hybrid"] and DEFAULT_TRACKER in list_trackers()
    assert isinstance(create_tracker("fairmot", 25), JDETracker)
    assert create_tracker("hybrid", 10, min_hits=3).max_time_lost == 10
    with pytest.raises(ValueError, match="unknown tracker 'sort': choose one of fairmot, hybrid"):
        create_tracker("sort")
    with pytest.raises(ValueError, match="has no option 'conf_thres'"):
        create_tracker("hybrid", conf_thres=0.5)
