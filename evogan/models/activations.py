"""EM-GAN's entropy-driven activations (papers/em-gan-entropy-maximization.txt, 3.2).

The paper defines ESA(x) = x * exp(alpha * H(x)) for the generator and
EALReLU(x) = x if x >= 0 else beta * H(x) * x for the discriminator, with H
"the Shannon entropy of the output distribution, computed over a mini-batch",
and leaves H's form and both constants open. Our reading:

- H is a batch statistic per unit (feature, or channel of a conv map): the
  differential entropy of a Gaussian with the unit's batch variance,
  h = 0.5 * log(2 * pi * e * (var + eps)) -- the largest entropy any
  distribution with that variance has -- squashed to (0, 1) by a sigmoid so
  that the activations stay bounded: H = sigmoid(h). A collapsed batch
  (var -> 0) gives H -> 0; a unit-variance batch gives H = 0.80. Gradients
  flow through H, as through BatchNorm's statistics, so the generator is
  rewarded for spreading its features (the entropy-maximisation intent).
- ESA scales the generator's base nonlinearity: ESA(x) = relu(x) * exp(alpha * H).
  The literal x * exp(alpha * H(x)) has no nonlinearity in x, and a generator
  built only from it would be an affine map of z, which cannot fit a
  multimodal distribution; the paper calls ESA "a modified version of ...
  ReLU", which we follow. The scale lies in [1, e^alpha].
- EALReLU's leak is beta * H in [0, beta]: ReLU for a collapsed batch, a
  LeakyReLU of slope up to beta (0.2, the usual DCGAN slope) for a spread one,
  as the paper describes.

Both depend on the batch, like BatchNorm in training mode; samples are always
drawn in batches here. They have no parameters and no buffers.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["batch_entropy", "EntropySensitiveActivation", "EntropyAdjustedLeakyReLU"]

_LOG_2PI_E = math.log(2 * math.pi * math.e)


def batch_entropy(x: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Per-unit H in (0, 1), shaped to broadcast against ``x`` (dim 1 is the unit; the rest are pooled)."""
    dims = [d for d in range(x.dim()) if d != 1]
    variance = x.var(dim=dims, unbiased=False, keepdim=True)
    return torch.sigmoid(0.5 * (_LOG_2PI_E + torch.log(variance + eps)))


class EntropySensitiveActivation(nn.Module):
    """ESA(x) = relu(x) * exp(alpha * H(x)), H the per-unit batch entropy (``batch_entropy``)."""

    def __init__(self, alpha: float = 0.2):
        super().__init__()
        self.alpha = alpha

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x) * torch.exp(self.alpha * batch_entropy(x))

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class EntropyAdjustedLeakyReLU(nn.Module):
    """EALReLU(x) = x if x >= 0 else beta * H(x) * x, H the per-unit batch entropy."""

    def __init__(self, beta: float = 0.2):
        super().__init__()
        self.beta = beta

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.where(x >= 0, x, self.beta * batch_entropy(x) * x)

    def extra_repr(self) -> str:
        return f"beta={self.beta}"
