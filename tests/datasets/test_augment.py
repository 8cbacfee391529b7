import cv2
import numpy as np

from fairmot.datasets.augment import (
    augment_hsv,
    hflip,
    letterbox,
    normalised_to_letterbox,
    random_affine,
    warp_boxes,
    xyxy_to_normalised,
)


def _scene():
    """A black 96x160 image with one bright rectangle, and that rectangle as a pixel box."""
    img = np.zeros((96, 160, 3), np.uint8)
    img[30:70, 50:80] = 255
    return img, np.array([[50.0, 30.0, 80.0, 70.0]])


def _bright_box(img):
    ys, xs = np.nonzero(img[:, :, 0] > 200)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], float)


def test_letterbox_pads_and_maps_boxes_back():
    img = np.full((100, 100, 3), 10, np.uint8)
    out, ratio, pad_w, pad_h = letterbox(img, 96, 160)
    assert out.shape == (96, 160, 3) and ratio == 0.96 and (pad_w, pad_h) == (32, 0)
    assert (out[:, :32] == 128).all() and (out[:, 128:] == 128).all() and (out[:, 32:128] == 10).all()
    boxes = np.array([[0.5, 0.5, 0.2, 0.4], [0.1, 0.9, 0.1, 0.1]])
    xyxy = normalised_to_letterbox(boxes, 100, 100, ratio, pad_w, pad_h)
    np.testing.assert_allclose(xyxy[0], [32 + 38.4, 28.8, 32 + 57.6, 67.2])
    back = (xyxy - [pad_w, pad_h, pad_w, pad_h]) / ratio / 100  # inverse of the letterbox
    np.testing.assert_allclose(xyxy_to_normalised(back * [100, 100, 100, 100], 100, 100), boxes)


def test_identity_affine_changes_nothing():
    img, box = _scene()
    rng = np.random.default_rng(0)
    out, boxes, keep, matrix = random_affine(img, box, rng, degrees=(0, 0), translate=(0, 0),
                                             scale=(1, 1), shear=(0, 0))
    np.testing.assert_allclose(matrix, np.eye(3), atol=1e-12)
    assert (out == img).all() and keep.tolist() == [0]
    np.testing.assert_allclose(boxes, box)


def test_random_affine_moves_boxes_with_the_image():
    img, box = _scene()
    for seed in range(5):
        out, boxes, keep, _ = random_affine(img, box, np.random.default_rng(seed),
                                            border_value=(0, 0, 0))
        # the warped rectangle and the warped box agree to about a pixel (angles <= 5 degrees)
        np.testing.assert_allclose(boxes[0], _bright_box(out), atol=2.5)


def test_warp_boxes_drops_tiny_and_outside_boxes():
    boxes = np.array([[10, 10, 40, 60], [10, 10, 13, 60], [200, 10, 240, 60], [-50, 5, -10, 50]])
    kept, keep = warp_boxes(boxes, np.eye(3), 0.0, 160, 96)
    assert keep.tolist() == [0] and kept.tolist() == [[10, 10, 40, 60]]


def test_flip_mirrors_image_and_boxes():
    img, box = _scene()
    norm = xyxy_to_normalised(box, 160, 96)
    flipped, fboxes = hflip(img, norm)
    np.testing.assert_allclose(fboxes[0], [1 - norm[0, 0], *norm[0, 1:]])
    np.testing.assert_allclose(xyxy_to_normalised(_bright_box(flipped), 160, 96)[0], fboxes[0])
    assert norm[0, 0] != fboxes[0, 0]  # the input is not modified in place


def test_hsv_is_seeded_and_keeps_hue():
    img = np.random.default_rng(1).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    a = augment_hsv(img, np.random.default_rng(7))
    b = augment_hsv(img, np.random.default_rng(7))
    c = augment_hsv(img, np.random.default_rng(8))
    assert (a == b).all() and not (a == c).all()
    hue_in = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)[:, :, 0].astype(int)
    hue_out = cv2.cvtColor(a, cv2.COLOR_BGR2HSV)[:, :, 0].astype(int)
    saturated = cv2.cvtColor(a, cv2.COLOR_BGR2HSV)[:, :, 1] > 80
    assert np.median(np.abs(hue_in - hue_out)[saturated]) <= 2
