"""E-GAN's three generator-loss mutations (Wang et al. 2019, eqs. 2-4).

Each is a pure function of the discriminator's raw output on the fakes, which
for the standard family is a logit l with D(G(z)) = sigmoid(l). They are
written on logits with softplus for numerical stability:
log D = -softplus(-l) and log(1 - D) = -softplus(l).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .registry import LOSSES

__all__ = ["minimax", "heuristic", "least_squares"]


@LOSSES.register("minimax")
def minimax(d_fake: torch.Tensor) -> torch.Tensor:
    """M_minimax = E log(1 - D(G(z))): saturates when D rejects the fakes."""
    return -F.softplus(d_fake).mean()


@LOSSES.register("heuristic")
def heuristic(d_fake: torch.Tensor) -> torch.Tensor:
    """M_heuristic = -E log D(G(z)): the non-saturating loss."""
    return F.softplus(-d_fake).mean()


@LOSSES.register("least_squares")
def least_squares(d_fake: torch.Tensor) -> torch.Tensor:
    """M_least-squares = E (D(G(z)) - 1)^2, on D's probability output."""
    return (torch.sigmoid(d_fake) - 1).pow(2).mean()
