"""The 2-D mixtures of the PacGAN protocol (no download)."""

from __future__ import annotations

import math

import torch

from ..metrics.mixtures import mixture_metrics
from .registry import DATASETS

__all__ = ["GaussianMixture", "ring", "grid"]


class GaussianMixture:
    """An equal-weight mixture of isotropic Gaussians in the plane."""

    kind = "points"

    def __init__(self, name: str, centres: torch.Tensor, std: float, device="cpu"):
        self.name = name
        self.centres = centres.to(device)
        self.std = float(std)
        self.device = device
        self.dim = centres.shape[1]

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        modes = torch.randint(len(self.centres), (n,), generator=generator, device=self.device)
        noise = torch.randn(n, self.dim, generator=generator, device=self.device)
        return self.centres[modes] + self.std * noise

    def metrics(self, samples: torch.Tensor) -> dict:
        return mixture_metrics(samples, self.centres, self.std)


@DATASETS.register("ring")
def ring(config=None, device="cpu", modes: int = 8, radius: float = 1.0, std: float = 0.01) -> GaussianMixture:
    """8 Gaussians on the unit circle at angles 2*pi*i/8, std 0.01."""
    angles = torch.tensor([2 * math.pi * i / modes for i in range(modes)], dtype=torch.float64)
    centres = radius * torch.stack([angles.cos(), angles.sin()], dim=1)
    return GaussianMixture("ring", centres.float(), std, device)


@DATASETS.register("grid")
def grid(config=None, device="cpu", std: float = 0.05) -> GaussianMixture:
    """25 Gaussians centred on {-4, -2, 0, 2, 4}^2, std 0.05."""
    axis = torch.tensor([-4.0, -2.0, 0.0, 2.0, 4.0])
    centres = torch.cartesian_prod(axis, axis)
    return GaussianMixture("grid", centres, std, device)
