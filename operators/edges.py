"""The edge loss of Song & Kim 2023 (papers/cft-mean-rescaling-edge-loss.txt, 3.3), as a loss modifier.

The paper adds the squared difference between generated and real images to
the GAN loss so that the shapes of the two are compared; DESIGN 4.4 compares
their Sobel edge maps: lambda_e * E ||edges(G(z)) - edges(x)||^2, added to
any base generator loss (``heuristic+edge``). The norm is averaged over
pixels (the paper sums), so lambda_e = 1 weighs it like the base loss at
any image size.

Pairing (``edge_pairing``): the paper pairs each fake with an unrelated real
image (``random``). In expectation its gradient is that of
||edges(G(z)) - E edges(x)||^2, which pulls every fake towards the *mean*
real edge map; ``nearest`` instead pairs each fake with the real image of the
batch whose edges are closest, which pulls it towards a real shape without
favouring the mean.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .registry import MODIFIERS

__all__ = ["sobel_edges", "edge_loss"]

_SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


def sobel_edges(images: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Sobel gradient magnitude sqrt(g_x^2 + g_y^2) of each channel of (N, C, H, W) images; borders replicated."""
    channels = images.shape[1]
    kernels = torch.stack([_SOBEL_X, _SOBEL_X.T]).to(images)  # (2, 3, 3): d/dx, d/dy
    weight = kernels.unsqueeze(1).repeat(channels, 1, 1, 1)  # (2C, 1, 3, 3), two filters per channel
    padded = F.pad(images, (1, 1, 1, 1), mode="replicate")
    gradients = F.conv2d(padded, weight, groups=channels).unflatten(1, (channels, 2))
    return torch.sqrt(gradients.square().sum(2) + eps**2)  # eps: a finite gradient on flat regions


@MODIFIERS.register("edge")
def edge_loss(fake: torch.Tensor, *, rng: torch.Generator, adversary, data, config) -> torch.Tensor:
    """lambda_e * mean (edges(G(z)) - edges(x))^2 over a real batch drawn with ``rng``, paired per ``edge_pairing``."""
    real = data.sample(len(fake), rng)
    fake_edges, real_edges = sobel_edges(fake), sobel_edges(real)
    if config.edge_pairing == "nearest":
        with torch.no_grad():
            nearest = torch.cdist(fake_edges.flatten(1), real_edges.flatten(1)).argmin(1)
        real_edges = real_edges[nearest]
    return config.edge_weight * (fake_edges - real_edges).square().mean()


edge_loss.data_kind = "image"  # build_strategy refuses it on other data
