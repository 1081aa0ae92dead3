"""Mean rescaling (MR) and common feature training (CFT): by hand, and in the evolution loop."""

from __future__ import annotations

from functools import partial

import torch

from evogan import Config, Experiment
from operators import LATENTS, latent_sampler, mean_rescaled


def test_mean_rescaling_adds_one_uniform_shift_per_vector():
    rng_a, rng_b = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    z = mean_rescaled(4000, rng_a, dim=3, prior=LATENTS["normal"])
    base = torch.randn(4000, 3, generator=rng_b)
    shift = torch.rand(4000, 1, generator=rng_b) * 2 - 1
    assert torch.equal(z, base + shift)
    offsets = z - base
    assert torch.allclose(offsets, shift.expand(-1, 3), atol=1e-6)  # the same mu on every entry of a vector
    assert -1.0 <= offsets.min().item() < -0.99 and 0.99 < offsets.max().item() <= 1.0
    assert abs(offsets.mean().item()) < 0.03 and abs(offsets.var().item() - 1 / 3) < 0.02  # U(-1, 1)


def test_latent_sampler_follows_the_config():
    plain = latent_sampler(Config(latent_dim=5, latent_distribution="uniform"))
    assert plain.func is LATENTS["uniform"] and plain.keywords == {"dim": 5}
    rescaled = latent_sampler(Config(latent_dim=5, latent_mean_rescaling=True))
    assert rescaled.func is mean_rescaled and rescaled.keywords["prior"] is LATENTS["normal"]
    assert rescaled(10, torch.Generator().manual_seed(0)).shape == (10, 5)


def test_common_features_put_a_learned_linear_map_in_front_of_g(small_config):
    small_config.latent_dim, small_config.latent_common_features = 3, 2
    ex = Experiment(small_config)
    first, body = ex.generator
    assert isinstance(first, torch.nn.Linear) and (first.in_features, first.out_features) == (3, 5)
    assert body[0].in_features == 5
    parent = ex.population[0]
    assert parent["0.weight"].shape == (5, 3)  # the map is part of every individual
    z = torch.randn(6, 3)
    by_hand = torch.func.functional_call(body, {k[2:]: v for k, v in parent.items() if k.startswith("1.")},
                                         (z @ parent["0.weight"].T + parent["0.bias"],))
    assert torch.allclose(torch.func.functional_call(ex.generator, dict(parent), (z,)), by_hand)
    ex.toolbox.train_discriminator(ex.population, generation=1)
    child = ex.toolbox.mutate_heuristic(parent, None, seed=1)
    assert not torch.equal(child["0.weight"], parent["0.weight"])  # trained with G
    ex.close()


def test_mr_and_cft_in_the_loop_with_egan_mutations_and_crossover():
    config = Config(dataset="mnist", latent_dim=16, population_size=2, batch_size=16, eval_batch_size=32,
                    model={"width": 8}, generations=3, p_cross=0.5, latent_mean_rescaling=True,
                    latent_common_features=4, mutations=["minimax", "heuristic+edge", "least_squares"],
                    log={"progress": False, "plots": False})
    ex = Experiment(config)
    assert isinstance(ex.sample_latent, partial) and ex.sample_latent.func is mean_rescaled
    ex.run()
    assert all(row["discarded"] == 0 and row["nevals"] == 6 for row in ex.logbook)
    assert ex.sample(8).shape == (8, 1, 28, 28)
    ex.close()
