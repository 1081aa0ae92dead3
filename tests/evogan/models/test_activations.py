"""EM-GAN's ESA and EALReLU: the batch entropy by hand, both activations by hand, and in the evolution loop."""

from __future__ import annotations

import math

import pytest
import torch

from evogan import Config, Experiment
from evogan.models.activations import EntropyAdjustedLeakyReLU, EntropySensitiveActivation, batch_entropy


def _h(variance: float) -> float:
    return 1 / (1 + math.exp(-0.5 * math.log(2 * math.pi * math.e * (variance + 1e-5))))


def test_batch_entropy_by_hand_per_unit():
    # unit 0: values (-1, 1): variance 1; unit 1: all 3: variance 0 (collapsed)
    x = torch.tensor([[-1.0, 3.0], [1.0, 3.0]])
    h = batch_entropy(x)
    assert h.shape == (1, 2)
    assert h[0, 0].item() == pytest.approx(_h(1.0), abs=1e-6)
    assert h[0, 0].item() == pytest.approx(0.8052, abs=1e-3)  # sigmoid(0.5 * log(2 pi e))
    assert h[0, 1].item() == pytest.approx(_h(0.0), abs=1e-6)
    assert 0.0 < h[0, 1].item() < 0.02  # a collapsed unit: H near 0


def test_batch_entropy_pools_a_conv_channel_over_batch_and_space():
    x = torch.zeros(2, 1, 2, 2)
    x[0, 0] = torch.tensor([[0.0, 2.0], [0.0, 2.0]])  # 8 values: four 0, two 2, two 0 → mean 0.5, var 0.75
    h = batch_entropy(x)
    assert h.shape == (1, 1, 1, 1)
    assert h.item() == pytest.approx(_h(0.75), abs=1e-6)


def test_esa_and_ealrelu_by_hand():
    x = torch.tensor([[-1.0], [1.0]])  # variance 1
    h = _h(1.0)
    esa = EntropySensitiveActivation(alpha=0.5)(x)
    assert esa.flatten().tolist() == pytest.approx([0.0, math.exp(0.5 * h)], abs=1e-6)
    eal = EntropyAdjustedLeakyReLU(beta=0.2)(x)
    assert eal.flatten().tolist() == pytest.approx([-0.2 * h, 1.0], abs=1e-6)
    collapsed = torch.tensor([[-1.0], [-1.0]])  # H ~ 0: EALReLU behaves like ReLU
    assert EntropyAdjustedLeakyReLU(0.2)(collapsed).abs().max().item() < 0.004


def test_esa_rewards_spread_through_its_gradient():
    """d/dx of sum ESA(x) on a positive batch includes H's pull towards a larger variance."""
    x = torch.tensor([[1.0], [2.0]], requires_grad=True)
    (grad,) = torch.autograd.grad(EntropySensitiveActivation(1.0)(x).sum(), x)
    # without the entropy term both gradients would equal exp(alpha*H); the larger value is pushed up more
    assert grad[1].item() > grad[0].item() > 0


@pytest.mark.parametrize("dataset, extra", [("ring", {}), ("mnist", {"latent_dim": 16, "batch_size": 16, "eval_batch_size": 32})])
def test_activations_in_the_models_and_in_the_loop(dataset, extra):
    config = Config(dataset=dataset, population_size=2, p_cross=0.5, generations=3,
                    model={"hidden": 16, "g_layers": 2, "d_layers": 2, "width": 8, "g_activation": "esa",
                           "d_activation": "ealrelu", "esa_alpha": 0.3, "ealrelu_beta": 0.1},
                    log={"progress": False, "plots": False}, **extra)
    ex = Experiment(config)
    kinds = {type(m).__name__ for m in ex.generator.modules()} | {type(m).__name__ for m in ex.adversary.discriminator.modules()}
    assert {"EntropySensitiveActivation", "EntropyAdjustedLeakyReLU"} <= kinds
    assert not {"ReLU", "LeakyReLU"} & kinds
    ex.run()
    assert len(ex.logbook) == 3 and all(row["discarded"] == 0 for row in ex.logbook)
    assert torch.isfinite(ex.sample(64)).all()
    ex.close()
