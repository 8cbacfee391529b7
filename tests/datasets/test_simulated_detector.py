import os

import numpy as np
import pytest

from fairmot.datasets.simulated_detector import DetectorNoise, pedestrian_rows, resize_crowd, simulated_sequence
from support.data import MOT17_TRAIN, requires_shared

pytestmark = requires_shared

MOT17_09 = os.path.join(MOT17_TRAIN, "MOT17-09-FRCNN")


@pytest.fixture(scope="module")
def seq():
    return simulated_sequence(MOT17_09, seed=0, max_frames=200)


def test_stream_shapes_and_determinism(seq):
    assert (seq.name, seq.frame_rate, seq.width, seq.height) == ("MOT17-09-FRCNN", 30, 1920, 1080)
    assert len(seq.frames) == 200
    dets, emb, ids = seq.frames[0]
    assert dets.dtype == np.float32 and dets.shape[1] == 5 and emb.shape == (len(dets), 128)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1, atol=1e-5)
    assert np.all(np.diff(dets[:, 4]) <= 0)                     # highest score first
    assert np.all(dets[:, 2] > dets[:, 0]) and np.all(dets[:, 3] > dets[:, 1])
    again = simulated_sequence(MOT17_09, seed=0, max_frames=200)
    for a, b in zip(seq.frames, again.frames):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
    other = simulated_sequence(MOT17_09, seed=1, max_frames=200)
    assert not np.array_equal(other.frames[0][0], dets)


def test_detections_follow_ground_truth(seq):
    gt = pedestrian_rows(seq.gt_rows)
    n_gt = np.sum(gt[:, 0] <= 200)
    n_true = sum(np.sum(ids >= 0) for _, _, ids in seq.frames)
    n_false = sum(np.sum(ids < 0) for _, _, ids in seq.frames)
    assert 0.6 * n_gt < n_true < 0.97 * n_gt        # misses, more of them under occlusion
    assert 100 < n_false < 300                       # about one false positive per frame
    # a true detection lies near its ground-truth box
    dets, _, ids = seq.frames[10]
    frame_gt = gt[gt[:, 0] == 11]
    for box, track_id in zip(dets, ids):
        if track_id >= 0:
            x, y, w, h = frame_gt[frame_gt[:, 1] == track_id][0, 2:6]
            assert abs((box[0] + box[2]) / 2 - (x + w / 2)) < 0.25 * w


def test_embeddings_identify_people(seq):
    feats, ids = [], []
    for _, emb, frame_ids in seq.frames:
        feats.append(emb[frame_ids >= 0])
        ids.append(frame_ids[frame_ids >= 0])
    feats, ids = np.concatenate(feats), np.concatenate(ids)
    sim = feats[:500] @ feats[:500].T
    same = ids[:500, None] == ids[None, :500]
    assert sim[same].mean() > 0.6 and abs(sim[~same].mean()) < 0.05


def test_noise_free_detector_reproduces_ground_truth():
    clean = DetectorNoise(miss_rate=0, occluded_miss_rate=0, box_jitter=0, false_positives=0)
    seq = simulated_sequence(MOT17_09, noise=clean, max_frames=5)
    gt = pedestrian_rows(seq.gt_rows)
    dets, _, ids = seq.frames[4]
    frame_gt = gt[gt[:, 0] == 5]
    assert sorted(ids.tolist()) == sorted(frame_gt[:, 1].astype(int).tolist())
    row = frame_gt[frame_gt[:, 1] == ids[0]][0]
    np.testing.assert_allclose(dets[0, :4], [row[2], row[3], row[2] + row[4], row[3] + row[5]],
                               rtol=1e-6)


@pytest.mark.parametrize("target", [10, 50, 200])
def test_resize_crowd(target, seq):
    rows, width = resize_crowd(seq.gt_rows, target, seq.width)
    per_frame = len(rows) / len(np.unique(rows[:, 0]))
    assert 0.6 * target < per_frame < 1.4 * target
    assert width >= seq.width and rows[:, 2].max() < width
