"""Precision, recall, density and coverage against hand-computed point sets and a brute-force reading of the
papers' definitions."""

import itertools

import numpy as np
import pytest

from evogan.metrics import precision_recall_density_coverage


def test_hand_built_line():
    # real 0,1,2,3 (k = 1: every real ball has radius 1); fake 0.5 and 10 (each other's neighbour: radius 9.5).
    # precision: 0.5 lies in the balls of 0 and 1, 10 in none -> 1/2. recall: the ball of 0.5 (9.5) holds every real
    # sample -> 1. density: (2 + 0) / (1 x 2) = 1. coverage: the balls of 0 and 1 hold a fake sample, of 2 and 3 not.
    real = np.array([[0.0], [1.0], [2.0], [3.0]])
    fake = np.array([[0.5], [10.0]])
    assert precision_recall_density_coverage(real, fake, k=1) == pytest.approx(
        {"precision": 0.5, "recall": 1.0, "density": 1.0, "coverage": 0.5, "prdc_k": 1})


def test_a_collapsed_generator_is_precise_but_covers_little():
    # real: 4 tight clusters; fake: all near one of them. Precision 1, coverage and recall about a quarter.
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], dtype=float)
    real = np.concatenate([c + 0.1 * rng.standard_normal((50, 2)) for c in centres])
    fake = centres[0] + 0.1 * rng.standard_normal((200, 2))
    result = precision_recall_density_coverage(real, fake, k=5)
    assert result["precision"] > 0.95
    assert 0.2 <= result["coverage"] <= 0.26 and 0.2 <= result["recall"] <= 0.26


def _by_definition(real, fake, k):
    """The definitions written out with loops (distances by hand, sorted, self excluded)."""
    def dist(a, b):
        return float(np.sqrt(((a - b) ** 2).sum()))

    def radii(points):
        return [sorted(dist(p, q) for j, q in enumerate(points) if j != i)[k - 1] for i, p in enumerate(points)]

    r_real, r_fake = radii(real), radii(fake)
    precision = np.mean([any(dist(f, r) <= rr for r, rr in zip(real, r_real)) for f in fake])
    recall = np.mean([any(dist(r, f) <= rf for f, rf in zip(fake, r_fake)) for r in real])
    density = sum(dist(f, r) <= rr for f, (r, rr) in itertools.product(fake, zip(real, r_real))) / (k * len(fake))
    coverage = np.mean([min(dist(r, f) for f in fake) <= rr for r, rr in zip(real, r_real)])
    return {"precision": precision, "recall": recall, "density": density, "coverage": coverage, "prdc_k": k}


@pytest.mark.parametrize("k", [1, 3, 5])
def test_matches_the_definitions_on_random_features(k):
    rng = np.random.default_rng(k)
    real = rng.standard_normal((60, 4))
    fake = 0.7 * rng.standard_normal((45, 4)) + 0.3
    assert precision_recall_density_coverage(real, fake, k=k) == pytest.approx(_by_definition(real, fake, k), abs=1e-12)


def test_bad_shapes_and_k_are_clear_errors():
    with pytest.raises(ValueError, match="same d"):
        precision_recall_density_coverage(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="k = 5 must be"):
        precision_recall_density_coverage(np.zeros((5, 2)), np.zeros((9, 2)), k=5)


def test_matches_the_prdc_package_on_fixed_features():
    """Naeem et al.'s own implementation (the ``prdc`` package) on the same features."""
    from prdc import compute_prdc

    rng = np.random.default_rng(1)
    real = rng.standard_normal((800, 16))
    fake = 0.8 * rng.standard_normal((600, 16)) + 0.2
    for k in (3, 5):
        theirs = compute_prdc(real_features=real, fake_features=fake, nearest_k=k)
        ours = precision_recall_density_coverage(real, fake, k=k)
        assert {key: ours[key] for key in theirs} == pytest.approx(theirs, abs=1e-9)
