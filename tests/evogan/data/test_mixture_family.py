"""The mixture family beyond PacGAN's two: centres, weights and sigmas by hand, the generalised metric on
hand-placed samples (unequal weights, per-axis sigmas, 10-D), and each mixture inside a short evolution run."""

import math

import pytest
import torch

from evogan import Config, Experiment
from evogan.data import DATASETS
from evogan.metrics import mixture_metrics
from evogan.metrics.mixtures import PACGAN_MASS, high_quality_radius

FAMILY = ["ring16", "grid49", "grid_close", "spiral", "ring_unequal", "grid_anisotropic", "cross10d"]


def _data(name):
    return DATASETS.get(name, "dataset")(None, "cpu")


def test_centres_by_hand():
    ring16 = _data("ring16").centres
    assert ring16.shape == (16, 2) and torch.allclose(ring16.norm(dim=1), torch.ones(16))
    assert torch.pdist(ring16).min().item() == pytest.approx(2 * math.sin(math.pi / 16), rel=1e-5)
    grid49 = _data("grid49").centres
    assert grid49.shape == (49, 2) and set(grid49[:, 0].tolist()) == {-6.0, -4.0, -2.0, 0.0, 2.0, 4.0, 6.0}
    assert set(_data("grid_close").centres[:, 1].tolist()) == {-2.0, -1.0, 0.0, 1.0, 2.0}
    spiral = _data("spiral").centres
    assert spiral.shape == (20, 2)
    assert spiral[0].tolist() == pytest.approx([0.5, 0.0]) and spiral[-1].tolist() == pytest.approx([-3.0, 0.0], abs=1e-6)
    assert torch.pdist(spiral).min().item() == pytest.approx(0.31, abs=0.005)  # 15 sigma: every mode separable
    cross = _data("cross10d")
    assert cross.centres.shape == (20, 10) and cross.dim == 10
    assert cross.centres[3].tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0] and cross.centres[13][3] == -1
    assert torch.pdist(cross.centres).min().item() == pytest.approx(math.sqrt(2))


def test_weights_and_sigmas_by_hand_and_in_the_samples():
    g = torch.Generator().manual_seed(0)
    unequal = _data("ring_unequal")
    w = [8.0 ** (-i / 7) for i in range(8)]
    assert unequal.weights.tolist() == pytest.approx([x / sum(w) for x in w])
    assert unequal.weights[0] / unequal.weights[7] == pytest.approx(8.0)
    n = 200_000
    modes = torch.cdist(unequal.sample(n, g), unequal.centres).argmin(1)
    freq = torch.bincount(modes, minlength=8).double() / n
    se = (unequal.weights.double() * (1 - unequal.weights.double()) / n).sqrt()
    assert ((freq - unequal.weights.double()).abs() < 5 * se).all()

    aniso = _data("grid_anisotropic")
    assert aniso.std[0].tolist() == pytest.approx([0.1, 0.025])   # (i, j) = (0, 0): even, horizontal
    assert aniso.std[1].tolist() == pytest.approx([0.025, 0.1])   # (0, 1): odd, vertical
    x = aniso.sample(100_000, g)
    nearest = torch.cdist(x, aniso.centres).argmin(1)
    offsets = x - aniso.centres[nearest]
    assert offsets[nearest == 0].std(0).tolist() == pytest.approx([0.1, 0.025], rel=0.03)
    assert offsets[nearest == 1].std(0).tolist() == pytest.approx([0.025, 0.1], rel=0.03)


def test_high_quality_radius_holds_pacgans_mass_in_any_dimension():
    assert high_quality_radius(2) == 3.0
    # chi-square with 4 degrees of freedom by hand: P(r < t) = 1 - exp(-t^2/2) (1 + t^2/2)
    t = high_quality_radius(4)
    assert 1 - math.exp(-t * t / 2) * (1 + t * t / 2) == pytest.approx(PACGAN_MASS, abs=1e-12)
    # 10 degrees of freedom: P(r < t) = 1 - exp(-x) sum_{k<5} x^k / k!, x = t^2 / 2
    x = high_quality_radius(10) ** 2 / 2
    assert 1 - math.exp(-x) * sum(x ** k / math.factorial(k) for k in range(5)) == pytest.approx(PACGAN_MASS, abs=1e-12)
    assert high_quality_radius(10) == pytest.approx(4.786, abs=0.001)


def test_unequal_weights_reverse_kl_by_hand():
    c = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    w = torch.tensor([0.5, 0.25, 0.25])
    matching = mixture_metrics(torch.stack([c[0], c[0], c[1], c[2]]), c, 0.01, weights=w)
    assert matching["reverse_kl"] == pytest.approx(0.0, abs=1e-12)
    skewed = mixture_metrics(torch.stack([c[0], c[1], c[2], c[2]]), c, 0.01, weights=w)
    # p = (1/4, 1/4, 1/2): 1/4 log(1/2) + 1/4 log 1 + 1/2 log 2
    assert skewed["reverse_kl"] == pytest.approx(0.25 * math.log(0.5) + 0.5 * math.log(2.0))
    assert mixture_metrics(torch.stack([c[0], c[1], c[2], c[2]]), c, 0.01)["reverse_kl"] == pytest.approx(
        0.5 * math.log(0.75) + 0.5 * math.log(1.5))  # the same samples against equal weights


def test_per_axis_sigmas_by_hand():
    c = torch.tensor([[0.0, 0.0], [2.0, 0.0]])
    std = torch.tensor([[0.1, 0.025], [0.025, 0.1]])
    # 2.5 sigma along mode 0's long axis: high quality; 0.1 along its short axis is 4 sigma: not;
    # (1.95, 0.05) is 2 sigma from mode 1 in x and 0.5 in y: high quality there
    samples = torch.tensor([[0.25, 0.0], [0.0, 0.1], [1.95, 0.05]])
    m = mixture_metrics(samples, c, std)
    assert m["high_quality"] == pytest.approx(200 / 3) and m["modes_covered"] == 2
    # the radial spread in each mode's units: offsets 2.5 (mode 0, radial = -x) and -2 (mode 1, radial = +x), 0 / 4
    # near 10 sigma: all three; radial components 2.5, 0, 2  (in units of each mode's sigma along x)
    assert m["spread_radial"] == pytest.approx(math.sqrt((2.5 ** 2 + 0 + 2 ** 2) / 3))
    assert m["spread_tangential"] == pytest.approx(math.sqrt((0 + 4 ** 2 + 0.5 ** 2) / 3))


def test_a_perfect_generator_scores_pacgans_mass_on_every_mixture():
    g = torch.Generator().manual_seed(1)
    for name in FAMILY:
        data = _data(name)
        m = data.metrics(data.sample(20_000, g))
        assert m["modes_covered"] == len(data.centres), name
        assert m["high_quality"] == pytest.approx(100 * PACGAN_MASS, abs=0.3), name  # s.e. 0.07 points
        assert 0 <= m["reverse_kl"] < 0.005, name


@pytest.mark.parametrize("name", ["ring_unequal", "grid_anisotropic", "cross10d"])
def test_each_kind_of_mixture_trains_inside_the_evolution_loop(name):
    config = Config(dataset=name, generations=8, population_size=2, batch_size=32, eval_batch_size=32,
                    model={"hidden": 16}, metrics={"every": 4, "samples": 400},
                    log={"progress": False, "plots": False})
    experiment = Experiment(config)
    experiment.run()
    final = experiment.evaluate_metrics()
    experiment.close()
    data = _data(name)
    assert final["n_modes"] == len(data.centres) and final["n_samples"] == 400
    assert 0.0 <= final["high_quality"] <= 100.0 and math.isfinite(final["reverse_kl"])
    assert len(experiment.logbook) == 8
