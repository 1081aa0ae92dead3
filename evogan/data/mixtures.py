"""Gaussian mixtures: PacGAN's ring and grid, and a family the defaults were never tuned on (no download).

Every mixture is a ``GaussianMixture`` scored with PacGAN's metric (``evogan.metrics.mixture_metrics``): its
centres, its standard deviation (one for all, or one per mode and axis) and its mode weights (equal, or not:
reverse KL is then measured against the true weights).
"""

from __future__ import annotations

import math

import torch

from ..metrics.mixtures import mixture_metrics
from .registry import DATASETS

__all__ = ["GaussianMixture", "ring", "grid", "ring16", "grid49", "grid_close", "spiral", "ring_unequal",
           "grid_anisotropic", "cross10d"]


class GaussianMixture:
    """A mixture of axis-aligned Gaussians: ``centres`` (K, D); ``std`` one float for all modes or a (K, D) tensor
    per mode and axis; ``weights`` (K,) the modes' probabilities (None: equal)."""

    kind = "points"

    def __init__(self, name: str, centres: torch.Tensor, std, device="cpu", weights: torch.Tensor | None = None):
        self.name = name
        self.centres = centres.to(device)
        self.std = std.to(device) if torch.is_tensor(std) else float(std)
        self.weights = None if weights is None else (weights / weights.sum()).to(device)
        self.device = device
        self.dim = centres.shape[1]

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        if self.weights is None:
            modes = torch.randint(len(self.centres), (n,), generator=generator, device=self.device)
        else:
            modes = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        noise = torch.randn(n, self.dim, generator=generator, device=self.device)
        scale = self.std[modes] if torch.is_tensor(self.std) else self.std
        return self.centres[modes] + scale * noise

    def metrics(self, samples: torch.Tensor) -> dict:
        return mixture_metrics(samples, self.centres, self.std, weights=self.weights)


def _ring_centres(modes: int, radius: float) -> torch.Tensor:
    angles = torch.tensor([2 * math.pi * i / modes for i in range(modes)], dtype=torch.float64)
    return (radius * torch.stack([angles.cos(), angles.sin()], dim=1)).float()


def _grid_centres(side: int, spacing: float) -> torch.Tensor:
    axis = spacing * (torch.arange(side, dtype=torch.float32) - (side - 1) / 2)
    return torch.cartesian_prod(axis, axis)


@DATASETS.register("ring")
def ring(config=None, device="cpu", modes: int = 8, radius: float = 1.0, std: float = 0.01) -> GaussianMixture:
    """PacGAN's ring: 8 Gaussians on the unit circle at angles 2*pi*i/8, std 0.01."""
    return GaussianMixture("ring", _ring_centres(modes, radius), std, device)


@DATASETS.register("grid")
def grid(config=None, device="cpu", std: float = 0.05) -> GaussianMixture:
    """PacGAN's grid: 25 Gaussians centred on {-4, -2, 0, 2, 4}^2, std 0.05."""
    return GaussianMixture("grid", _grid_centres(5, 2.0), std, device)


@DATASETS.register("ring16")
def ring16(config=None, device="cpu") -> GaussianMixture:
    """16 Gaussians on the unit circle, std 0.01 (neighbours 0.39 apart: half the 8-ring's spacing)."""
    return GaussianMixture("ring16", _ring_centres(16, 1.0), 0.01, device)


@DATASETS.register("grid49")
def grid49(config=None, device="cpu") -> GaussianMixture:
    """49 Gaussians on {-6, -4, ..., 6}^2, std 0.05 (the grid's spacing, a wider square)."""
    return GaussianMixture("grid49", _grid_centres(7, 2.0), 0.05, device)


@DATASETS.register("grid_close")
def grid_close(config=None, device="cpu") -> GaussianMixture:
    """25 Gaussians on {-2, -1, 0, 1, 2}^2, std 0.05 (modes 20 sigma apart, half the grid's spacing)."""
    return GaussianMixture("grid_close", _grid_centres(5, 1.0), 0.05, device)


@DATASETS.register("spiral")
def spiral(config=None, device="cpu") -> GaussianMixture:
    """20 Gaussians along 1.5 turns of an Archimedean spiral, radius 0.5 to 3, std 0.02: uneven, neighbours
    0.31 apart at the centre and 1.45 at the rim."""
    k = torch.arange(20, dtype=torch.float64)
    theta, radius = 3 * math.pi * k / 19, 0.5 + 2.5 * k / 19
    centres = torch.stack([radius * theta.cos(), radius * theta.sin()], dim=1).float()
    return GaussianMixture("spiral", centres, 0.02, device)


@DATASETS.register("ring_unequal")
def ring_unequal(config=None, device="cpu") -> GaussianMixture:
    """The 8-ring with unequal weights, w_i proportional to 8^(-i/7): the heaviest mode 8 times the lightest
    (27.0 % to 3.4 %); reverse KL against these weights."""
    weights = torch.tensor([8.0 ** (-i / 7) for i in range(8)], dtype=torch.float64)
    return GaussianMixture("ring_unequal", _ring_centres(8, 1.0), 0.01, device, weights=weights.float())


@DATASETS.register("grid_anisotropic")
def grid_anisotropic(config=None, device="cpu") -> GaussianMixture:
    """The 25-grid with elongated modes: std (0.1, 0.025) where i + j is even, (0.025, 0.1) where it is odd
    (a checkerboard of horizontal and vertical modes); distances in each mode's own units."""
    centres = _grid_centres(5, 2.0)
    i, j = torch.div(torch.arange(25), 5, rounding_mode="floor"), torch.arange(25) % 5
    even = ((i + j) % 2 == 0).unsqueeze(1)
    std = torch.where(even, torch.tensor([0.1, 0.025]), torch.tensor([0.025, 0.1]))
    return GaussianMixture("grid_anisotropic", centres, std, device)


@DATASETS.register("cross10d")
def cross10d(config=None, device="cpu") -> GaussianMixture:
    """20 Gaussians in 10-D at +e_i and -e_i (i = 0..9), std 0.05 per axis (neighbours sqrt 2 apart)."""
    eye = torch.eye(10)
    return GaussianMixture("cross10d", torch.cat([eye, -eye]), 0.05, device)
