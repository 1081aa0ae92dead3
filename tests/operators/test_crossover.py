"""On-the-fly crossover: the child holds g''s weights after one step taken with g's Adam state."""

import numpy as np
import pytest
import torch

from evogan.core.individual import Individual
from operators import heuristic, mutate, on_the_fly_crossover
from tests.conftest import Affine1D, LinearD, affine_individual
from tests.operators.test_mutation import mutate_affine


def test_p_cross_one_always_takes_the_drawn_member():
    population = [affine_individual(i, 0, f"g0.i{i}") for i in range(4)]
    for seed in range(20):
        rng, twin = np.random.default_rng(seed), np.random.default_rng(seed)
        twin.random()
        expected = population[int(twin.integers(4))]
        assert on_the_fly_crossover(population[0], population, p_cross=1.0, rng=rng) is expected


def test_p_cross_zero_never_crosses_and_rate_matches_p():
    population = [affine_individual(i, 0, f"g0.i{i}") for i in range(4)]
    assert all(
        on_the_fly_crossover(population[1], population, p_cross=0.0, rng=np.random.default_rng(s)) is population[1]
        for s in range(200)
    )
    # with p = 0.4, the donor is another member with probability 0.4 * 3/4 = 0.3
    rng = np.random.default_rng(0)
    crossed = np.mean([on_the_fly_crossover(population[1], population, p_cross=0.4, rng=rng) is not population[1]
                       for _ in range(4000)])
    assert crossed == pytest.approx(0.3, abs=0.03)


def test_child_is_donor_weights_stepped_with_parent_adam_state():
    parent = mutate_affine(mutate_affine(affine_individual(0.3, -0.2, "g")))  # parent with Adam history
    donor = affine_individual(-0.7, 0.4, "g2")
    child = mutate_affine(parent, donor)
    # the reading of Algorithm 2: g''s weights, g's moments, one step
    hybrid = Individual(dict(donor), adam=parent.adam)
    expected = mutate_affine(hybrid)
    assert torch.equal(child["a"], expected["a"]) and torch.equal(child["c"], expected["c"])
    assert child.adam["step"] == parent.adam["step"] + 1
    assert not torch.equal(child["a"], mutate_affine(parent)["a"])


def test_crossover_costs_no_extra_forward_or_backward_pass():
    calls = {"d": 0, "g": 0}
    d = LinearD()

    class CountingG(Affine1D):
        def forward(self, z):
            calls["g"] += 1
            return super().forward(z)

    def discriminate(x):
        calls["d"] += 1
        return d(x).squeeze(-1)

    def count(donor):
        calls.update(d=0, g=0)
        mutate(affine_individual(0.3, -0.2), donor, loss=heuristic, generator=CountingG(), discriminate=discriminate,
               sample_latent=lambda n, rng: torch.ones(n, 1), batch_size=4, lr=0.01, betas=(0.5, 0.99), steps=2)
        return dict(calls)

    assert count(None) == count(affine_individual(1.0, 1.0, "donor")) == {"d": 2, "g": 2}
