"""The MLPs of the mixture benchmarks (ReLU generator, LeakyReLU 0.2 discriminator)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from .registry import MODELS, discriminator_activation, generator_activation, require_kind

__all__ = ["MLP", "mlp_generator", "mlp_discriminator", "mlp_models"]


class MLP(nn.Sequential):
    """Linear layers with activations between: an ``nn.Sequential`` (same state-dict names, same layers) that
    runs with less Python per call, since E-GAN calls these small networks thousands of times per second.

    - ``forward`` calls each layer's ``forward`` directly: hooks on the MLP itself run, hooks on its single
      layers do not.
    - ``forward_with(weights, x)`` is ``functional_call(self, weights, (x,))`` without swapping the weights in
      and out of the layers (what ``evogan.sampling.run_with`` uses for individuals); it falls back to
      ``functional_call`` when a layer other than a plain ``nn.Linear`` holds parameters or buffers.
    Together they took evogan's E-GAN generation from 1.21x to 1.15x a hand-written loop (benchmarks/README.md).
    """

    def __init__(self, *layers: nn.Module):
        super().__init__(*layers)
        self._direct = all(type(layer) is nn.Linear or not (list(layer.parameters()) or list(layer.buffers()))
                           for layer in layers)

    def forward(self, x):
        for layer in self._modules.values():
            x = layer.forward(x)
        return x

    def forward_with(self, weights: dict, x):
        if not self._direct:
            return functional_call(self, weights, (x,), tie_weights=False)
        for name, layer in self._modules.items():
            if type(layer) is nn.Linear:
                x = F.linear(x, weights[name + ".weight"], weights.get(name + ".bias"))
            else:
                x = layer.forward(x)
        return x


def _mlp(sizes: list[int], activation) -> MLP:
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(activation())
    return MLP(*layers)


def mlp_generator(latent_dim: int, hidden: int, layers: int, out_dim: int, activation=nn.ReLU) -> nn.Module:
    return _mlp([latent_dim] + [hidden] * layers + [out_dim], activation)


def mlp_discriminator(in_dim: int, hidden: int, layers: int, activation=None) -> nn.Module:
    return _mlp([in_dim] + [hidden] * layers + [1], activation or (lambda: nn.LeakyReLU(0.2)))


@MODELS.register("mlp")
def mlp_models(config, data):
    require_kind("mlp", data, "points")
    m = config.model
    return (
        mlp_generator(config.latent_dim, m.hidden, m.g_layers, data.dim, generator_activation(config)),
        mlp_discriminator(data.dim, m.hidden, m.d_layers, discriminator_activation(config)),
    )

