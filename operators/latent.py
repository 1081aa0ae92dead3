"""Priors of the generator's noise vector z.

A prior draws on the device of its random generator, so the same partial
serves a run's main process and its parallel workers, whatever their device.
"""

from __future__ import annotations

from functools import partial

import torch

from .registry import LATENTS

__all__ = ["normal", "uniform", "mean_rescaled", "latent_sampler"]


@LATENTS.register("normal")
def normal(n: int, generator: torch.Generator, *, dim: int) -> torch.Tensor:
    """z ~ N(0, I)."""
    return torch.randn(n, dim, generator=generator, device=generator.device)


@LATENTS.register("uniform")
def uniform(n: int, generator: torch.Generator, *, dim: int) -> torch.Tensor:
    """z ~ U(-1, 1)^dim, the prior of the crossover paper's Algorithm 2."""
    return torch.rand(n, dim, generator=generator, device=generator.device).mul_(2).sub_(1)


def mean_rescaled(n: int, generator: torch.Generator, *, dim: int, prior) -> torch.Tensor:
    """Mean rescaling (Song & Kim 2023, eq. 2): z + mu, one mu ~ U(-1, 1) per latent vector.

    ``z`` is drawn from ``prior`` first, then the shifts, both from ``generator``.
    The paper adds mu after its common-feature map; we add it to the drawn z,
    before the map (DESIGN 4.4's definition). The map being linear, the two
    differ only in the direction of the shift: W·1 (learned) instead of 1.
    """
    z = prior(n, generator, dim=dim)
    shift = torch.rand(n, 1, generator=generator, device=generator.device).mul_(2).sub_(1)
    return z + shift


def latent_sampler(config):
    """The run's z sampler ``fn(n, generator)``: ``latent_distribution``, mean-rescaled if configured."""
    prior = LATENTS.get(config.latent_distribution, "latent_distribution")
    if config.latent_mean_rescaling:
        return partial(mean_rescaled, dim=config.latent_dim, prior=prior)
    return partial(prior, dim=config.latent_dim)
