"""The MLPs of the mixture benchmarks.

By default a ReLU generator and a LeakyReLU 0.2 discriminator. The options
reproduce PacGAN's 2-D networks (Lin et al. 2018): BatchNorm after every
hidden layer of the generator (``model.g_norm = "batch"``, torch's, or ``"pacgan"``, PacGAN's code's; the Linear layer
before it has no bias, BatchNorm's shift takes its place), maxout units in the
discriminator (``model.d_activation = "maxout"``: each hidden layer computes
``pieces`` affine maps per unit and keeps their maximum), and N(0, sigma)
initial weights with zero biases (``model.init_std``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from .registry import MODELS, discriminator_activation, generator_activation, require_kind

__all__ = ["MLP", "Maxout", "PacGANBatchNorm", "pacgan_batch_norm", "NORMS", "mlp_generator", "mlp_discriminator",
           "mlp_models", "normal_init"]


class Maxout(nn.Module):
    """The maximum over groups of ``pieces`` consecutive features: (..., units * pieces) -> (..., units)."""

    def __init__(self, pieces: int):
        super().__init__()
        self.pieces = pieces

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.unflatten(-1, (-1, self.pieces)).amax(-1)

    def extra_repr(self) -> str:
        return f"pieces={self.pieces}"


class MLP(nn.Sequential):
    """Linear layers with activations between: an ``nn.Sequential`` (same state-dict names, same layers) that
    runs with less Python per call, since E-GAN calls these small networks thousands of times per second.

    - ``forward`` calls each layer's ``forward`` directly: hooks on the MLP itself run, hooks on its single
      layers do not.
    - ``forward_with(weights, x)`` is ``functional_call(self, weights, (x,))`` without swapping the weights in
      and out of the layers (what ``evogan.core.sampling.run_with`` uses for individuals); it falls back to
      ``functional_call`` when a layer other than a plain ``nn.Linear`` or ``nn.BatchNorm1d`` holds parameters
      or buffers.
    Together they took evogan's E-GAN generation from 1.21x to 1.15x a hand-written loop (benchmarks/README.md).
    """

    def __init__(self, *layers: nn.Module):
        super().__init__(*layers)
        self._direct = all(type(layer) in (nn.Linear, nn.BatchNorm1d, PacGANBatchNorm)
                           or not (list(layer.parameters()) or list(layer.buffers()))
                           for layer in layers)

    def forward(self, x):
        for layer in self._modules.values():
            x = layer.forward(x)
        return x

    def forward_with(self, weights: dict, x):
        if not self._direct:
            return functional_call(self, weights, (x,), tie_weights=False)
        for name, layer in self._modules.items():
            if type(layer) is nn.Linear:
                x = F.linear(x, weights[name + ".weight"], weights.get(name + ".bias"))
            elif type(layer) is nn.BatchNorm1d:
                x = _batch_norm(layer, name, weights, x)
            elif type(layer) is PacGANBatchNorm:
                x = pacgan_batch_norm(x, weights[name + ".running_mean"], weights[name + ".running_std"],
                                      weights[name + ".weight"], weights[name + ".bias"], layer.training,
                                      layer.momentum, layer.eps)
            else:
                x = layer.forward(x)
        return x


def _batch_norm(layer: nn.BatchNorm1d, name: str, weights: dict, x):
    """``layer(x)`` with the individual's own scale, shift and running averages (updated in place in training)."""
    if layer.training:
        weights[name + ".num_batches_tracked"].add_(1)  # as nn.BatchNorm1d does; the momentum is fixed
    return F.batch_norm(x, weights[name + ".running_mean"], weights[name + ".running_var"], weights.get(name + ".weight"),
                        weights.get(name + ".bias"), layer.training, layer.momentum, layer.eps)


def pacgan_batch_norm(x, running_mean, running_std, weight, bias, training: bool, momentum: float, eps: float):
    """Batch normalisation as PacGAN's generator has it (the Blocks library's): in training, divide by
    sqrt(biased batch variance + eps) and move the running mean and the running *standard deviation* (that same
    divisor) towards the batch's by ``momentum``, in place; in evaluation, divide by the running standard
    deviation itself (no eps)."""
    if training:
        mean = x.mean(0)
        std = ((x - mean).pow(2).mean(0) + eps).sqrt()
        with torch.no_grad():
            running_mean.mul_(1.0 - momentum).add_(momentum * mean.detach())
            running_std.mul_(1.0 - momentum).add_(momentum * std.detach())
    else:
        mean, std = running_mean, running_std
    return (x - mean) / std * weight + bias


class PacGANBatchNorm(nn.Module):
    """``pacgan_batch_norm`` as a layer: eps 1e-4 and momentum 0.05 (PacGAN's code: Blocks' default eps, its own
    0.95/0.05 average of the population statistics); running mean 0 and standard deviation 1 at the start."""

    def __init__(self, features: int, eps: float = 1e-4, momentum: float = 0.05):
        super().__init__()
        self.eps, self.momentum = eps, momentum
        self.weight = nn.Parameter(torch.ones(features))
        self.bias = nn.Parameter(torch.zeros(features))
        self.register_buffer("running_mean", torch.zeros(features))
        self.register_buffer("running_std", torch.ones(features))

    def forward(self, x):
        return pacgan_batch_norm(x, self.running_mean, self.running_std, self.weight, self.bias, self.training,
                                 self.momentum, self.eps)


#: model.g_norm -> the normalisation layer after each hidden Linear layer of the generator MLP
NORMS = {"none": None, "batch": nn.BatchNorm1d, "pacgan": PacGANBatchNorm}


def _mlp(sizes: list[int], activation, *, norm=None, widen: int = 1) -> MLP:
    """Linear layers of ``sizes``; each hidden one followed by [``norm`` (its Linear has no bias)] + activation.

    ``widen``: hidden Linear layers output ``widen`` features per unit (maxout's pieces).
    """
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        hidden = i < len(sizes) - 2
        layers.append(nn.Linear(a, b * widen if hidden else b, bias=not (hidden and norm is not None)))
        if hidden:
            layers += [norm(b * widen)] if norm is not None else []
            layers.append(activation())
    return MLP(*layers)


def mlp_generator(latent_dim: int, hidden: int, layers: int, out_dim: int, activation=nn.ReLU, *,
                  batch_norm: bool = False, norm=None) -> nn.Module:
    """``norm``: a layer class after each hidden Linear (``batch_norm=True``: torch's BatchNorm1d)."""
    norm = nn.BatchNorm1d if batch_norm and norm is None else norm
    return _mlp([latent_dim] + [hidden] * layers + [out_dim], activation, norm=norm)


def mlp_discriminator(in_dim: int, hidden: int, layers: int, activation=None, *, maxout_pieces: int = 0) -> nn.Module:
    """``maxout_pieces`` > 0: maxout units of that many pieces instead of ``activation``."""
    if maxout_pieces:
        return _mlp([in_dim] + [hidden] * layers + [1], lambda: Maxout(maxout_pieces), widen=maxout_pieces)
    return _mlp([in_dim] + [hidden] * layers + [1], activation or (lambda: nn.LeakyReLU(0.2)))


def normal_init(network: nn.Module, std: float) -> nn.Module:
    """Linear weights N(0, std), biases 0 (PacGAN's initialisation); BatchNorm keeps scale 1, shift 0."""
    for module in network.modules():
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, 0.0, std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
    return network


@MODELS.register("mlp")
def mlp_models(config, data):
    require_kind("mlp", data, "points")
    m = config.model
    maxout = m.d_activation == "maxout"
    generator = mlp_generator(config.latent_dim, m.g_hidden or m.hidden, m.g_layers, data.dim, generator_activation(config),
                              norm=NORMS[m.g_norm])
    discriminator = mlp_discriminator(data.dim * config.pack, m.d_hidden or m.hidden, m.d_layers,
                                      None if maxout else discriminator_activation(config),
                                      maxout_pieces=m.maxout_pieces if maxout else 0)
    if m.init_std > 0:
        normal_init(generator, m.init_std)
        normal_init(discriminator, m.init_std)
    return generator, discriminator

