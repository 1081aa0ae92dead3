"""PacGAN mixture metrics on hand-built sample sets."""

import math

import pytest
import torch

from evogan.data import grid, ring
from evogan.metrics import mixture_metrics


def test_ring_has_eight_distinct_modes_on_the_unit_circle():
    data = ring()
    assert data.centres.shape == (8, 2)
    assert torch.allclose(data.centres.norm(dim=1), torch.ones(8))
    assert torch.pdist(data.centres).min() > 0.7  # 2 sin(pi/8) = 0.765: no duplicated angle
    assert grid().centres.shape == (25, 2) and set(grid().centres[:, 0].tolist()) == {-4.0, -2.0, 0.0, 2.0, 4.0}


def test_counts_by_hand():
    data = ring()
    c = data.centres
    # 3 samples on mode 0, 1 on mode 2 (2.9 sigma away: still high quality), 1 far off (3.1 sigma), 1 at the origin
    samples = torch.stack([c[0], c[0], c[0] + torch.tensor([0.01, 0.0]), c[2] + torch.tensor([0.0, 0.029]),
                           c[5] * 1.031, torch.zeros(2)])
    m = mixture_metrics(samples, c, 0.01)
    assert m["modes_covered"] == 2 and m["n_modes"] == 8 and m["n_samples"] == 6
    assert m["high_quality"] == pytest.approx(100 * 4 / 6)
    assert m["mode_counts"] == [3, 0, 1, 0, 0, 0, 0, 0]
    p = [0.75, 0.25]
    assert m["reverse_kl"] == pytest.approx(sum(q * math.log(q * 8) for q in p))


def test_perfect_and_collapsed_generators():
    data = ring()
    g = torch.Generator().manual_seed(0)
    perfect = data.metrics(data.sample(2500, g))
    # in 2-D, P(|x - c| < 3 sigma) = 1 - exp(-9/2) = 98.89 %
    assert perfect["modes_covered"] == 8 and perfect["high_quality"] == pytest.approx(100 * (1 - math.exp(-4.5)), abs=0.6)
    assert 0 <= perfect["reverse_kl"] < 0.01
    collapsed = data.metrics(data.centres[3].repeat(100, 1))
    assert collapsed["modes_covered"] == 1 and collapsed["reverse_kl"] == pytest.approx(math.log(8))
    nothing = data.metrics(torch.full((10, 2), 5.0))
    assert nothing["modes_covered"] == 0 and nothing["high_quality"] == 0 and nothing["reverse_kl"] == pytest.approx(math.log(8))
    nan = data.metrics(torch.full((10, 2), float("nan")))
    assert nan["modes_covered"] == 0 and nan["high_quality"] == 0


def test_gap_mass_and_near_mode_spread_by_hand():
    c = ring().centres  # mode 0 at (1, 0): radial is x, tangential is y
    samples = torch.stack([
        c[0] + torch.tensor([0.02, 0.0]), c[0] + torch.tensor([-0.02, 0.0]),  # radial offsets of 2 sigma
        c[0] + torch.tensor([0.0, 0.01]), c[0] + torch.tensor([0.0, -0.01]),  # tangential offsets of 1 sigma
        torch.zeros(2),  # 100 sigma from every mode: gap mass
    ])
    m = mixture_metrics(samples, c, 0.01)
    assert m["gap_mass"] == pytest.approx(20.0)
    assert m["spread_radial"] == pytest.approx(math.sqrt((4 + 4) / 4), rel=1e-6)
    assert m["spread_tangential"] == pytest.approx(math.sqrt((1 + 1) / 4), rel=1e-6)
    far = mixture_metrics(torch.full((3, 2), 5.0), c, 0.01)
    assert far["gap_mass"] == 100.0 and far["spread_radial"] is None and far["spread_tangential"] is None
