"""The model registry: family name → builder(config, data) → (generator, discriminator)."""

from __future__ import annotations

from torch import nn

from ..config import ConfigError
from ..registry import Registry

__all__ = ["MODELS", "build_models", "DEFAULT_FAMILY"]

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
    return MODELS.get(family, "model.family")(config, data)


def require_kind(family: str, data, kind: str) -> None:
    if data.kind != kind:
        raise ConfigError(f"model.family: {family} is built for {kind} data, but dataset {data.name!r} is {data.kind} data")
