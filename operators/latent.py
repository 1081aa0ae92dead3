"""Priors of the generator's noise vector z.

A prior draws on the device of its random generator, so the same partial
serves a run's main process and its parallel workers, whatever their device.
"""

from __future__ import annotations

import torch

from .registry import LATENTS

__all__ = ["normal", "uniform"]


@LATENTS.register("normal")
def normal(n: int, generator: torch.Generator, *, dim: int) -> torch.Tensor:
    """z ~ N(0, I)."""
    return torch.randn(n, dim, generator=generator, device=generator.device)


@LATENTS.register("uniform")
def uniform(n: int, generator: torch.Generator, *, dim: int) -> torch.Tensor:
    """z ~ U(-1, 1)^dim, the prior of the crossover paper's Algorithm 2."""
    return torch.rand(n, dim, generator=generator, device=generator.device).mul_(2).sub_(1)
