import cv2
import numpy as np
import pytest

from fairmot.datasets.augment import letterbox
from fairmot.inference.preprocess import Letterbox, frame_to_input


@pytest.mark.parametrize("frame_hw", [(360, 480), (1080, 1920), (720, 1280), (600, 400)])
def test_letterbox_round_trip_of_boxes(frame_hw):
    h, w = frame_hw
    box = Letterbox(w, h, 1088, 608)
    boxes = np.array([[10.0, 20.0, 110.0, 220.0, 0.9], [0.0, 0.0, w, h, 0.5]])
    np.testing.assert_allclose(box.to_frame(box.to_input(boxes)), boxes, atol=1e-9)
    # the whole frame maps onto the un-padded part of the input, centred
    full = box.to_input(boxes[1:2])[0]
    assert full[0] == pytest.approx(1088 / 2 - w * box.ratio / 2)
    assert min(full[0], full[1]) >= -1e-9 and full[2] <= 1088 + 1e-9 and full[3] <= 608 + 1e-9


def test_letterboxed_pixels_land_where_the_mapping_says(shared_data):
    frame = cv2.imread(f"{shared_data}/PETS09-S2L1/img1/000001.jpg")
    assert frame.shape == (360, 480, 3)
    frame[:] = 0
    frame[100:200, 50:90] = 255  # a white box x1=50, y1=100, x2=90, y2=200
    padded = letterbox(frame, 608, 1088)[0]
    box = Letterbox(480, 360, 1088, 608)
    assert padded.shape == (608, 1088, 3)
    assert padded[0, 0, 0] == 128 and padded[-1, -1, 0] == 128  # grey 127.5 padding
    ys, xs = np.nonzero(padded[:, :, 0] > 200)
    want = box.to_input(np.array([[50, 100, 90, 200]]))[0]
    np.testing.assert_allclose([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], want, atol=1.5)


def test_network_input_is_rgb_in_unit_range():
    frame = np.zeros((32, 64, 3), np.uint8)
    frame[..., 0] = 255  # blue in BGR
    blob, _ = frame_to_input(frame, 64, 32)
    assert blob.shape == (3, 32, 64) and blob.dtype == np.float32
    assert blob[2].min() == 1.0 and blob[0].max() == 0.0
