"""Image metrics as plain math on features and class probabilities (float64 throughout).

- FID = ||mu_1 - mu_2||^2 + Tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2)). The trace of the
  square root is the sum of the square roots of the eigenvalues of S_1 S_2,
  computed as those of the symmetric S_1^(1/2) S_2 S_1^(1/2) (same spectrum)
  with a symmetric eigensolver; eigenvalues at the level of rounding noise are
  set to 0 before the square root (which would otherwise amplify them). FID is biased upwards by roughly 1/N: always compare values
  computed on the same number of samples (they are recorded next to it).
- Inception Score = exp(E_x KL(p(y|x) || p(y))), p(y) the mean prediction. It
  lies in [1, K]: 1 when every prediction is the same, K when predictions are
  confident and spread evenly over K classes. ``inception_score`` takes the
  whole sample as one split; ``inception_score_splits`` the standard protocol's
  mean and standard deviation over consecutive splits (10 in papers).
- KID (Bińkowski et al. 2018) = the unbiased MMD² with the kernel
  k(x, y) = (x·y / d + 1)³, averaged over random subsets of both sets (100
  subsets of 1,000 in papers); unlike FID it has no bias in N, and it can be
  slightly negative when the two sets come from the same distribution.
- Label metrics on predicted labels (argmax) over K classes: ``modes`` = classes
  predicted at least once; ``kl`` = KL(p_gen || uniform) = sum_k p_k log(K p_k);
  ``entropy_score`` = H(p_gen) / log K = 1 - kl / log K, in [0, 1] (1: every
  class equally often; 0: one class only).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["feature_statistics", "frechet_distance", "inception_score", "inception_score_splits",
           "kernel_inception_distance", "label_metrics", "entropy_score"]


def feature_statistics(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (unbiased) covariance of (N, D) features, in float64."""
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError("feature_statistics needs an (N, D) array with N >= 2")
    return x.mean(axis=0), np.cov(x, rowvar=False)


def _clean(values: np.ndarray) -> np.ndarray:
    """Eigenvalues of a PSD matrix with rounding noise (|v| below d * eps * max) set to 0.

    The square root would blow that noise up (sqrt(1e-16) = 1e-8 per
    eigenvalue), which matters for rank-deficient covariances (N <= D).
    """
    tolerance = len(values) * np.finfo(np.float64).eps * max(float(np.abs(values).max()), 0.0)
    return np.where(values > tolerance, values, 0.0)


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(_clean(values))) @ vectors.T


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Fréchet distance between the Gaussians N(mu1, sigma1) and N(mu2, sigma2)."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    root1 = _sqrt_psd((sigma1 + sigma1.T) / 2)
    middle = root1 @ sigma2 @ root1
    eigenvalues = np.linalg.eigvalsh((middle + middle.T) / 2)
    trace_sqrt = float(np.sqrt(_clean(eigenvalues)).sum())
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt)


def inception_score(probabilities) -> float:
    """exp(mean KL(p(y|x) || p(y))) of (N, K) class probabilities (rows summing to 1)."""
    p = np.asarray(probabilities, dtype=np.float64)
    marginal = p.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        # p > 0 with a marginal that underflowed to 0 is a denormal: its term is 0 to float64 precision
        terms = np.where((p > 0) & (marginal > 0), p * (np.log(p) - np.log(marginal)), 0.0)
    return float(math.exp(terms.sum(axis=1).mean()))


def inception_score_splits(probabilities, splits: int = 10) -> tuple[float, float]:
    """Mean and (population) standard deviation of the Inception Score over ``splits`` consecutive parts."""
    p = np.asarray(probabilities, dtype=np.float64)
    if not 1 <= splits <= len(p):
        raise ValueError(f"inception_score_splits: splits must be in [1, {len(p)}], got {splits}")
    scores = [inception_score(p[i * len(p) // splits:(i + 1) * len(p) // splits]) for i in range(splits)]
    return float(np.mean(scores)), float(np.std(scores))


def _unbiased_mmd2(x: np.ndarray, y: np.ndarray) -> float:
    """MMD² with the cubic polynomial kernel, within-set sums without their diagonals (the U-statistic parts)."""
    d, m = x.shape[1], len(x)
    k_xx, k_yy, k_xy = ((a @ b.T / d + 1.0) ** 3 for a, b in ((x, x), (y, y), (x, y)))
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within - 2.0 * k_xy.sum() / (m * m))


def kernel_inception_distance(real, fake, subsets: int = 100, subset_size: int = 1000,
                              seed: int = 0) -> tuple[float, float, int]:
    """Mean and standard deviation of KID over ``subsets`` random subsets, and the subset size used.

    Each subset draws ``subset_size`` rows of each set without replacement
    (fewer when a set is smaller: the size used is returned so that it is
    reported with the value).
    """
    x, y = np.asarray(real, dtype=np.float64), np.asarray(fake, dtype=np.float64)
    size = min(subset_size, len(x), len(y))
    if size < 2:
        raise ValueError("kernel_inception_distance needs at least 2 samples in each set")
    rng = np.random.default_rng(seed)
    values = [_unbiased_mmd2(x[rng.choice(len(x), size, replace=False)], y[rng.choice(len(y), size, replace=False)])
              for _ in range(subsets)]
    return float(np.mean(values)), float(np.std(values)), size


def label_metrics(labels, n_classes: int) -> dict:
    """``modes``, ``kl`` and ``entropy_score`` of predicted labels in [0, n_classes)."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=n_classes).astype(np.float64)
    p = counts / counts.sum()
    nz = p > 0
    kl = float((p[nz] * np.log(p[nz] * n_classes)).sum())
    return {"modes": int(nz.sum()), "kl": kl, "entropy_score": 1.0 - kl / math.log(n_classes),
            "mode_counts": [int(c) for c in counts]}


def entropy_score(labels, n_classes: int) -> float:
    """H(p_gen) / log K of the predicted-label histogram (see the module docstring)."""
    return label_metrics(labels, n_classes)["entropy_score"]
