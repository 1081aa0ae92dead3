"""The MLP: an nn.Sequential whose fast paths compute exactly what the standard calls compute."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.func import functional_call, vmap

from evogan.models import MLP, mlp_discriminator, mlp_generator
from evogan.models.activations import EntropySensitiveActivation
from evogan.core.sampling import run_with


@pytest.fixture
def generator():
    torch.manual_seed(0)
    return mlp_generator(3, 8, 2, 2)


def test_it_is_a_sequential_with_the_same_state_dict_names(generator):
    assert isinstance(generator, nn.Sequential) and isinstance(mlp_discriminator(2, 8, 2), MLP)
    assert list(generator.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]


def test_forward_equals_the_sequential_forward_and_a_hand_written_chain(generator):
    z = torch.randn(5, 3)
    by_hand = z
    for i in (0, 2, 4):
        by_hand = by_hand @ generator[i].weight.T + generator[i].bias
        by_hand = torch.relu(by_hand) if i < 4 else by_hand
    torch.testing.assert_close(generator(z), by_hand)
    torch.testing.assert_close(generator(z), nn.Sequential.forward(generator, z), rtol=0, atol=0)


def test_forward_with_equals_functional_call_and_leaves_the_module_alone(generator):
    z = torch.randn(5, 3)
    weights = {k: v + 0.5 for k, v in generator.state_dict().items()}
    own = {k: v.clone() for k, v in generator.state_dict().items()}
    torch.testing.assert_close(run_with(generator, weights, z), functional_call(generator, weights, (z,)), rtol=0, atol=0)
    assert not torch.allclose(run_with(generator, weights, z), generator(z))
    assert all(torch.equal(v, own[k]) for k, v in generator.state_dict().items())


def test_forward_with_under_vmap_gives_each_member_its_own_output(generator):
    members = [{k: v * (1 + 0.1 * i) for k, v in generator.state_dict().items()} for i in range(3)]
    stacked = {k: torch.stack([m[k] for m in members]) for k in members[0]}
    z = torch.randn(3, 4, 3)
    out = vmap(lambda w, x: run_with(generator, w, x))(stacked, z)
    for i, m in enumerate(members):
        torch.testing.assert_close(out[i], functional_call(generator, m, (z[i],)), rtol=1e-6, atol=1e-7)


def test_gradients_through_forward_with_equal_those_through_functional_call(generator):
    z = torch.randn(6, 3)
    grads = []
    for call in (run_with, lambda g, w, x: functional_call(g, w, (x,))):
        weights = {k: v.clone().requires_grad_(True) for k, v in generator.state_dict().items()}
        grads.append(torch.autograd.grad(call(generator, weights, z).pow(2).sum(), list(weights.values())))
    for mine, reference in zip(*grads):
        torch.testing.assert_close(mine, reference, rtol=0, atol=0)
        assert float(mine.abs().sum()) > 0


class _Scale(nn.Module):
    def __init__(self):
        super().__init__()
        self.gain = nn.Parameter(torch.tensor(2.0))

    def forward(self, x):
        return x * self.gain


def test_a_layer_with_its_own_parameters_falls_back_to_functional_call():
    torch.manual_seed(0)
    net = MLP(nn.Linear(3, 4), _Scale(), nn.Linear(4, 1))
    weights = {k: v + 1.0 for k, v in net.state_dict().items()}
    z = torch.randn(5, 3)
    torch.testing.assert_close(run_with(net, weights, z), functional_call(net, weights, (z,)), rtol=0, atol=0)
    # parameterless activations take the fast path and still see the batch (EM-GAN's ESA)
    esa = MLP(nn.Linear(3, 4), EntropySensitiveActivation(0.2), nn.Linear(4, 1))
    weights = dict(esa.state_dict())
    torch.testing.assert_close(run_with(esa, weights, z), functional_call(esa, weights, (z,)), rtol=0, atol=0)
