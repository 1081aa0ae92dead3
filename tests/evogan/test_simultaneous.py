"""The updates that share one child's latents between D and G: simultaneous (ALI / PacGAN: G's and D's gradients at
the same point on the same fakes) and same_latents (DCGAN-TensorFlow / PacGAN's Stacked MNIST: D's step, then G's
against the new D on the same latents), checked against gradients and first Adam steps computed here by hand on copies
of the networks, inside the evolution loop."""

import copy

import pytest
import torch
import torch.nn.functional as F

from evogan import Config, ConfigError, Experiment
from evogan.core.seeding import derive_seed, torch_generator

SETTINGS = dict(population_size=1, mutations=["heuristic"], p_cross=0.0, d_steps=1, g_steps=1, batch_size=8,
                eval_batch_size=8, generations=1, lr_g=1e-3, lr_d=2e-3, model={"hidden": 6, "g_layers": 1, "d_layers": 1},
                metrics={"every": 1, "samples": 100}, log={"progress": False, "plots": False})


def _by_hand(experiment, g_weights: dict, d_state: dict, g_sees_new_d: bool = False):
    """One generation computed here: (G's new weights, D's new weights); with ``g_sees_new_d``, G's gradient is taken
    against D after its step (same_latents), else against D before it (simultaneous)."""
    config = experiment.config
    n = config.samples()
    g = copy.deepcopy(experiment.generator).train()
    g.load_state_dict(g_weights)
    d = copy.deepcopy(experiment.adversary.discriminator)
    d.load_state_dict(d_state)
    z = experiment.sample_latent(n, torch.Generator().manual_seed(derive_seed(config.seed, 1, "child", 0, "heuristic")))
    real = experiment.data.sample(n, torch_generator(config.seed, 1, "discriminator"))
    fake = g(z)
    # L_D = -E log D(x) - E log(1 - D(G(z))) on these fakes; the heuristic L_G = -E log D(G(z)) on the same fakes
    d_grads = torch.autograd.grad(F.softplus(-d(real)).mean() + F.softplus(d(fake.detach())).mean(), list(d.parameters()))
    # Adam's first step, bias-corrected: theta - lr * g / (|g| + eps)
    new_d = [p.detach() - config.lr_d * gr / (gr.abs() + 1e-8) for p, gr in zip(d.parameters(), d_grads)]
    if g_sees_new_d:
        with torch.no_grad():
            for p, value in zip(d.parameters(), new_d):
                p.copy_(value)
    g_params = [p for p in g.parameters()]
    g_grads = torch.autograd.grad(F.softplus(-d(fake)).mean(), g_params)
    new_g = [p.detach() - config.lr_g * gr / (gr.abs() + 1e-8) for p, gr in zip(g_params, g_grads)]
    names_g = [name for name, _ in g.named_parameters()]
    return dict(zip(names_g, new_g)), new_d


def _run(update: str):
    experiment = Experiment(Config(**SETTINGS, update=update))
    g0 = {k: v.clone() for k, v in experiment.population[0].items()}
    d0 = copy.deepcopy(experiment.adversary.discriminator.state_dict())
    experiment.run()
    return experiment, g0, d0


def test_the_simultaneous_step_is_both_gradients_at_the_same_point_on_the_same_fakes():
    experiment, g0, d0 = _run("simultaneous")
    want_g, want_d = _by_hand(experiment, g0, d0)
    child = experiment.population[0]
    for name, value in want_g.items():
        assert torch.allclose(child[name], value, rtol=1e-5, atol=1e-7), name
    for got, value in zip(experiment.adversary.discriminator.parameters(), want_d):
        assert torch.allclose(got.detach(), value, rtol=1e-5, atol=1e-7)
    assert child.lineage["operator"] == "heuristic" and len(experiment.logbook) == 1
    experiment.close()

    # E-GAN's order steps D first and breeds against the new D on fresh fakes: G ends elsewhere (the test can fail)
    alternating, g0a, d0a = _run("alternating")
    assert all(torch.equal(g0[k], g0a[k]) for k in g0)
    moved = [float((alternating.population[0][k] - want_g[k]).abs().max()) for k in want_g]
    assert max(moved) > 1e-5
    alternating.close()


def test_the_same_latents_step_is_d_then_g_against_the_new_d_on_the_same_fakes():
    experiment, g0, d0 = _run("same_latents")
    want_g, want_d = _by_hand(experiment, g0, d0, g_sees_new_d=True)
    child = experiment.population[0]
    for name, value in want_g.items():
        assert torch.allclose(child[name], value, rtol=1e-5, atol=1e-7), name
    for got, value in zip(experiment.adversary.discriminator.parameters(), want_d):
        assert torch.allclose(got.detach(), value, rtol=1e-5, atol=1e-7)
    experiment.close()
    # the same D step as the simultaneous update; G's step differs, since it sees the new D (the test can fail)
    simultaneous, _, _ = _run("simultaneous")
    for got, value in zip(simultaneous.adversary.discriminator.parameters(), want_d):
        assert torch.allclose(got.detach(), value, rtol=1e-5, atol=1e-7)
    assert max(float((simultaneous.population[0][k] - want_g[k]).abs().max()) for k in want_g) > 1e-6
    simultaneous.close()


@pytest.mark.parametrize("update", ["simultaneous", "same_latents"])
def test_shared_latent_runs_are_reproducible_and_resume_on_the_vectorised_backend_alike(update):
    settings = {**SETTINGS, "generations": 5, "update": update}
    a, b = Experiment(Config(**settings)), Experiment(Config(**settings, parallel={"backend": "vectorized"}))
    a.run()
    b.run()
    assert [r["d_loss"] for r in a.logbook] == pytest.approx([r["d_loss"] for r in b.logbook], rel=1e-5)
    assert all(torch.allclose(a.population[0][k], b.population[0][k], rtol=1e-4, atol=1e-6) for k in a.population[0])
    a.close()
    b.close()


@pytest.mark.parametrize("key, value, named", [("population_size", 2, "population_size = 1"),
                                               ("d_steps", 2, "d_steps = 1"), ("g_steps", 3, "g_steps = 1"),
                                               ("p_cross", 0.5, "p_cross = 0.0"),
                                               ("mutations", ["heuristic", "minimax"], "mutations = 1 loss"),
                                               ("adversary", "began_v3", "adversary = 'standard'")])
@pytest.mark.parametrize("update", ["simultaneous", "same_latents"])
def test_shared_latent_updates_refuse_what_is_not_one_child_one_step_each(key, value, named, update):
    with pytest.raises(ConfigError, match=f"update: '{update}'.*{named}"):
        Config(**{**SETTINGS, key: value, "update": update})
