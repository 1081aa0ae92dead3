"""EM-GAN's entropy maximisation: the k-NN entropy estimate, the '+entropy' modifier, inside the loop."""

from __future__ import annotations

import math
from functools import partial

import pytest
import torch

from evogan import Config, ConfigError, Experiment
from evogan.runner import flatten_record
from operators import entropy_bonus, heuristic, knn_entropy, mutate
from tests.conftest import Affine1D, LinearD, affine_individual

EULER = 0.5772156649015329


def test_three_points_on_a_line_by_hand():
    # k = 1, d = 1: r = (1, 1, 2); psi(3) - psi(1) = 1 + 1/2; V_1 = 2 (the segment [-1, 1])
    expected = 1.5 + math.log(2) + (0 + 0 + math.log(2)) / 3
    assert float(knn_entropy(torch.tensor([[0.0], [1.0], [3.0]]), k=1)) == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize("dim", [1, 2, 5])
def test_gaussian_entropy_matches_the_closed_form(dim):
    x = 2.0 * torch.randn(4000, dim, generator=torch.Generator().manual_seed(dim))
    exact = 0.5 * dim * math.log(2 * math.pi * math.e * 4.0)
    assert float(knn_entropy(x, k=3)) == pytest.approx(exact, abs=0.03 * dim + 0.03)


def test_uniform_square_has_zero_entropy_and_scaling_adds_d_log_a():
    u = torch.rand(4000, 2, generator=torch.Generator().manual_seed(0))
    assert abs(float(knn_entropy(u, k=3))) < 0.05
    assert float(knn_entropy(7.0 * u, k=3) - knn_entropy(u, k=3)) == pytest.approx(2 * math.log(7.0), abs=1e-4)


def test_k_must_be_below_the_batch_size():
    with pytest.raises(ValueError, match="entropy_neighbours"):
        knn_entropy(torch.zeros(3, 2), k=3)


def test_a_step_on_the_bonus_spreads_a_nearly_collapsed_batch():
    x = (1e-3 * torch.randn(64, 2, generator=torch.Generator().manual_seed(0))).requires_grad_(True)
    config = Config()
    before = float(knn_entropy(x.detach(), 3))
    (grad,) = torch.autograd.grad(entropy_bonus(x, adversary=None, config=config), x)
    assert torch.isfinite(grad).all()
    after = float(knn_entropy((x - 1e-4 * grad).detach(), 3))
    assert 0.1 < after - before < 20.0


def test_heuristic_plus_entropy_loss_by_hand():
    """One child of G(z) = z on z = (0, 1, 3) against D's logit 1.5 x - 0.5: its loss, computed by hand."""
    d = LinearD()
    config = Config(entropy_neighbours=1, entropy_weight=0.1)
    bonus = partial(entropy_bonus, adversary=None, config=config)
    child = mutate(
        affine_individual(1.0, 0.0), loss=heuristic, generator=Affine1D(), discriminate=lambda x: d(x).squeeze(-1),
        sample_latent=lambda n, rng: torch.tensor([[0.0], [1.0], [3.0]]), batch_size=3, lr=0.01,
        betas=(0.5, 0.99), modifiers=(bonus,),
    )
    softplus = lambda v: math.log1p(math.exp(v))  # noqa: E731
    heuristic_value = (softplus(0.5) + softplus(-1.0) + softplus(-4.0)) / 3  # -log sigmoid(l), l = -0.5, 1, 4
    entropy = 1.5 + math.log(2) + math.log(2) / 3
    assert child.scores["loss"] == pytest.approx(heuristic_value - 0.1 * entropy / 1, abs=1e-5)


def _children(config):
    """The children of the same parent and seed made by each configured mutation."""
    ex = Experiment(config)
    ex.toolbox.train_discriminator(ex.population, generation=1)
    return {name: getattr(ex.toolbox, "mutate_" + name)(ex.population[0], None, seed=123) for name in config.mutations}


def test_with_zero_weight_the_modifier_changes_nothing_and_with_weight_it_does(small_config):
    small_config.mutations = ["heuristic", "heuristic+entropy"]
    small_config.entropy_weight = 0.0
    plain = _children(small_config)
    assert all(torch.equal(plain["heuristic"][k], plain["heuristic+entropy"][k]) for k in plain["heuristic"])
    small_config.entropy_weight = 0.1
    pushed = _children(small_config)
    assert any(not torch.equal(pushed["heuristic"][k], pushed["heuristic+entropy"][k]) for k in pushed["heuristic"])


@pytest.mark.parametrize("space", ["samples", "features"])
def test_entropy_mutation_in_the_loop_with_egan_mutations_and_crossover(small_config, space):
    small_config.mutations = ["minimax", "heuristic+entropy", "least_squares"]
    small_config.entropy_space, small_config.p_cross = space, 0.5
    ex = Experiment(small_config)
    ex.run(4)
    operators_seen = " ".join(ex.logbook.select("survivors"))
    assert "heuristic+entropy" in operators_seen
    assert all(row["discarded"] == 0 and row["nevals"] == 6 for row in ex.logbook)
    row = flatten_record(ex.logbook, small_config.mutations)
    survivors = row["survivors"].split()
    assert row["sel_heuristic+entropy"] == sum(op.removesuffix("+crossover") == "heuristic+entropy" for op in survivors)
    assert sum(row[f"sel_{m}"] for m in small_config.mutations) == 2


def test_d_features_are_the_penultimate_activations(small_config):
    ex = Experiment(small_config)
    x = torch.randn(5, 2)
    features = ex.adversary.features(x)
    assert features.shape == (5, small_config.model.hidden)
    last = list(ex.adversary.discriminator)[-1]
    assert torch.allclose(last(features).squeeze(-1), ex.adversary(x))


@pytest.mark.parametrize(
    "mutations, words",
    [
        (["heuristic+entropi"], ["unknown loss modifier 'entropi'", "entropy"]),
        (["entropy+heuristic"], ["unknown loss mutation 'entropy'", "heuristic"]),
    ],
)
def test_bad_modifier_names_are_clear_errors(small_config, mutations, words):
    small_config.mutations = mutations
    with pytest.raises(ConfigError) as err:
        Experiment(small_config)
    for word in words:
        assert word in str(err.value)


def test_float32_matches_float64_on_a_tight_cluster_far_from_the_origin():
    """The collapsed case: 256 samples, std 0.01, centred at (4, 4). cdist's matrix-product formula (used for more
    than 25 rows) cancels catastrophically in float32 there (-9.0 nats against -6.4, a 63 % gradient error)."""
    x = 4 + 0.01 * torch.randn(256, 2, generator=torch.Generator().manual_seed(0))
    single, double = x.clone().requires_grad_(), x.double().clone().requires_grad_()
    h32, h64 = knn_entropy(single), knn_entropy(double)
    assert h64.item() == pytest.approx(-6.42, abs=0.05)  # the true value for this draw: 2 log(0.01) + O(1)
    assert h32.item() == pytest.approx(h64.item(), abs=1e-3)
    h32.backward()
    h64.backward()
    error = (single.grad.double() - double.grad).norm() / double.grad.norm()
    assert 0 <= error.item() < 1e-4
