"""BEGAN v3 / BEGAN-CS discriminator families: every term by hand, k_t control, the loop, Ray, clear errors."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from evogan import Config, ConfigError, Experiment
from evogan.adversaries import ADVERSARIES
from evogan.adversaries.began import kl_to_standard_normal, reconstruction_error
from evogan.models.autoencoder import AutoEncoder
from evogan.runner import run
from tests.conftest import stable_logbook


def test_reconstruction_error_l1_and_l2_by_hand():
    v = torch.tensor([[1.0, -2.0], [0.0, 0.5]])
    rec = torch.tensor([[0.5, -1.0], [0.0, 0.0]])
    assert reconstruction_error(v, rec, 1).tolist() == pytest.approx([(0.5 + 1.0) / 2, 0.5 / 2])
    assert reconstruction_error(v, rec, 2).tolist() == pytest.approx([(0.25 + 1.0) / 2, 0.25 / 2])


def test_kl_to_the_standard_normal_by_hand():
    mean = torch.tensor([[1.0, 0.0]])
    log_var = torch.tensor([[0.0, math.log(2.0)]])
    # per dimension: 0.5 * (1 + 1 - 1 - 0) = 0.5 and 0.5 * (0 + 2 - 1 - log 2); averaged
    expected = (0.5 + 0.5 * (1 - math.log(2))) / 2
    assert kl_to_standard_normal(mean, log_var).item() == pytest.approx(expected, abs=1e-6)
    assert kl_to_standard_normal(torch.zeros(3, 4), torch.zeros(3, 4)).item() == 0.0


def _config(**extra):
    return Config(began_gamma=0.5, began_lambda_k=0.1, began_alpha=0.1, began_eta=1, **extra)


def _tiny(family: str):
    """1-D autoencoder: mean = 2x (log-variance 0 for the VAE), reconstruction = 0.5 * mean + 0.1 = x + 0.1."""
    variational = family == "began_v3"
    encoder = nn.Linear(1, 2 if variational else 1)
    decoder = nn.Linear(1, 1)
    with torch.no_grad():
        encoder.weight.zero_()
        encoder.bias.zero_()
        encoder.weight[0, 0] = 2.0
        decoder.weight.fill_(0.5)
        decoder.bias.fill_(0.1)
    adversary = ADVERSARIES[family](AutoEncoder(encoder, decoder, 1, variational), _config(), "cpu", k=0.5)
    return adversary


REAL, FAKE, Z = torch.tensor([[1.0], [-1.0]]), torch.tensor([[0.5]]), torch.tensor([[0.2]])


@pytest.mark.parametrize(
    "family, expected",
    [
        # L(x) = L(G(z)) = 0.1 everywhere; KL(real) = mean 0.5 * (2x)^2 = 2, KL(fake) = 0.5; L_c = |0.2 - 2 * 0.5| = 0.8
        ("began_v3", ((0.1 - 0.5 * 0.1) + (2.0 - 0.5 * 0.5)) / 2 + 0.1 * 0.8),
        ("began_cs", 0.1 - 0.5 * 0.1 + 0.1 * 0.8),
    ],
)
def test_discriminator_loss_by_hand(family, expected):
    adversary = _tiny(family)
    loss, real_error, fake_error = adversary.loss(REAL, FAKE, Z)
    assert loss.item() == pytest.approx(expected, abs=1e-6)
    assert real_error.item() == pytest.approx(0.1, abs=1e-6) and fake_error.item() == pytest.approx(0.1, abs=1e-6)
    assert adversary(FAKE).tolist() == pytest.approx([0.1], abs=1e-6)  # what the 'began' loss consumes


@pytest.mark.parametrize("family", ["began_v3", "began_cs"])
def test_fitness_is_minus_the_fake_error_and_the_norm_of_the_whole_gradient(family):
    adversary = _tiny(family)
    judge = adversary.judge(sample_real=lambda n, rng: REAL, sample_latent=lambda n, rng: Z, batch_size=2, seed=0, generation=1)
    f_q, norm = adversary.score(FAKE, judge)
    assert f_q == pytest.approx(-0.1, abs=1e-6)
    grads = torch.autograd.grad(adversary.loss(REAL, FAKE, Z)[0], adversary.params)
    assert norm == pytest.approx(float(sum((g**2).sum() for g in grads).sqrt()), rel=1e-6)


def test_k_update_and_m_global_by_hand_and_clipped():
    adversary = _tiny("began_v3")  # k = 0.5, lambda_k = 0.1, gamma = 0.5
    adversary.update_k(real_error=1.0, fake_error=0.2)  # balance 0.5 - 0.2 = 0.3
    assert adversary.k == pytest.approx(0.53) and adversary.m_global == pytest.approx(1.3)
    adversary.update_k(real_error=1.0, fake_error=1.5)  # balance -1.0
    assert adversary.k == pytest.approx(0.43) and adversary.m_global == pytest.approx(2.0)
    adversary.k = 0.99
    adversary.update_k(real_error=4.0, fake_error=0.0)  # +0.2: clipped to 1
    assert adversary.k == 1.0
    adversary.k = 0.01
    adversary.update_k(real_error=0.0, fake_error=3.0)  # -0.3: clipped to 0
    assert adversary.k == 0.0


def test_a_training_step_updates_k_from_that_steps_errors():
    adversary = _tiny("began_cs")
    adversary.k = 0.2

    def make_fakes(parents, n, rng, with_latents=False):
        return FAKE, Z

    adversary.train([None], make_fakes=make_fakes, sample_real=lambda n, rng: REAL, steps=1, batch_size=2, seed=0, generation=1)
    # L(x) = L(G(z)) = 0.1 before the step: k = 0.2 + 0.1 * (0.05 - 0.1) = 0.195
    assert adversary.k == pytest.approx(0.195, abs=1e-6)
    assert adversary.diagnostics() == {"k_t": adversary.k, "m_global": pytest.approx(0.1 + 0.05, abs=1e-6)}


def began_config(family="began_v3", **extra) -> Config:
    base = dict(
        adversary=family, mutations=["began", "began+entropy"], population_size=2, generations=4, batch_size=32,
        eval_batch_size=64, latent_dim=4, latent_distribution="uniform", p_cross=0.5, lr_g=1e-3, lr_d=1e-3,
        beta1=0.9, beta2=0.999, model={"hidden": 16, "g_layers": 2, "d_layers": 2},
        log={"progress": False, "plots": False},
    )
    base.update(extra)
    return Config(**base)


@pytest.mark.parametrize("family", ["began_v3", "began_cs"])
def test_began_families_in_the_loop_with_entropy_and_crossover(family):
    ex = Experiment(began_config(family, entropy_space="features"))
    assert isinstance(ex.adversary.discriminator, AutoEncoder)
    assert ex.adversary.discriminator.variational == (family == "began_v3")
    ex.run()
    ks = ex.logbook.select("k_t")
    assert len(ks) == 4 and all(0.0 <= k <= 1.0 for k in ks) and ks[-1] > 0  # L(x) > L(G(z)) early: k rises
    assert all(math.isfinite(m) and m > 0 for m in ex.logbook.select("m_global"))
    assert all(row["discarded"] == 0 and row["nevals"] == 4 for row in ex.logbook)
    f_q = ex.logbook.chapters["f_q"].select("max")
    assert all(q < 0 for q in f_q)  # -L(G(z))
    ex.close()


def test_an_image_run_plots_k_t_and_m_global(tmp_path):
    config = began_config(dataset="mnist", latent_dim=8, batch_size=16, eval_batch_size=32, generations=3,
                          model={"width": 8}, metrics={"every": 3, "samples": 200},
                          log={"progress": False, "grid_size": 16})
    run_dir = run(config, root=tmp_path)
    assert (run_dir / "discriminator.png").stat().st_size > 5000
    header = (run_dir / "logbook.csv").read_text().splitlines()[0].split(",")
    assert {"k_t", "m_global"} <= set(header)


@pytest.mark.timeout(240)
def test_ray_workers_score_with_the_current_k(ray_session):
    results = []
    for parallel in ({}, {"backend": "ray", "workers": 2, "start_timeout": 60.0}):
        ex = Experiment(began_config(began_lambda_k=0.05, parallel=parallel))
        try:
            ex.run()
            results.append((stable_logbook(ex.logbook), [dict(i) for i in ex.population]))
        finally:
            ex.close()
    assert results[0][0] == results[1][0]
    assert all(torch.equal(a[k], b[k]) for a, b in zip(results[0][1], results[1][1]) for k in a)


@pytest.mark.parametrize(
    "family, mutations, words",
    [
        ("began_v3", ["heuristic"], ["'heuristic' does not work with the 'began_v3'", "losses that do: began"]),
        ("began_cs", ["began", "minimax+entropy"], ["'minimax'", "'began_cs'"]),
        ("standard", ["began"], ["'began' does not work with the 'standard'", "minimax, heuristic, least_squares"]),
    ],
)
def test_a_loss_the_family_cannot_support_is_a_clear_error(family, mutations, words):
    with pytest.raises(ConfigError) as err:
        Experiment(began_config(family, mutations=mutations))
    for word in words:
        assert word in str(err.value)
