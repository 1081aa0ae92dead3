"""What every discriminator family shares: the ``ADVERSARIES`` registry, PacGAN's packing, the gradient norm behind
the diversity fitness, and the generation's evaluation batch (``Judge``)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..core.registry import Registry

__all__ = ["ADVERSARIES", "Judge", "gradient_norm", "pack", "per_sample"]

#: discriminator families: name → class(discriminator, config, device)
ADVERSARIES = Registry("discriminator family")


def pack(x: torch.Tensor, m: int) -> torch.Tensor:
    """PacGAN's packing: groups of ``m`` consecutive samples concatenated along the first feature axis.

    (B, C, ...) -> (B / m, m * C, ...): 2-D points become 2m-vectors, images m*C-channel images. m = 1 returns
    ``x`` itself. B must be a multiple of m (the config checks the batch sizes).
    """
    if m == 1:
        return x
    return x.reshape(x.shape[0] // m, m * x.shape[1], *x.shape[2:])


def per_sample(fn, x: torch.Tensor, m: int) -> torch.Tensor:
    """``fn`` of packed ``x`` with each pack's row repeated for every sample in it (n rows for n samples).

    For what reads D sample by sample (DynGAN's detector): a sample's value is that of the pack it lies in;
    samples are packed with their neighbours in ``x``, wrapping around to fill the last pack.
    """
    if m == 1:
        return fn(x)
    n = x.shape[0]
    wrapped = x[torch.arange(n + (-n % m), device=x.device) % n]  # the last pack filled from the start
    return fn(wrapped).repeat_interleave(m, dim=0)[:n]


def gradient_norm(real_grads, fake_grads) -> float:
    """||grad_w L_D|| from the gradients of L_D's real and fake terms (one foreach call for all tensors)."""
    norms = torch._foreach_norm(torch._foreach_add(list(real_grads), list(fake_grads)))
    return float(torch.linalg.vector_norm(torch.stack(norms)))


@dataclass
class Judge:
    """One generation's evaluation batch, shared by all its children.

    ``real_grads`` is the gradient of L_D's real-data term; it is the same for
    every child, so it is computed once per generation and only the fake term
    is differentiated per child (exactly the gradient of the full L_D).
    """

    z: torch.Tensor
    real_grads: list
