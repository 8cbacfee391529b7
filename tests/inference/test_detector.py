"""The detector contract: what BaseDetector does around a backend's forward and candidates."""
import numpy as np
import pytest

from fairmot.inference.detector import BaseDetector
from fairmot.inference.preprocess import frame_to_input


class FixedBackend(BaseDetector):
    """Returns the same top-K list whatever the input, and keeps what it was given."""

    heads = {"hm": 1, "wh": 4, "reg": 2, "id": 2}

    def __init__(self, candidates, input_size=(320, 192), conf_thres=0.4, classes=None):
        super().__init__(input_size, conf_thres)
        self._candidates, self.blobs = (*candidates, classes), []

    def forward(self, blob):
        self.blobs.append(blob)
        return "raw outputs"

    def candidates(self, outputs):
        assert outputs == "raw outputs"
        return self._candidates


def test_base_detector_letterboxes_thresholds_and_maps_back():
    boxes = np.array([[10, 20, 50, 100, 0.9], [0, 0, 32, 32, 0.5], [5, 5, 9, 9, 0.4]], np.float32)
    embeddings = np.array([[1, 0], [0, 1], [0.6, 0.8]], np.float64)
    detector = FixedBackend((boxes, embeddings))
    frame = np.random.default_rng(0).integers(0, 255, (360, 480, 3), dtype=np.uint8)
    got_boxes, got_embeddings, got_classes = detector(frame)
    expected_blob, letterbox = frame_to_input(frame, 320, 192)
    np.testing.assert_array_equal(detector.blobs[0], expected_blob)
    # score > conf_thres (0.4 itself is left out), in frame pixels, embeddings float32
    np.testing.assert_allclose(got_boxes, letterbox.to_frame(boxes[:2]))
    assert got_boxes.dtype == np.float64 and got_embeddings.dtype == np.float32
    np.testing.assert_array_equal(got_embeddings, embeddings[:2].astype(np.float32))
    assert got_classes.dtype == np.int64 and got_classes.tolist() == [0, 0]   # a one-class backend
    assert set(detector.timings) == {"preprocess", "network", "decode"}
    assert all(t >= 0 for t in detector.timings.values())
    detector.conf_thres = 0.95
    assert len(detector(frame)[0]) == 0


def test_classes_stay_with_their_boxes():
    boxes = np.array([[10, 20, 50, 100, 0.9], [0, 0, 32, 32, 0.5], [5, 5, 9, 9, 0.45], [1, 1, 4, 4, 0.3]], np.float32)
    embeddings = np.eye(4)
    detector = FixedBackend((boxes, embeddings), classes=np.array([1, 0, 1, 1]))
    frame = np.zeros((360, 480, 3), np.uint8)
    detections = detector(frame)
    assert detections.classes.tolist() == [1, 0, 1] and detections.classes.dtype == np.int64
    cars = detections.select(detections.classes == 1)
    np.testing.assert_array_equal(cars.boxes, detections.boxes[[0, 2]])
    np.testing.assert_array_equal(cars.embeddings, embeddings[[0, 2]].astype(np.float32))


@pytest.mark.parametrize("frame", [np.zeros((360, 480), np.uint8), np.zeros((360, 480, 4), np.uint8), None])
def test_a_frame_that_is_not_bgr_is_a_value_error(frame):
    with pytest.raises(ValueError, match=r"BGR frame"):
        FixedBackend((np.zeros((0, 5)), np.zeros((0, 2))))(frame)


def test_input_size_must_be_multiples_of_32():
    with pytest.raises(ValueError, match="multiples of 32"):
        FixedBackend((np.zeros((0, 5)), np.zeros((0, 2))), input_size=(300, 200))
