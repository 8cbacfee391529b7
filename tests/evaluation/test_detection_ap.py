import numpy as np
import pytest

from fairmot.evaluation.detection_ap import average_precision


def test_perfect_detections_give_ap_1():
    gt = {1: (np.array([[0, 0, 10, 20], [30, 30, 40, 60]]), None)}
    dets = {1: np.array([[0, 0, 10, 20, 0.9], [30, 30, 40, 60, 0.8]])}
    assert average_precision(dets, gt)["ap"] == pytest.approx(1.0)


def test_hand_computed_ap_with_a_false_positive_and_a_miss():
    gt = {1: (np.array([[0, 0, 10, 10], [20, 0, 30, 10]]), None), 2: (np.array([[0, 0, 10, 10]]), None)}
    dets = {1: np.array([[0, 0, 10, 10, 0.9], [50, 50, 60, 60, 0.8]]),  # TP, FP
            2: np.array([[1, 0, 11, 10, 0.7]])}  # TP (IoU 9/11)
    r = average_precision(dets, gt)
    # ranks: TP (p 1, r 1/3), FP (p 1/2), TP (p 2/3, r 2/3): AP = 1/3 * 1 + 1/3 * 2/3
    assert r["ap"] == pytest.approx(1 / 3 + 2 / 9)
    assert (r["recall"], r["num_gt"], r["num_det"]) == (pytest.approx(2 / 3), 3, 3)


def test_ignored_boxes_neither_count_nor_penalise():
    gt = {1: (np.array([[0, 0, 10, 10], [20, 0, 30, 10]]), np.array([False, True]))}
    hit_both = {1: np.array([[0, 0, 10, 10, 0.9], [20, 0, 30, 10, 0.95]])}
    hit_one = {1: np.array([[0, 0, 10, 10, 0.9]])}
    assert average_precision(hit_both, gt)["ap"] == average_precision(hit_one, gt)["ap"] == pytest.approx(1.0)
    # a duplicate on a counted box is a false positive
    dup = {1: np.array([[0, 0, 10, 10, 0.9], [0, 0, 10, 10, 0.95]])}
    assert average_precision(dup, gt)["precision"] == pytest.approx(0.5)
