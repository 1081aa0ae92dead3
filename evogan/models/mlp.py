"""The MLPs of the mixture benchmarks (ReLU generator, LeakyReLU 0.2 discriminator)."""

from __future__ import annotations

from torch import nn

from .registry import MODELS, discriminator_activation, generator_activation, require_kind

__all__ = ["mlp_generator", "mlp_discriminator", "mlp_models"]


def _mlp(sizes: list[int], activation) -> nn.Sequential:
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


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

