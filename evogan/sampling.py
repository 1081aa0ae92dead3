"""Drawing samples from individuals and from a whole population."""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch.func import functional_call

__all__ = ["generate", "sample_population", "split_evenly"]


def generate(generator: torch.nn.Module, weights: dict, z: torch.Tensor) -> torch.Tensor:
    """G(z) with ``weights`` (an individual) swapped into the architecture ``generator``."""
    return functional_call(generator, weights, (z,))


def split_evenly(n: int, parts: int) -> list[int]:
    """Sizes of ``parts`` shares of ``n`` that differ by at most one (the first ones larger)."""
    return [n // parts + (i < n % parts) for i in range(parts)]


def sample_population(
    members: Sequence[dict],
    n: int,
    rng: torch.Generator,
    *,
    generator: torch.nn.Module,
    sample_latent: Callable[[int, torch.Generator], torch.Tensor],
) -> torch.Tensor:
    """n samples drawn evenly from the members (E-GAN's fakes for D: m / mu per parent)."""
    shares = [(m, k) for m, k in zip(members, split_evenly(n, len(members))) if k]
    return torch.cat([generate(generator, m, sample_latent(k, rng)) for m, k in shares])
