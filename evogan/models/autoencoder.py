"""Autoencoder discriminators of the BEGAN families (``adversary = "began_v3"`` / ``"began_cs"``).

``AutoEncoder.encode(x)`` gives the latent mean and, when ``variational``, the
log-variance (BEGAN v3's VAE); ``decode(z)`` reconstructs. The latent has the
generator's noise size, which the constraint loss L_c = ||z - Enc(G(z))||
needs. Points use MLPs; images a DCGAN-style conv encoder and a mirrored
transposed-conv decoder (tanh output, the images' range), LeakyReLU 0.2 (the
paper's choice) or ``model.d_activation`` in between, no BatchNorm.
"""

from __future__ import annotations

import torch
from torch import nn

from .dcgan import _stages, dcgan_init
from .mlp import _mlp
from .registry import discriminator_activation

__all__ = ["AutoEncoder", "build_autoencoder"]


class AutoEncoder(nn.Module):
    def __init__(self, encoder: nn.Module, decoder: nn.Module, latent_dim: int, variational: bool):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder
        self.latent_dim, self.variational = latent_dim, variational

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(mean, log-variance) of q(z|x); the log-variance is None for a plain autoencoder."""
        h = self.encoder(x)
        if self.variational:
            mean, log_var = h.chunk(2, dim=1)
            return mean, log_var
        return h, None

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The deterministic reconstruction Dec(mean of q(z|x))."""
        return self.decode(self.encode(x)[0])


def _points_autoencoder(config, data, activation, out: int) -> tuple[nn.Module, nn.Module]:
    m, n = config.model, config.latent_dim
    encoder = _mlp([data.dim] + [m.hidden] * m.d_layers + [out], activation)
    decoder = _mlp([n] + [m.hidden] * m.d_layers + [data.dim], activation)
    return encoder, decoder


def _image_autoencoder(config, data, activation, out: int) -> tuple[nn.Module, nn.Module]:
    channels, size, _ = data.shape
    start, halvings = _stages(size)
    width, n = config.model.width, config.latent_dim
    enc, ch = [], channels
    for i in range(halvings):
        enc += [nn.Conv2d(ch, width * 2**i, 4, 2, 1), activation()]
        ch = width * 2**i
    encoder = nn.Sequential(*enc, nn.Flatten(), nn.Linear(ch * start * start, out))
    dec = [nn.Linear(n, ch * start * start), nn.Unflatten(1, (ch, start, start)), activation()]
    for i in reversed(range(halvings)):
        target = width * 2 ** (i - 1) if i else channels
        dec += [nn.ConvTranspose2d(ch, target, 4, 2, 1)] + ([activation()] if i else [nn.Tanh()])
        ch = target
    decoder = nn.Sequential(*dec)
    encoder.apply(dcgan_init)
    decoder.apply(dcgan_init)
    return encoder, decoder


def build_autoencoder(config, data, *, variational: bool) -> AutoEncoder:
    """A VAE (BEGAN v3) or a plain autoencoder (BEGAN-CS) for ``data``, latent size ``config.latent_dim``."""
    builder = _image_autoencoder if data.kind == "image" else _points_autoencoder
    out = 2 * config.latent_dim if variational else config.latent_dim
    encoder, decoder = builder(config, data, discriminator_activation(config), out)
    return AutoEncoder(encoder, decoder, config.latent_dim, variational=variational)
