"""Kalman filter for boxes in image space, batched over many tracks.

State (8-d): centre x, centre y, aspect ratio a = w / h, height h and their velocities, with a
constant-velocity motion model; the measurement is (x, y, a, h). Noise is relative to the box
height (position 1/20, velocity 1/160 of h; the aspect ratio gets fixed small noise), the model
of FairMOT and DeepSORT.

Every method works on stacks: means (N, 8), covariances (N, 8, 8) (:class:`KalmanFilterXYWH`:
(N, 3, 4), see there), measurements (N, 4). The
prediction adds the two blocks of F P F^T explicitly instead of multiplying by the 0/1 motion
matrix: the sums are the same two-term sums, so the result is bit-identical to the matrix form,
without its cost.
"""
import numpy as np

# 0.95 quantile of the chi-square distribution with N degrees of freedom: the Mahalanobis gate.
CHI2INV95 = {1: 3.8415, 2: 5.9915, 3: 7.8147, 4: 9.4877, 5: 11.070, 6: 12.592, 7: 14.067,
             8: 15.507, 9: 16.919}


def _diagonal_covariances(stds):
    """(N, K) standard deviations -> (N, K, K) diagonal covariances."""
    n, k = stds.shape
    cov = np.zeros((n, k, k))
    cov[:, np.arange(k), np.arange(k)] = np.square(stds)
    return cov


def _height_scaled_stds(h, weights, fixed):
    """(N, len(weights)) standard deviations: weight * h, or the fixed value where weight
    is None."""
    stds = np.empty((len(h), len(weights)))
    for i, (w, value) in enumerate(zip(weights, fixed)):
        stds[:, i] = value if w is None else w * h
    return stds


def squared_mahalanobis(mean, cov, z, dim=4):
    """(N, M) squared Mahalanobis distances of (M, >=dim) measurements to N projected
    distributions (``mean`` (N, >=dim), ``cov`` (N, >=dim, >=dim)), over the first ``dim`` components."""
    chol = np.linalg.cholesky(cov[:, :dim, :dim])                        # (N, d, d)
    # forward substitution L y = d, unrolled over the (tiny) dimension and batched over
    # N x M; component-major (d, N, M) keeps every step on contiguous memory
    z_t = np.ascontiguousarray(z[:, :dim].T)
    mean_t = np.ascontiguousarray(mean[:, :dim].T)
    d = z_t[:, None, :] - mean_t[:, :, None]                             # (d, N, M)
    y = np.empty_like(d)
    for i in range(dim):
        acc = d[i]
        for j in range(i):
            acc = acc - chol[:, i, j, None] * y[j]
        y[i] = acc / chol[:, i, i, None]
    squared = y[0] * y[0]
    for i in range(1, dim):
        squared += y[i] * y[i]
    return squared


def _predict(means, covariances, noise_variances):
    """x' = F x, P' = F P F^T + Q for F = [[I, I], [0, I]] (4 positions, 4 velocities), with
    F P F^T as two explicit block sums (see the module docstring); Q diagonal."""
    new_mean = means.copy()
    new_mean[:, :4] += means[:, 4:]
    fp = covariances.copy()                      # F P: rows 0-3 gain rows 4-7
    fp[:, :4, :] += covariances[:, 4:, :]
    new_cov = fp.copy()                          # (F P) F^T: columns 0-3 gain columns 4-7
    new_cov[:, :, :4] += fp[:, :, 4:]
    idx = np.arange(8)
    new_cov[:, idx, idx] += noise_variances
    return new_mean, new_cov


def _correct(means, covariances, z, projected_mean, projected_cov):
    """The Kalman correction with H = [I, 0]: K^T = S^-1 (P H^T)^T, H P^T being P's first rows."""
    gain_t = np.linalg.solve(projected_cov, covariances[:, :4, :])       # (N, 4, 8)
    innovation = z - projected_mean
    new_mean = means + np.matmul(innovation[:, None, :], gain_t)[:, 0, :]
    gain = gain_t.transpose(0, 2, 1)
    new_cov = covariances - np.matmul(np.matmul(gain, projected_cov), gain_t)
    return new_mean, new_cov


class KalmanFilter:
    """Constant-velocity Kalman filter over (x, y, a, h), vectorised over tracks."""

    def __init__(self, std_weight_position=1.0 / 20, std_weight_velocity=1.0 / 160):
        self.std_weight_position = std_weight_position
        self.std_weight_velocity = std_weight_velocity

    def initiate(self, measurements):
        """New tracks from (N, 4) measurements: zero velocity, uncertainty scaled by the height."""
        z = np.asarray(measurements, dtype=np.float64).reshape(-1, 4)
        mean = np.zeros((len(z), 8))
        mean[:, :4] = z
        pos, vel = 2 * self.std_weight_position, 10 * self.std_weight_velocity
        stds = _height_scaled_stds(z[:, 3], (pos, pos, None, pos, vel, vel, None, vel),
                                   (0, 0, 1e-2, 0, 0, 0, 1e-5, 0))
        return mean, _diagonal_covariances(stds)

    def _motion_noise_stds(self, h):
        pos, vel = self.std_weight_position, self.std_weight_velocity
        return _height_scaled_stds(h, (pos, pos, None, pos, vel, vel, None, vel),
                                   (0, 0, 1e-2, 0, 0, 0, 1e-5, 0))

    def predict(self, means, covariances):
        """One step ahead: x' = F x, P' = F P F^T + Q, with F = [[I, I], [0, I]]."""
        means = np.asarray(means, dtype=np.float64)
        covariances = np.asarray(covariances, dtype=np.float64)
        return _predict(means, covariances, np.square(self._motion_noise_stds(means[:, 3])))

    def project(self, means, covariances):
        """State distribution -> measurement space: (N, 4) means, (N, 4, 4) innovation
        covariances."""
        pos = self.std_weight_position
        stds = _height_scaled_stds(means[:, 3], (pos, pos, None, pos), (0, 0, 1e-1, 0))
        cov = covariances[:, :4, :4].copy()
        idx = np.arange(4)
        cov[:, idx, idx] += np.square(stds)
        return means[:, :4].copy(), cov

    def update(self, means, covariances, measurements):
        """Correct predicted states with (N, 4) measurements; returns new means and covariances."""
        means = np.asarray(means, dtype=np.float64)
        covariances = np.asarray(covariances, dtype=np.float64)
        z = np.asarray(measurements, dtype=np.float64).reshape(-1, 4)
        projected_mean, projected_cov = self.project(means, covariances)
        return _correct(means, covariances, z, projected_mean, projected_cov)

    def gating_distance(self, means, covariances, measurements, only_position=False):
        """Squared Mahalanobis distance of every measurement to every track: (N tracks, M).

        Compare with ``CHI2INV95[4]`` (or ``CHI2INV95[2]`` with ``only_position``).
        """
        means = np.asarray(means, dtype=np.float64)
        covariances = np.asarray(covariances, dtype=np.float64)
        z = np.asarray(measurements, dtype=np.float64).reshape(-1, 4)
        mean, cov = self.project(means, covariances)
        return squared_mahalanobis(mean, cov, z, 2 if only_position else 4)


_WHWH = np.array([2, 3, 2, 3])


class KalmanFilterXYWH:
    """Constant-velocity Kalman filter over (x, y, w, h), vectorised over tracks (BoT-SORT's model).

    Width and height are filtered separately, each noise term scaled by its own side (position
    1/20, velocity 1/160), so boxes that change shape (people turning, partial occlusion) are
    followed better than through the aspect ratio of :class:`KalmanFilter`. ``update`` may scale
    the measurement noise by ``1 - score`` (StrongSORT's NSA Kalman filter) when given scores.

    Every noise term is diagonal and each coordinate moves on its own, so the 8x8 covariance is
    four independent 2x2 blocks (position, velocity) and is kept as such: covariances are
    (N, 3, 4) arrays, rows = position variances, position-velocity covariances, velocity
    variances of x, y, w, h. The same filter as the 8x8 matrix form (equal to rounding), with
    elementwise arithmetic instead of batched 4x4 solves: 3x faster on a frame's tracks.
    """

    def __init__(self, std_weight_position=1.0 / 20, std_weight_velocity=1.0 / 160):
        self.std_weight_position = std_weight_position
        self.std_weight_velocity = std_weight_velocity

    @staticmethod
    def _sides(means):
        return means[:, _WHWH]

    def initiate(self, measurements):
        """New tracks from (N, 4) (x, y, w, h): zero velocity, uncertainty scaled by the sides."""
        z = np.asarray(measurements, dtype=np.float64).reshape(-1, 4)
        mean = np.zeros((len(z), 8))
        mean[:, :4] = z
        sides = z[:, _WHWH]
        cov = np.zeros((len(z), 3, 4))
        cov[:, 0] = np.square(2 * self.std_weight_position * sides)
        cov[:, 2] = np.square(10 * self.std_weight_velocity * sides)
        return mean, cov

    def predict(self, means, covariances):
        """One step ahead: position += velocity, P' = F P F^T + Q blockwise."""
        squared_sides = np.square(self._sides(means))
        new_mean = means.copy()
        new_mean[:, :4] += means[:, 4:]
        pp, pv, vv = covariances[:, 0], covariances[:, 1], covariances[:, 2]
        new_cov = np.empty_like(covariances)
        new_cov[:, 1] = pv + vv
        new_cov[:, 0] = pp + pv + new_cov[:, 1] + self.std_weight_position ** 2 * squared_sides
        new_cov[:, 2] = vv + self.std_weight_velocity ** 2 * squared_sides
        return new_mean, new_cov

    def measurement_variances(self, means, covariances, scores=None):
        """(N, 4) variances of the projected measurement (x, y, w, h): P's positions + noise."""
        noise = np.square(self.std_weight_position * self._sides(means))
        if scores is not None:
            noise = noise * (1.0 - np.asarray(scores, dtype=np.float64))[:, None]
        return covariances[:, 0] + noise

    def gating_distance(self, means, covariances, measurements):
        """Squared Mahalanobis distance (N tracks, M) of (M, 4) (x, y, w, h) measurements; compare
        with ``CHI2INV95[4]``."""
        z = np.asarray(measurements, dtype=np.float64).reshape(-1, 4)
        if len(means) == 0 or len(z) == 0:
            return np.zeros((len(means), len(z)))
        variances = self.measurement_variances(means, covariances)
        d = z[None, :, :] - means[:, None, :4]
        return np.einsum("nmk,nk->nm", d * d, 1.0 / variances)

    def update(self, means, covariances, measurements, scores=None):
        """Correct with (N, 4) (x, y, w, h) measurements; ``scores`` (N,) scale their noise by 1 - score."""
        z = np.asarray(measurements, dtype=np.float64).reshape(-1, 4)
        s = self.measurement_variances(means, covariances, scores)
        pp, pv, vv = covariances[:, 0], covariances[:, 1], covariances[:, 2]
        gain_p, gain_v = pp / s, pv / s
        innovation = z - means[:, :4]
        new_mean = np.concatenate([means[:, :4] + gain_p * innovation, means[:, 4:] + gain_v * innovation], 1)
        new_cov = np.empty_like(covariances)
        new_cov[:, 0] = pp - gain_p * pp
        new_cov[:, 1] = pv - gain_p * pv
        new_cov[:, 2] = vv - gain_v * pv
        return new_mean, new_cov
