"""Kalman filter for boxes in image space, batched over many tracks.

State (8-d): centre x, centre y, aspect ratio a = w / h, height h and their velocities, with a
constant-velocity motion model; the measurement is (x, y, a, h). Noise is relative to the box
height (position 1/20, velocity 1/160 of h; the aspect ratio gets fixed small noise), the model
of FairMOT and DeepSORT.

Every method works on stacks: means (N, 8), covariances (N, 8, 8), measurements (N, 4). The
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


class KalmanFilter:
    """Constant-velocity Kalman filter over (x, y, a, h), vectorised over tracks."""

    def __init__(self, std_weight_position=1.0 / 20, std_weight_velocity=1.0 / 160):
        self.std_weight_position = std_weight_position
        self.std_weight_velocity = std_weight_velocity

    def initiate(self, measurements):
        """New tracks from (N, 4) measurements: zero velocity, uncertainty scaled by the height."""
        z = np.asarray(measurements, dtype=np.float64).reshape(-1, 4)
        n, h = len(z), z[:, 3]
        mean = np.zeros((n, 8))
        mean[:, :4] = z
        pos = 2 * self.std_weight_position * h
        vel = 10 * self.std_weight_velocity * h
        stds = np.stack([pos, pos, np.full(n, 1e-2), pos, vel, vel, np.full(n, 1e-5), vel], axis=1)
        return mean, _diagonal_covariances(stds)

    def _motion_noise_stds(self, h):
        pos = self.std_weight_position * h
        vel = self.std_weight_velocity * h
        n = len(h)
        return np.stack([pos, pos, np.full(n, 1e-2), pos, vel, vel, np.full(n, 1e-5), vel], axis=1)

    def predict(self, means, covariances):
        """One step ahead: x' = F x, P' = F P F^T + Q, with F = [[I, I], [0, I]]."""
        means = np.asarray(means, dtype=np.float64)
        covariances = np.asarray(covariances, dtype=np.float64)
        new_mean = means.copy()
        new_mean[:, :4] += means[:, 4:]
        fp = covariances.copy()                      # F P: rows 0-3 gain rows 4-7
        fp[:, :4, :] += covariances[:, 4:, :]
        new_cov = fp.copy()                          # (F P) F^T: columns 0-3 gain columns 4-7
        new_cov[:, :, :4] += fp[:, :, 4:]
        idx = np.arange(8)
        new_cov[:, idx, idx] += np.square(self._motion_noise_stds(means[:, 3]))
        return new_mean, new_cov

    def project(self, means, covariances):
        """State distribution -> measurement space: (N, 4) means, (N, 4, 4) innovation covariances."""
        h = means[:, 3]
        pos = self.std_weight_position * h
        stds = np.stack([pos, pos, np.full(len(h), 1e-1), pos], axis=1)
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
        # K^T = S^-1 (P H^T)^T, with H P^T = the first four rows of P
        gain_t = np.linalg.solve(projected_cov, covariances[:, :4, :])       # (N, 4, 8)
        innovation = z - projected_mean
        new_mean = means + np.matmul(innovation[:, None, :], gain_t)[:, 0, :]
        gain = gain_t.transpose(0, 2, 1)
        new_cov = covariances - np.matmul(np.matmul(gain, projected_cov), gain_t)
        return new_mean, new_cov

    def gating_distance(self, means, covariances, measurements, only_position=False):
        """Squared Mahalanobis distance of every measurement to every track: (N tracks, M).

        Compare with ``CHI2INV95[4]`` (or ``CHI2INV95[2]`` with ``only_position``).
        """
        means = np.asarray(means, dtype=np.float64)
        covariances = np.asarray(covariances, dtype=np.float64)
        z = np.asarray(measurements, dtype=np.float64).reshape(-1, 4)
        mean, cov = self.project(means, covariances)
        dim = 2 if only_position else 4
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
