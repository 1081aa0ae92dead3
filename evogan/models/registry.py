"""The model registry: family name → builder(config, data) → (generator, discriminator)."""

from __future__ import annotations

import dataclasses
from functools import partial

from torch import nn

from ..config import ConfigError
from ..core.registry import Registry
from .activations import EntropyAdjustedLeakyReLU, EntropySensitiveActivation

__all__ = ["MODELS", "build_models", "DEFAULT_FAMILY", "generator_activation", "discriminator_activation"]

#: network families: name → fn(config, data) -> (generator, discriminator)
MODELS = Registry("model family")

#: the family ``model.family = "auto"`` picks for each kind of data
DEFAULT_FAMILY = {"points": "mlp", "image": "dcgan"}


def build_models(config, data) -> tuple[nn.Module, nn.Module]:
    """(generator architecture, discriminator) for ``data``; initialised from torch's global RNG."""
    family = config.model.family
    if family == "auto":
        family = DEFAULT_FAMILY.get(data.kind)
        if family is None:
            raise ConfigError(f"model.family: no default family for {data.kind!r} data; set one of: {', '.join(MODELS.names())}")
    builder = MODELS.get(family, "model.family")
    extra = config.latent_common_features
    if not extra:
        return builder(config, data)
    # CFT: G = body(W z + b), with W z of latent_dim + FD entries; the map is part of every individual's weights
    body, discriminator = builder(dataclasses.replace(config, latent_dim=config.latent_dim + extra), data)
    return nn.Sequential(nn.Linear(config.latent_dim, config.latent_dim + extra), body), discriminator


def generator_activation(config):
    """Factory of the generator's hidden nonlinearity (``model.g_activation``)."""
    if config.model.g_activation == "esa":
        return partial(EntropySensitiveActivation, config.model.esa_alpha)
    return nn.ReLU


def discriminator_activation(config):
    """Factory of the discriminator's hidden nonlinearity (``model.d_activation``)."""
    if config.model.d_activation == "ealrelu":
        return partial(EntropyAdjustedLeakyReLU, config.model.ealrelu_beta)
    if config.model.d_activation == "maxout":
        raise ConfigError("model.d_activation: maxout units exist in the mlp family only; use leaky_relu or ealrelu")
    return partial(nn.LeakyReLU, 0.2)


def require_kind(family: str, data, kind: str) -> None:
    if data.kind != kind:
        raise ConfigError(f"model.family: {family} is built for {kind} data, but dataset {data.name!r} is {data.kind} data")
