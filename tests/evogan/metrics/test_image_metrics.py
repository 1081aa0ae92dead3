"""FID, Inception Score and label metrics against hand-computed values; the evaluators on real digits."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from evogan import Config
from evogan.data import DATASETS
from evogan.metrics import feature_statistics, frechet_distance, inception_score, label_metrics
from evogan.metrics.evaluators import DigitMetrics
from evogan.models import load_classifier


def test_fid_of_a_set_against_itself_is_zero():
    features = np.random.default_rng(0).normal(size=(400, 16)) @ np.random.default_rng(1).normal(size=(16, 16))
    mu, sigma = feature_statistics(features)
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-8)


def test_fid_between_diagonal_gaussians_is_the_closed_form():
    # commuting covariances: FID = |mu1 - mu2|^2 + sum (sqrt(s1) - sqrt(s2))^2
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    s1, s2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 1.0])
    expected = 1 + 0 + 4 + (1 - 2) ** 2 + (2 - 1) ** 2 + (3 - 1) ** 2
    assert frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2)) == pytest.approx(expected, rel=1e-12)


def test_fid_between_non_commuting_gaussians_is_the_closed_form():
    # 2 x 2: tr sqrt(M) = sqrt(tr M + 2 sqrt(det M)) for M = S1 S2 with positive eigenvalues
    s1 = np.array([[2.0, 0.5], [0.5, 1.0]])
    s2 = np.array([[1.0, -0.3], [-0.3, 3.0]])
    m = s1 @ s2
    trace_sqrt = math.sqrt(np.trace(m) + 2 * math.sqrt(np.linalg.det(m)))
    expected = 0.25 + np.trace(s1) + np.trace(s2) - 2 * trace_sqrt
    got = frechet_distance(np.zeros(2), s1, np.array([0.5, 0.0]), s2)
    assert got == pytest.approx(expected, rel=1e-10)


def test_fid_from_samples_approaches_the_closed_form():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(20000, 2)) * [1.0, 2.0]
    b = rng.normal(size=(20000, 2)) * [2.0, 2.0] + [1.0, 0.0]
    fid = frechet_distance(*feature_statistics(a), *feature_statistics(b))
    assert fid == pytest.approx(1.0 + 1.0 + 0.0, abs=0.1)


def test_inception_score_bounds():
    k = 10
    uniform = np.full((100, k), 1.0 / k)
    assert inception_score(uniform) == pytest.approx(1.0, abs=1e-12)
    confident_spread = np.eye(k)[np.arange(100) % k]
    assert inception_score(confident_spread) == pytest.approx(float(k), rel=1e-12)
    confident_one_class = np.eye(k)[np.zeros(100, dtype=int)]
    assert inception_score(confident_one_class) == pytest.approx(1.0, abs=1e-12)
    half = np.eye(k)[np.arange(100) % 2]  # two classes, evenly
    assert inception_score(half) == pytest.approx(2.0, rel=1e-12)


def test_label_metrics_on_constructed_stacked_predictions():
    labels = np.repeat(np.arange(700), 20)  # 700 of 1,000 modes, evenly
    got = label_metrics(labels, 1000)
    assert got["modes"] == 700
    assert got["kl"] == pytest.approx(math.log(1000 / 700), rel=1e-12)
    assert got["entropy_score"] == pytest.approx(math.log(700) / math.log(1000), rel=1e-12)
    collapsed = label_metrics(np.full(26000, 123), 1000)
    assert collapsed == {"modes": 1, "kl": pytest.approx(math.log(1000)), "entropy_score": pytest.approx(0.0, abs=1e-12),
                         "mode_counts": [26000 if k == 123 else 0 for k in range(1000)]}
    # uneven: p = (3/4, 1/4) over K = 4
    uneven = label_metrics(np.array([0, 0, 0, 2]), 4)
    assert uneven["kl"] == pytest.approx(0.75 * math.log(3) + 0.25 * math.log(1), rel=1e-12)


@pytest.fixture(scope="module")
def stacked():
    return DATASETS.get("stacked_mnist")(Config(metrics={"mode_samples": 3000}), "cpu")


def test_digit_metrics_count_real_stacked_modes_and_a_collapse(stacked):
    metrics = DigitMetrics(load_classifier(), stacked.reference(3000, seed=0))
    real = metrics(stacked.sample(3000, torch.Generator().manual_seed(5)))
    # 3,000 uniform draws over 1,000 triples cover 1000 (1 - e^-3) = 950 in expectation; the classifier errs ~2%
    assert 920 <= real["modes"] <= 975
    assert real["n_modes"] == 1000 and real["n_samples"] == 3000 and real["fid_real_samples"] == 3000
    assert 0.15 < real["kl"] < 0.25  # KL of 3,000 uniform draws over 1,000 bins: 0.183 +- 0.008 (simulated)
    assert 0 <= real["fid"] < 40.0  # real vs real: only the finite-sample bias (192-d features, 3,000 samples)
    assert 500 < real["inception_score"] <= 1000
    one = stacked.sample(1, torch.Generator().manual_seed(6)).expand(3000, -1, -1, -1)
    collapsed = metrics(one)
    assert collapsed["modes"] == 1 and collapsed["kl"] == pytest.approx(math.log(1000))
    assert collapsed["inception_score"] == pytest.approx(1.0, abs=1e-6)
    assert collapsed["entropy_score"] == pytest.approx(0.0, abs=1e-12)
    assert collapsed["fid"] > 50 * max(real["fid"], 1.0)
    # precision/recall/density/coverage tell quality from coverage: real samples score about 1 on all four;
    # one real image repeated is perfectly precise (it is real) but recalls and covers almost nothing
    assert real["prdc_k"] == 5 and real["prdc_samples"] == 3000
    for key in ("precision", "recall", "coverage"):
        assert 0.9 <= real[key] <= 1.0
    assert 0.85 <= real["density"] <= 1.15
    assert collapsed["precision"] == 1.0 and collapsed["recall"] == 0.0
    assert collapsed["coverage"] <= 3 / 3000 and collapsed["density"] <= 0.6  # inside at most 3 of the 3,000 balls
