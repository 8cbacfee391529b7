import math

import numpy as np

from fairmot.datasets.targets import build_targets, draw_gaussian, gaussian_radius

OUT = (40, 30)  # output map width, height


def _box(cx, cy, w, h):
    """A box given in output cells, normalised as build_targets expects."""
    return [cx / OUT[0], cy / OUT[1], w / OUT[0], h / OUT[1]]


def test_gaussian_radius_is_centernets():
    # CenterNet's three cases for h=16, w=8, overlap 0.7 worked by hand:
    # r1 = (24 + sqrt(24^2 - 4*38.4/1.7)) / 2 = 23.02, r2 = (48 + sqrt(48^2 - 16*38.4)) / 2 = 44.55,
    # r3 = (-33.6 + sqrt(33.6^2 + 4*2.8*38.4)) / 2 = 2.9424
    assert math.isclose(gaussian_radius(16, 8), 2.9424, abs_tol=1e-4)
    assert gaussian_radius(100, 40) > gaussian_radius(16, 8)


def test_targets_of_one_box():
    t = build_targets([_box(10.3, 12.6, 8, 16)], [5], OUT)
    hm = t["hm"][0]
    assert t["hm"].shape == (1, 30, 40) and hm.max() == 1.0
    assert np.unravel_index(hm.argmax(), hm.shape) == (12, 10)   # the centre cell (y, x)
    rows, cols = np.nonzero(hm)
    # radius int(2.94) = 2: a 5x5 gaussian, sigma = 5/6
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (10, 14, 8, 12)
    assert math.isclose(hm[12, 11], math.exp(-1 / (2 * (5 / 6) ** 2)), rel_tol=1e-6)
    assert t["reg_mask"].tolist()[:2] == [1, 0] and t["reg_mask"].sum() == 1
    assert t["ind"][0] == 12 * 40 + 10
    np.testing.assert_allclose(t["reg"][0], [0.3, 0.6], atol=1e-5)
    np.testing.assert_allclose(t["wh"][0], [4, 8, 4, 8], atol=1e-5)  # l, t, r, b
    assert t["ids"][0] == 5 and (t["ids"][1:] == -1).all()
    assert t["wh"].shape == (500, 4) and t["ids"].dtype == np.int64

    t2 = build_targets([_box(10.3, 12.6, 8, 16)], [5], OUT, ltrb=False)
    assert t2["wh"].shape == (500, 2)
    np.testing.assert_allclose(t2["wh"][0], [8, 16], atol=1e-5)


def test_centre_past_the_border_is_clipped_but_edges_are_not():
    # centre at x = 41 (outside a 40-wide map), box 10 wide: edges at 36 and 46
    t = build_targets([_box(41.0, 5.5, 10, 6)], [-1], OUT)
    assert t["ind"][0] == 5 * 40 + 39 and t["ids"][0] == -1
    np.testing.assert_allclose(t["reg"][0], [0.0, 0.5], atol=1e-5)
    np.testing.assert_allclose(t["wh"][0], [39 - 36, 3, 46 - 39, 3], atol=1e-5)


def test_overlapping_gaussians_merge_by_maximum_and_objects_are_capped():
    hm = np.zeros((20, 20), np.float32)
    draw_gaussian(hm, (10, 10), 3)
    draw_gaussian(hm, (11, 10), 3)
    assert hm.max() == 1.0 and hm[10, 10] == 1.0 and hm[10, 11] == 1.0
    boxes = [_box(1 + (i % 38), 1 + (i // 38) % 28, 2, 2) for i in range(600)]
    t = build_targets(boxes, np.arange(600), OUT)
    assert t["reg_mask"].sum() == 500 and t["ids"][-1] == 499
    t = build_targets(boxes[:3], [0, 1, 2], OUT, max_objs=2)
    assert t["reg_mask"].tolist() == [1, 1] and t["ids"].tolist() == [0, 1]


def test_no_boxes_gives_empty_targets():
    t = build_targets(np.zeros((0, 4)), [], OUT)
    assert t["hm"].sum() == 0 and t["reg_mask"].sum() == 0 and (t["ids"] == -1).all()
