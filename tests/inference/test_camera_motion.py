"""Camera motion estimated from real frames (PETS09-S2L1), against warps we apply ourselves."""
import os

import cv2
import numpy as np
import pytest

from fairmot.inference.camera_motion import IDENTITY, CameraMotionEstimator
from support.data import PETS, requires_shared

pytestmark = requires_shared


def frame(index):
    return cv2.imread(os.path.join(PETS, "img1", f"{index:06d}.jpg"))


@pytest.mark.parametrize("angle, scale, shift", [(0.0, 1.0, (14.0, -9.0)), (1.0, 1.01, (-6.0, 4.0)),
                                                 (0.0, 1.0, (0.0, 0.0))])
def test_recovers_a_warp_we_applied(angle, scale, shift):
    image = frame(100)
    h, w = image.shape[:2]
    applied = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    applied[:, 2] += shift
    moved = cv2.warpAffine(image, applied, (w, h))
    estimator = CameraMotionEstimator(max_side=320)          # downscaled: the translation is scaled back
    assert np.array_equal(estimator(image), IDENTITY)       # no previous frame
    found = estimator(moved)
    assert np.abs(found[:, :2] - applied[:, :2]).max() < 5e-3
    assert np.abs(found[:, 2] - applied[:, 2]).max() < 1.0


def test_a_still_camera_and_a_blank_frame_give_the_identity():
    estimator = CameraMotionEstimator()
    estimator(frame(200))
    still = estimator(frame(201), boxes=np.array([[100, 100, 150, 220]]))   # PETS is filmed from a tripod
    h, w = frame(1).shape[:2]
    points = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1], [w / 2, h / 2, 1]], float)
    assert np.abs(points @ still.T - points[:, :2]).max() < 1.0    # no point of the frame moves a pixel
    blank = np.full_like(frame(1), 127)
    estimator.reset()
    estimator(blank)
    assert np.array_equal(estimator(blank), IDENTITY)         # nothing to follow: no motion claimed


def test_people_are_masked_out():
    """Corners inside the given boxes are not used: with the whole frame masked there is nothing
    left to follow, and the estimate is the identity even though the image moved."""
    image = frame(100)
    h, w = image.shape[:2]
    estimator = CameraMotionEstimator()
    estimator(image, boxes=np.array([[0, 0, w, h]]))
    shifted = cv2.warpAffine(image, np.float64([[1, 0, 20], [0, 1, 0]]), (w, h))
    assert np.array_equal(estimator(shifted), IDENTITY)
