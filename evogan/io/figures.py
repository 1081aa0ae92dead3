"""Image figures with torchvision's utilities: sample grids and latent interpolations."""

from __future__ import annotations

import math
from pathlib import Path

import torch
from torchvision.utils import make_grid, save_image

from ..core.sampling import generate

__all__ = ["image_grid", "save_images", "interpolation_latents", "interpolate"]


def image_grid(images: torch.Tensor, nrow: int | None = None) -> torch.Tensor:
    """A (3, H, W) grid in [0, 1] of generator outputs in [-1, 1]."""
    nrow = nrow or max(1, int(math.ceil(math.sqrt(len(images)))))
    return make_grid(images.detach().float().cpu().clamp(-1, 1), nrow=nrow, padding=2, normalize=True, value_range=(-1, 1))


def save_images(images: torch.Tensor, path: Path, nrow: int | None = None) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_image(image_grid(images, nrow), path)


def interpolation_latents(z1: torch.Tensor, z2: torch.Tensor, steps: int) -> torch.Tensor:
    """(rows * steps, d) latents (1 - a) z1 + a z2 for a = 0, 1/(steps-1), ..., 1, row by row."""
    alpha = torch.linspace(0.0, 1.0, steps, device=z1.device).view(1, steps, 1)
    return ((1 - alpha) * z1[:, None, :] + alpha * z2[:, None, :]).reshape(-1, z1.shape[1])


@torch.no_grad()
def interpolate(generator, weights, z1: torch.Tensor, z2: torch.Tensor, steps: int = 10, *, running_stats: bool = True) -> torch.Tensor:
    """G((1 - a) z1 + a z2) for each pair of rows of z1, z2, as (rows * steps, C, H, W)."""
    return generate(generator, weights, interpolation_latents(z1, z2, steps), running_stats=running_stats)
