"""Kalman filter and matching primitives of fairmot.trackers against hand-computed values."""
import numpy as np
import pytest

from fairmot.trackers.kalman_filter import CHI2INV95, KalmanFilter
from fairmot.trackers.matching import embedding_distance, fuse_motion, iou_distance, linear_assignment

# one box: centre (100, 200), aspect 0.5, height 80
Z = np.array([[100.0, 200.0, 0.5, 80.0]])


def test_initiate_uses_height_relative_noise():
    mean, cov = KalmanFilter().initiate(Z)
    np.testing.assert_array_equal(mean, [[100, 200, 0.5, 80, 0, 0, 0, 0]])
    # position std 2/20 * h = 8, velocity std 10/160 * h = 5; aspect 1e-2 and 1e-5
    np.testing.assert_allclose(np.diag(cov[0]), [64, 64, 1e-4, 64, 25, 25, 1e-10, 25])
    assert np.count_nonzero(cov[0] - np.diag(np.diag(cov[0]))) == 0


def test_predict_hand_computed():
    kf = KalmanFilter()
    mean, cov = kf.initiate(Z)
    mean[0, 4:] = [3.0, -2.0, 0.0, 1.0]
    new_mean, new_cov = kf.predict(mean, cov)
    np.testing.assert_allclose(new_mean, [[103, 198, 0.5, 81, 3, -2, 0, 1]])
    # P' = F P F^T + Q, Q from the *old* height 80: position std 4, velocity std 0.5
    p = new_cov[0]
    assert p[0, 0] == pytest.approx(64 + 25 + 16)
    assert p[0, 4] == p[4, 0] == pytest.approx(25)
    assert p[4, 4] == pytest.approx(25 + 0.25)
    assert p[2, 2] == pytest.approx(1e-4 + 1e-10 + 1e-4)
    assert p[0, 1] == 0 and p[0, 5] == 0


def test_update_hand_computed():
    kf = KalmanFilter()
    mean, cov = kf.predict(*kf.initiate(Z))            # x variance 105, innovation noise 16
    z = np.array([[111.0, 200.0, 0.5, 80.0]])           # 11 px to the right
    new_mean, new_cov = kf.update(mean, cov, z)
    gain_x = 105 / 121
    assert new_mean[0, 0] == pytest.approx(100 + gain_x * 11)
    assert new_mean[0, 4] == pytest.approx(25 / 121 * 11)   # velocity learns through P[4, 0]
    np.testing.assert_allclose(new_mean[0, [1, 2, 3]], [200, 0.5, 80])
    assert new_cov[0, 0, 0] == pytest.approx(105 - 105 ** 2 / 121)
    np.testing.assert_allclose(new_cov[0], new_cov[0].T, atol=1e-12)


def test_batched_filter_equals_one_track_at_a_time():
    rng = np.random.default_rng(0)
    kf = KalmanFilter()
    z = np.c_[rng.uniform(0, 1000, (5, 2)), rng.uniform(0.3, 0.6, 5), rng.uniform(50, 300, 5)]
    mean, cov = kf.predict(*kf.initiate(z))
    meas = z + rng.normal(0, 3, z.shape)
    both = kf.update(mean, cov, meas)
    for i in range(5):
        one = kf.update(mean[i:i + 1], cov[i:i + 1], meas[i:i + 1])
        np.testing.assert_allclose(one[0][0], both[0][i], rtol=1e-12)
        np.testing.assert_allclose(one[1][0], both[1][i], rtol=1e-12, atol=1e-12)


def test_gating_distance_is_squared_mahalanobis():
    kf = KalmanFilter()
    mean, cov = kf.predict(*kf.initiate(Z))
    # innovation covariance for x: 105 + (h / 20)^2 = 121, so 11 px right is distance 1
    d = kf.gating_distance(mean, cov, np.array([[100, 200, 0.5, 80], [111, 200, 0.5, 80],
                                                [100, 178, 0.5, 80]]))
    np.testing.assert_allclose(d, [[0.0, 1.0, 4.0]], atol=1e-12)
    # general covariances: equals d^T S^-1 d
    rng = np.random.default_rng(1)
    a = rng.normal(size=(3, 8, 8))
    covs = a @ a.transpose(0, 2, 1) + np.eye(8)
    means = np.c_[rng.uniform(0, 500, (3, 2)), np.full(3, 0.5), np.full(3, 100.0), np.zeros((3, 4))]
    meas = means[:, :4][[2, 0, 1, 1]] + rng.normal(0, 5, (4, 4))
    proj_mean, proj_cov = kf.project(means, covs)
    expected = [[(m - pm) @ np.linalg.solve(pc, m - pm) for m in meas]
                for pm, pc in zip(proj_mean, proj_cov)]
    np.testing.assert_allclose(kf.gating_distance(means, covs, meas), expected, rtol=1e-9)
    only_pos = kf.gating_distance(means, covs, meas, only_position=True)
    expected_pos = [[(m - pm)[:2] @ np.linalg.solve(pc[:2, :2], (m - pm)[:2]) for m in meas]
                    for pm, pc in zip(proj_mean, proj_cov)]
    np.testing.assert_allclose(only_pos, expected_pos, rtol=1e-9)


def test_fuse_motion_gates_and_blends():
    kf = KalmanFilter()
    mean, cov = kf.predict(*kf.initiate(Z))
    # distances 1 (inside the gate) and (34 / 11)^2 = 9.55 > 9.4877 (outside)
    meas = np.array([[111, 200, 0.5, 80], [134, 200, 0.5, 80]], dtype=float)
    cost = fuse_motion(kf, np.array([[0.2, 0.1]]), mean, cov, meas)
    assert cost[0, 0] == pytest.approx(0.98 * 0.2 + 0.02 * 1.0)
    assert np.isinf(cost[0, 1])
    assert CHI2INV95[4] == 9.4877


def test_embedding_distance_is_cosine():
    tracks = np.array([[1.0, 0.0], [0.6, 0.8]])
    dets = np.array([[0.0, 2.0], [3.0, 0.0]])
    np.testing.assert_allclose(embedding_distance(tracks, dets), [[1.0, 0.0], [0.2, 0.4]])
    assert embedding_distance(np.zeros((0, 2)), dets).shape == (0, 2)


def test_iou_distance_counts_pixels_inclusively():
    # 10x10 boxes (0..9) overlapping on 5 columns: IoU = 50 / 150
    a = np.array([[0, 0, 9, 9]], dtype=float)
    b = np.array([[5, 0, 14, 9], [20, 20, 29, 29], [0, 0, 9, 9]], dtype=float)
    np.testing.assert_allclose(iou_distance(a, b), [[1 - 1 / 3, 1.0, 0.0]])
    assert iou_distance(a, np.zeros((0, 4))).shape == (1, 0)


def test_linear_assignment_respects_cost_limit():
    cost = np.array([[0.1, 0.9, 0.8],
                     [0.2, 0.3, 0.9],
                     [0.9, 0.9, 0.95]])
    matches, u_rows, u_cols = linear_assignment(cost, thresh=0.5)
    # minimum total cost: 0-0 and 1-1; row 2 has nothing under the limit
    assert matches.tolist() == [[0, 0], [1, 1]]
    assert u_rows.tolist() == [2] and u_cols.tolist() == [2]
    # row 1's only finite pair (0.6) is over the limit: it stays unmatched, col 0 too
    matches, u_rows, u_cols = linear_assignment(np.array([[0.45, 0.2], [0.6, np.inf]]), 0.5)
    assert matches.tolist() == [[0, 1]] and u_rows.tolist() == [1] and u_cols.tolist() == [0]
    matches, u_rows, u_cols = linear_assignment(np.zeros((2, 0)), 0.5)
    assert matches.shape == (0, 2) and u_rows.tolist() == [0, 1] and u_cols.tolist() == []


def _xywh_matrices(mean, pos=1 / 20, vel=1 / 160):
    """The textbook matrices of the (x, y, w, h) model at state ``mean``: F, Q, H, R."""
    sides = mean[[2, 3, 2, 3]]
    F = np.eye(8)
    F[:4, 4:] = np.eye(4)
    Q = np.diag(np.r_[np.square(pos * sides), np.square(vel * sides)])
    return F, Q, np.eye(4, 8), np.diag(np.square(pos * sides))


def _full_covariance(blocks):
    """(3, 4) blockwise covariance -> the 8x8 matrix."""
    P = np.zeros((8, 8))
    idx = np.arange(4)
    P[idx, idx], P[idx, idx + 4], P[idx + 4, idx], P[idx + 4, idx + 4] = blocks[0], blocks[1], blocks[1], blocks[2]
    return P


def test_blockwise_xywh_filter_equals_the_matrix_kalman_filter():
    """Twenty predict / update steps of three tracks (NSA scores on some) against x' = F x,
    P' = F P F^T + Q, K = P H^T (H P H^T + R)^-1 written out with 8x8 matrices."""
    from fairmot.trackers.kalman_filter import KalmanFilterXYWH
    rng = np.random.default_rng(1)
    kf = KalmanFilterXYWH()
    z = np.c_[rng.uniform(0, 1000, (3, 2)), rng.uniform(20, 60, 3), rng.uniform(50, 200, 3)]
    mean, cov = kf.initiate(z)
    ref = [(mean[i].copy(), _full_covariance(cov[i])) for i in range(3)]
    for step in range(20):
        mean, cov = kf.predict(mean, cov)
        z = mean[:, :4] + rng.normal(0, 4, (3, 4))
        scores = rng.uniform(0.3, 0.9, 3) if step % 2 else None
        gate = kf.gating_distance(mean, cov, z)
        for i, (m, P) in enumerate(ref):
            F, Q, H, R = _xywh_matrices(m)
            m, P = F @ m, F @ P @ F.T + Q
            _, _, _, R = _xywh_matrices(m)
            d = z - m[:4]
            expected_gate = [dj @ np.linalg.solve(H @ P @ H.T + R, dj) for dj in d]
            np.testing.assert_allclose(gate[i], expected_gate, rtol=1e-9)
            if scores is not None:
                R = R * (1 - scores[i])
            K = P @ H.T @ np.linalg.inv(H @ P @ H.T + R)
            ref[i] = (m + K @ (z[i] - H @ m), P - K @ H @ P)
        mean, cov = kf.update(mean, cov, z, scores)
        for i, (m, P) in enumerate(ref):
            np.testing.assert_allclose(mean[i], m, rtol=1e-10)
            np.testing.assert_allclose(_full_covariance(cov[i]), P, rtol=1e-9, atol=1e-9)


def test_warp_of_blockwise_states_is_the_matrix_warp():
    """A pan + zoom moves states and covariances exactly as R P R^T does; a 0.5 degree turn
    (more than consecutive frames show) gives the exact variances and leaves out x-y
    covariances under 1% of them."""
    from fairmot.trackers.camera_motion import warp_xywh_states
    from fairmot.trackers.kalman_filter import KalmanFilterXYWH
    kf = KalmanFilterXYWH()
    mean, cov = kf.predict(*kf.initiate(np.array([[300.0, 200, 40, 100], [50, 60, 20, 45]])))
    mean[:, 4:] = [[2, -1, 0.5, 1], [0, 3, 0, 0]]
    angle = np.radians(0.5)
    for warp, tol in (([[1.02, 0, 15], [0, 1.02, -7]], 1e-12),
                      ([[np.cos(angle), -np.sin(angle), 4], [np.sin(angle), np.cos(angle), 2]], 1e-2)):
        warp = np.array(warp)
        new_mean, new_cov = warp_xywh_states(mean, cov, warp)
        R = np.kron(np.eye(4), warp[:, :2])
        for i in range(2):
            np.testing.assert_allclose(new_mean[i], R @ mean[i] + np.r_[warp[:, 2], np.zeros(6)], rtol=1e-12)
            full = R @ _full_covariance(cov[i]) @ R.T
            blockwise = _full_covariance(new_cov[i])
            np.testing.assert_allclose(np.diag(blockwise), np.diag(full), rtol=1e-12)
            assert np.abs(blockwise - full).max() <= tol * np.abs(full).max()


def test_warp_of_xyah_states_keeps_the_aspect_and_scales_the_height():
    from fairmot.trackers.camera_motion import warp_xyah_states
    means = np.array([[10.0, 20, 0.4, 8, 1, 2, 0.01, 0.5]])
    moved, cov = warp_xyah_states(means, np.eye(8)[None], [[2, 0, 5], [0, 2, -5]])
    np.testing.assert_allclose(moved, [[25, 35, 0.4, 16, 2, 4, 0.01, 1]])
    np.testing.assert_allclose(np.diag(cov[0]), [4, 4, 1, 4, 4, 4, 1, 4])
    with pytest.raises(ValueError, match="2x3"):
        warp_xyah_states(means, np.eye(8)[None], np.eye(3))
