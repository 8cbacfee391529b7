"""One network pass per frame serves detection AP and tracking (fairmot.evaluation.model_eval)."""
import cv2
import numpy as np

from fairmot.datasets.mot_format import load_mot_rows
from fairmot.evaluation.detection_ap import average_precision
from fairmot.evaluation.model_eval import detection_ap, track_recorded
from fairmot.inference.pipeline import track_to_folder
from fairmot.inference.sources import open_source
from fairmot.inference.torch_detector import Detector
from fairmot.trackers import DEFAULT_TRACKER, create_tracker


def test_recorded_run_tracks_as_the_pipeline_and_scores_ap_like_a_separate_pass(
        pets_sequence, tracking_weights, tmp_path):
    seq = pets_sequence / "PETS8"
    detector = Detector(tracking_weights, (160, 96), device="cpu")
    with open_source(seq) as source:
        run = track_recorded(source, detector, str(tmp_path / "recorded"), progress=False)
    # the wrapped detector is left at the tracker's threshold, as the plain pipeline leaves it
    assert detector.conf_thres == create_tracker(DEFAULT_TRACKER).min_score
    with open_source(seq) as source:
        track_to_folder(source, detector, str(tmp_path / "plain"), video_format=None, progress=False)
    # recording the candidates does not change the tracks
    assert (tmp_path / "recorded" / "PETS8.txt").read_bytes() == (tmp_path / "plain" / "PETS8.txt").read_bytes()
    assert sorted(run.detections) == list(range(1, 9))

    aps = detection_ap([run], str(pets_sequence))
    # the same AP from an independent pass at the low threshold, scored directly
    low = Detector(tracking_weights, (160, 96), device="cpu", conf_thres=0.01)
    gt = load_mot_rows(seq / "gt" / "gt.txt")
    dets, truth = {}, {}
    for frame in range(1, 9):
        dets[frame] = low(cv2.imread(str(seq / "img1" / f"{frame:06d}.jpg")))[0]
        rows = gt[gt[:, 0] == frame]
        xyxy = rows[:, 2:6].copy()
        xyxy[:, 2:] += xyxy[:, :2]
        truth[frame] = (xyxy, rows[:, 6] == 0)
        np.testing.assert_array_equal(dets[frame], run.detections[frame].boxes)
    expected = average_precision(dets, truth)
    assert aps["PETS8"] == expected and aps["OVERALL"] == expected
    assert expected["num_gt"] == int((gt[:, 6] != 0).sum()) and expected["num_det"] > 0


def test_frame_range_limits_the_ground_truth(pets_sequence, tracking_weights, tmp_path):
    seq = pets_sequence / "PETS8"
    detector = Detector(tracking_weights, (160, 96), device="cpu")
    with open_source(seq, start_frame=3, end_frame=5) as source:
        run = track_recorded(source, detector, str(tmp_path), progress=False)
    assert sorted(run.detections) == [3, 4, 5]
    gt = load_mot_rows(seq / "gt" / "gt.txt")
    aps = detection_ap([run], str(pets_sequence), frames=(3, 5))
    assert aps["PETS8"]["num_gt"] == int(((gt[:, 0] >= 3) & (gt[:, 0] <= 5) & (gt[:, 6] != 0)).sum())
