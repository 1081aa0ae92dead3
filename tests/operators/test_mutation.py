"""The loss mutation: one Adam step of a tiny affine G against a tiny linear D, by hand."""

import math

import pytest
import torch

from evogan.core.adam import adam_step
from operators import heuristic, mutate
from operators.latent import uniform
from tests.conftest import Affine1D, LinearD, affine_individual, sigmoid

LR, BETAS = 0.01, (0.5, 0.99)


def fixed_latent(values):
    """A prior that always returns ``values`` (shape (n, 1)), so gradients are hand-computable."""
    z = torch.tensor(values).unsqueeze(1)
    return lambda n, rng: z[:n]


def mutate_affine(parent, donor=None, z=(-1.0, 0.5, 2.0), steps=1, loss=heuristic, d=None):
    d = d or LinearD()
    return mutate(
        parent, donor, loss=loss, generator=Affine1D(), discriminate=lambda x: d(x).squeeze(-1),
        sample_latent=fixed_latent(list(z)), batch_size=len(z), lr=LR, betas=BETAS, steps=steps, seed=0,
    )


def heuristic_grads(a, c, z, w=1.5, b=-0.5):
    """d/da and d/dc of mean softplus(-(w (a z + c) + b)) = mean(-sigmoid(-l) * w * dx)."""
    ls = [w * (a * zi + c) + b for zi in z]
    ga = sum(-sigmoid(-l) * w * zi for l, zi in zip(ls, z)) / len(z)
    gc = sum(-sigmoid(-l) * w for l in ls) / len(z)
    return ga, gc


def test_one_step_matches_hand_computed_adam():
    z = (-1.0, 0.5, 2.0)
    parent = affine_individual(0.3, -0.2)
    child = mutate_affine(parent, z=z)
    ga, gc = heuristic_grads(0.3, -0.2, z)
    # first Adam step from zero moments: m_hat = g, v_hat = g^2, so theta -= lr * g / (|g| + eps)
    assert float(child["a"]) == pytest.approx(0.3 - LR * ga / (abs(ga) + 1e-8), abs=1e-7)
    assert float(child["c"]) == pytest.approx(-0.2 - LR * gc / (abs(gc) + 1e-8), abs=1e-7)
    assert float(child.adam["exp_avg"]["a"]) == pytest.approx((1 - BETAS[0]) * ga, rel=1e-5)
    assert float(child.adam["exp_avg_sq"]["c"]) == pytest.approx((1 - BETAS[1]) * gc * gc, rel=1e-5)
    assert child.adam["step"] == 1
    # the loss recorded is the loss of the step, at the parent's weights
    l = [1.5 * (0.3 * zi - 0.2) - 0.5 for zi in z]
    assert child.scores["loss"] == pytest.approx(sum(math.log1p(math.exp(-x)) for x in l) / 3, rel=1e-6)


def test_parent_is_untouched_and_child_owns_its_tensors():
    parent = affine_individual(0.3, -0.2)
    before = {k: v.clone() for k, v in parent.items()}
    child = mutate_affine(parent, steps=3)
    assert all(torch.equal(parent[k], before[k]) for k in before)
    assert parent.adam["step"] == 0 and child.adam["step"] == 3
    assert not child.fitness.valid
    child["a"].add_(1.0)
    assert torch.equal(parent["a"], before["a"])


def test_k_steps_equal_k_single_steps():
    parent = affine_individual(0.3, -0.2)
    two = mutate_affine(parent, steps=2)
    one = mutate_affine(mutate_affine(parent))
    assert float(two["a"]) == pytest.approx(float(one["a"]), abs=1e-7)
    assert float(two["c"]) == pytest.approx(float(one["c"]), abs=1e-7)


def test_seeded_noise_is_reproducible():
    parent = affine_individual(0.3, -0.2)
    d = LinearD()
    kwargs = dict(loss=heuristic, generator=Affine1D(), discriminate=lambda x: d(x).squeeze(-1),
                  sample_latent=lambda n, rng: uniform(n, rng, dim=1),
                  batch_size=8, lr=LR, betas=BETAS)
    a1 = mutate(parent, seed=5, **kwargs)
    a2 = mutate(parent, seed=5, **kwargs)
    b = mutate(parent, seed=6, **kwargs)
    # (the first Adam step is ~ lr * sign(g) whatever the noise; the moments hold g itself)
    assert torch.equal(a1.adam["exp_avg"]["a"], a2.adam["exp_avg"]["a"]) and torch.equal(a1["c"], a2["c"])
    assert not torch.equal(a1.adam["exp_avg"]["a"], b.adam["exp_avg"]["a"])


def test_adam_state_continues_the_parent():
    # a parent with history: the child's step uses its moments, not fresh ones
    parent = mutate_affine(mutate_affine(affine_individual(0.3, -0.2)))
    z = (-1.0, 0.5, 2.0)
    child = mutate_affine(parent, z=z)
    ga, gc = heuristic_grads(float(parent["a"]), float(parent["c"]), z)
    expected, state = adam_step(
        {k: parent[k] for k in ("a", "c")}, {"a": torch.tensor(ga), "c": torch.tensor(gc)}, parent.adam, lr=LR, betas=BETAS
    )
    assert float(child["a"]) == pytest.approx(float(expected["a"]), abs=1e-7)
    assert child.adam["step"] == 3 == state["step"]
