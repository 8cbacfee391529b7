"""JDETracker behaviour on real MOT17 tracks fed through the simulated detector."""
import os
import warnings

import numpy as np
import pytest

from fairmot.datasets.simulated_detector import DetectorNoise, pedestrian_rows, simulated_sequence
from fairmot.errors import UserError
from fairmot.trackers import JDETracker, Track, TrackState, filter_tracks
from fairmot.trackers.matching import iou_distance

MOT17_09 = os.path.join("MOT17", "train", "MOT17-09-FRCNN")  # under ../shared/data
# every person detected with score 0.9 (jitter and embedding noise stay)
CLEAN = DetectorNoise(miss_rate=0, occluded_miss_rate=0, false_positives=0, score_base=0.9,
                      score_visibility=0, score_std=0)


@pytest.fixture(scope="module")
def noisy(shared_data):
    return simulated_sequence(os.path.join(shared_data, MOT17_09), seed=0, max_frames=300)


@pytest.fixture(scope="module")
def clean(shared_data):
    return simulated_sequence(os.path.join(shared_data, MOT17_09), noise=CLEAN, seed=0, max_frames=300)


def gt_boxes(seq, frame):
    """{gt id: tlbr} of the pedestrians in ``frame``."""
    rows = pedestrian_rows(seq.gt_rows)
    rows = rows[rows[:, 0] == frame]
    return {int(r[1]): np.r_[r[2:4], r[2:4] + r[4:6]] for r in rows}


def track_of(tracks, box):
    """Id of the output track that overlaps ``box`` (IoU > 0.5), or None."""
    if not tracks:
        return None
    cost = iou_distance(np.array([t.tlbr for t in tracks]), box[None])[:, 0]
    best = int(np.argmin(cost))
    return tracks[best].track_id if cost[best] < 0.5 else None


def run(tracker, frames, drop=None, use_embeddings=True):
    """Outputs per frame; ``drop(frame, gt_ids)`` -> mask of detections to remove."""
    outputs = []
    for frame, (dets, emb, ids) in enumerate(frames, 1):
        if drop is not None:
            keep = ~drop(frame, ids)
            dets, emb = dets[keep], emb[keep]
        outputs.append(tracker.update(dets, emb if use_embeddings else None))
    return outputs


def id_purity(seq, outputs):
    """Per output id: (frames output, share of them on its most frequent ground-truth person)."""
    hits = {}
    for frame, tracks in enumerate(outputs, 1):
        gts = gt_boxes(seq, frame)
        gt_ids, boxes = list(gts), np.array(list(gts.values()))
        for t in tracks:
            cost = iou_distance(t.tlbr[None], boxes)[0]
            person = gt_ids[int(np.argmin(cost))] if cost.min() < 0.5 else -1
            hits.setdefault(t.track_id, []).append(person)
    return {tid: (len(p), np.max(np.unique(p, return_counts=True)[1]) / len(p))
            for tid, p in hits.items()}


def test_tracks_real_people_with_stable_ids(noisy):
    outputs = run(JDETracker(frame_rate=noisy.frame_rate), noisy.frames)
    assert all(isinstance(t, Track) and t.is_activated and t.state == TrackState.TRACKED
               for tracks in outputs for t in tracks)
    long_tracks = [share for frames, share in id_purity(noisy, outputs).values() if frames >= 30]
    assert len(long_tracks) >= 8
    assert np.mean(long_tracks) > 0.95
    # on frame 1 every confident detection starts a confirmed track, ids from 1
    first = outputs[0]
    assert sorted(t.track_id for t in first) == list(range(1, len(first) + 1))
    assert len(first) == np.sum(noisy.frames[0][0][:, 4] > 0.4)


def test_new_tracks_are_confirmed_on_their_second_frame(clean):
    frames = clean.frames[:3]
    tracker = JDETracker()
    tracker.update(*frames[0][:2])
    # a person appearing on frame 2 is output from frame 3 on
    box = np.array([[1500, 100, 1540, 200, 0.9]], np.float32)
    emb = np.eye(1, 128, 5, dtype=np.float32)
    out2 = tracker.update(np.r_[frames[1][0], box], np.r_[frames[1][1], emb])
    newcomer = [t for t in tracker.tracked_tracks if not t.is_activated]
    assert len(newcomer) == 1 and track_of(out2, box[0, :4]) is None
    out3 = tracker.update(np.r_[frames[2][0], box], np.r_[frames[2][1], emb])
    assert track_of(out3, box[0, :4]) == newcomer[0].track_id


@pytest.mark.parametrize("use_embeddings", [True, False])
def test_person_occluded_for_10_frames_keeps_id(clean, use_embeddings):
    person, gone = 22, range(100, 110)          # visible on frames 1-392 of MOT17-09
    tracker = JDETracker(frame_rate=clean.frame_rate)
    outputs = run(tracker, clean.frames[:125], use_embeddings=use_embeddings,
                  drop=lambda frame, ids: (ids == person) & (frame in gone))
    before = track_of(outputs[98], gt_boxes(clean, 99)[person])
    assert before is not None
    assert all(track_of(outputs[f - 1], gt_boxes(clean, f)[person]) is None for f in gone)
    after = [track_of(outputs[f - 1], gt_boxes(clean, f)[person]) for f in range(111, 126)]
    assert after == [before] * len(after)


@pytest.mark.parametrize("frame_rate,buffer_frames", [(30, 30), (10, 10)])
def test_track_unmatched_longer_than_buffer_is_removed(clean, frame_rate, buffer_frames):
    person, last_seen = 22, 50
    tracker = JDETracker(frame_rate=frame_rate)
    hide = lambda frame, ids: (ids == person) & (frame > last_seen)  # noqa: E731
    outputs = run(tracker, clean.frames[:last_seen], drop=hide)
    track_id = track_of(outputs[-1], gt_boxes(clean, last_seen)[person])
    lost_at = {}
    for frame in range(last_seen + 1, last_seen + buffer_frames + 3):
        dets, emb, ids = clean.frames[frame - 1]
        keep = ~hide(frame, ids)
        tracker.update(dets[keep], emb[keep])
        states = {t.track_id: t.state for t in tracker.lost_tracks}
        lost_at[frame] = states.get(track_id)
    assert lost_at[last_seen + 1] == TrackState.LOST
    assert lost_at[last_seen + buffer_frames] == TrackState.LOST
    # past the buffer it is removed (FairMOT keeps it one more frame in the lost list)
    assert lost_at[last_seen + buffer_frames + 1] == TrackState.REMOVED
    assert lost_at[last_seen + buffer_frames + 2] is None
    # when the person comes back, it is a new track
    dets, emb, _ = clean.frames[last_seen + buffer_frames + 2]
    tracker.update(dets, emb)
    out = tracker.update(*clean.frames[last_seen + buffer_frames + 3][:2])
    back = track_of(out, gt_boxes(clean, last_seen + buffer_frames + 4)[person])
    assert back is not None and back != track_id


def test_two_trackers_do_not_share_ids(clean):
    a, b = JDETracker(), JDETracker()
    ids_a, ids_b = set(), set()
    for dets, emb, ids in clean.frames[:20]:
        three = np.isin(ids, [21, 22, 23])
        ids_a |= {t.track_id for t in a.update(dets, emb)}
        ids_b |= {t.track_id for t in b.update(dets[three], emb[three])}
    assert min(ids_a) == 1 and min(ids_b) == 1
    assert ids_b == {1, 2, 3}
    a.reset()
    assert a.frame_id == 0 and not a.tracked_tracks
    assert min(t.track_id for t in a.update(*clean.frames[0][:2])) == 1


def test_byte_keeps_tracks_through_low_scores(clean):
    person, dim = 22, range(60, 80)     # the detector's score drops to 0.3 for 20 frames

    def frames():
        for frame, (dets, emb, ids) in enumerate(clean.frames[:90], 1):
            dets = dets.copy()
            if frame in dim:
                dets[ids == person, 4] = 0.3
            yield dets, emb

    def ids_on_person(tracker):
        out = [tracker.update(d, e) for d, e in frames()]
        return [track_of(out[f - 1], gt_boxes(clean, f)[person]) for f in range(55, 90)]

    plain, byte = ids_on_person(JDETracker()), ids_on_person(JDETracker(use_byte=True))
    assert plain[:5] == byte[:5] and None not in byte[:5]
    assert set(plain[5:25]) == {None}               # without BYTE: lost while the score is low
    assert byte == [byte[0]] * len(byte)            # with BYTE: kept, same id throughout
    assert plain[-5:] == [plain[0]] * 5             # re-found by appearance afterwards


def test_motion_only_mode_tracks_without_embeddings(noisy):
    outputs = run(JDETracker(), noisy.frames, use_embeddings=False)
    shares = [share for _, share in id_purity(noisy, outputs).values()]
    assert len(shares) >= 10 and np.median(shares) > 0.95


def test_input_checks_and_mode():
    tracker = JDETracker()
    with pytest.raises(UserError, match=r"\(N, 5\)"):
        tracker.update(np.zeros((3, 4)))
    with pytest.raises(UserError, match="one row per detection"):
        tracker.update(np.zeros((3, 5)), np.ones((2, 8)))
    dets = np.array([[0, 0, 10, 20, 0.9]])
    tracker.update(dets, np.ones((1, 8)))
    tracker.update(np.zeros((0, 5)))           # an empty frame is fine in either mode
    with pytest.raises(UserError, match="embeddings"):
        tracker.update(dets)


def test_output_filter():
    t = [Track(1, np.array([0.0, 0, 10, 20]), 0.9, TrackState.TRACKED, True, 1, 1),
         Track(2, np.array([0.0, 0, 5, 10]), 0.9, TrackState.TRACKED, True, 1, 1),    # area 50
         Track(3, np.array([0.0, 0, 40, 20]), 0.9, TrackState.TRACKED, True, 1, 1)]   # w/h 2
    assert [x.track_id for x in filter_tracks(t)] == [1]
    assert [x.track_id for x in filter_tracks(t, min_box_area=0, max_aspect_ratio=2)] == [1, 2, 3]
    assert [x.track_id for x in filter_tracks(t, max_aspect_ratio=None)] == [1, 3]   # any shape


def test_runs_on_numpy_2_without_deprecated_calls(noisy):
    assert int(np.__version__.split(".")[0]) >= 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(JDETracker(use_byte=True), noisy.frames[:50])



@pytest.mark.parametrize("use_embeddings", [False, True])
def test_camera_motion_warp(noisy, use_embeddings):
    """The identity warp changes nothing (bit for bit, on 300 real-track frames); a camera that
    pans 60 px a frame loses every id without the warp and keeps them with it."""
    def ids(tracker, frames, warps):
        out = []
        for (dets, emb, _), warp in zip(frames, warps):
            tracks = tracker.update(dets, emb if use_embeddings else None, warp=warp)
            out.append([(t.track_id, *t.tlwh) for t in tracks])
        return out
    still = [None] * len(noisy.frames)
    assert ids(JDETracker(), noisy.frames, still) == ids(JDETracker(), noisy.frames, [np.eye(2, 3)] * len(still))

    def person(x, y):
        return [x, y, x + 40, y + 100, 0.9]
    frames = [(np.array([person(100 + 60 * i, 100), person(300 + 60 * i, 150)]), np.eye(2, 8), None)
              for i in range(8)]
    pan = [np.array([[1, 0, 60], [0, 1, 0]], float)] * 8
    warped = ids(JDETracker(), frames, pan)
    assert all(sorted(t[0] for t in frame) == [1, 2] for frame in warped)
    plain = ids(JDETracker(), frames, [None] * 8)
    assert not any(t[0] in (1, 2) for frame in plain[1:] for t in frame)
