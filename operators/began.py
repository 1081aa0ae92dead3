"""The BEGAN generator loss, the mutation of the BEGAN discriminator families (``evogan.adversaries.began``)."""

from __future__ import annotations

import torch

from .registry import LOSSES

__all__ = ["began_loss"]


@LOSSES.register("began")
def began_loss(errors: torch.Tensor) -> torch.Tensor:
    """L(G(z)): the mean of D's per-sample reconstruction errors on the fakes."""
    return errors.mean()


began_loss.consumes = "reconstruction_error"  # refused with logit discriminators, and they with it
