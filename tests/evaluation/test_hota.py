"""HOTA: hand-made cases whose scores are known, and TrackEval's own numbers on real MOT15 data."""
import os

import numpy as np
import pytest

from fairmot.datasets.mot_format import load_mot_rows, split_by_frame
from fairmot.evaluation.boxes import box_iou
from fairmot.evaluation.hota import ALPHAS, HOTA_FIELDS, combine, frames_from_ids, hota_sequence
from fairmot.trackers import create_tracker
from support.data import SHARED, requires_shared


def one_object(result_ids, iou=1.0):
    """One ground-truth object over len(result_ids) frames, tracked with those ids at that IoU."""
    return [(np.array([0]), np.array([r]), np.array([[iou]])) for r in result_ids]


def test_an_id_switch_halves_association_and_nothing_else():
    scores = hota_sequence(frames_from_ids(*zip(*one_object([7, 7, 9, 9])))).summary()
    assert scores["DetA"] == scores["DetRe"] == scores["DetPr"] == scores["LocA"] == 1.0
    assert scores["AssA"] == pytest.approx(0.5) and scores["AssRe"] == pytest.approx(0.5)
    assert scores["AssPr"] == pytest.approx(1.0)
    assert scores["HOTA"] == pytest.approx(np.sqrt(0.5))


def test_localisation_decides_at_which_alphas_a_match_counts():
    per_alpha = hota_sequence(one_object([0, 0, 0], iou=0.5)).scores()
    assert list(per_alpha["DetA"]) == [1.0 if a <= 0.5 + 1e-9 else 0.0 for a in ALPHAS]
    assert hota_sequence(one_object([0, 0, 0], iou=0.5)).summary()["HOTA"] == pytest.approx(10 / 19)


def test_empty_results_or_ground_truth():
    nothing = hota_sequence([(np.array([0]), np.array([], int), np.zeros((1, 0)))] * 3)
    assert nothing.summary()["HOTA"] == 0 and list(nothing.fn) == [3] * 19
    no_gt = hota_sequence([(np.array([], int), np.array([0, 1]), np.zeros((0, 2)))])
    assert list(no_gt.fp) == [2] * 19 and no_gt.summary()["DetPr"] == 0


def mot15_frames(seq, tracker_name="hybrid"):
    """MOT15 ground truth (marked rows) and tracks made by our tracker from the sequence's real
    detections, as (gt ids, result ids, IoU) per frame over frames 1..seqLength."""
    root = os.path.join(SHARED, "MOT15", "train", seq)
    gt = load_mot_rows(os.path.join(root, "gt", "gt.txt"))
    gt = gt[gt[:, 6] != 0]
    dets = load_mot_rows(os.path.join(root, "det", "det.txt"))
    length = int(max(gt[:, 0].max(), dets[:, 0].max()))
    tracker = create_tracker(tracker_name, 30)
    det_by_frame, gt_by_frame = split_by_frame(dets), split_by_frame(gt)
    gt_ids, res_ids, sims = [], [], []
    for frame in range(1, length + 1):
        d = det_by_frame.get(frame, np.zeros((0, 10)))
        boxes = np.concatenate([d[:, 2:4], d[:, 2:4] + d[:, 4:6], d[:, 6:7]], axis=1)
        tracks = tracker.update(boxes)
        res_tlwh = np.array([t.tlwh for t in tracks]).reshape(-1, 4)
        g = gt_by_frame.get(frame, np.zeros((0, 10)))
        gt_ids.append(g[:, 1].astype(int))
        res_ids.append(np.array([t.track_id for t in tracks], int))
        sims.append(box_iou(g[:, 2:6], res_tlwh, fmt="tlwh"))
    return frames_from_ids(gt_ids, res_ids, sims)


def trackeval_sequence(frames):
    import trackeval
    data = {"num_timesteps": len(frames), "gt_ids": [f[0] for f in frames], "tracker_ids": [f[1] for f in frames],
            "similarity_scores": [f[2] for f in frames],
            "num_gt_dets": sum(len(f[0]) for f in frames), "num_tracker_dets": sum(len(f[1]) for f in frames),
            "num_gt_ids": len(np.unique(np.concatenate([f[0] for f in frames]))),
            "num_tracker_ids": len(np.unique(np.concatenate([f[1] for f in frames])))}
    return trackeval.metrics.HOTA().eval_sequence(data)


@requires_shared
def test_equal_to_trackeval_on_real_mot15_sequences():
    pytest.importorskip("trackeval")
    import trackeval

    ours, theirs = {}, {}
    for seq in ("TUD-Campus", "ETH-Sunnyday", "KITTI-17"):
        frames = mot15_frames(seq)
        ours[seq], theirs[seq] = hota_sequence(frames), trackeval_sequence(frames)
        per_alpha = ours[seq].scores()
        for field in HOTA_FIELDS:
            np.testing.assert_allclose(per_alpha[field], theirs[seq][field], atol=1e-9, err_msg=f"{seq} {field}")
        assert 0.2 < ours[seq].summary()["HOTA"] < 0.9
    combined = combine(ours.values()).scores()
    reference = trackeval.metrics.HOTA().combine_sequences(theirs)
    for field in HOTA_FIELDS:
        np.testing.assert_allclose(combined[field], reference[field], atol=1e-9, err_msg=f"combined {field}")
