"""DCGAN (Radford et al. 2016) generator and discriminator for 28, 32 and 64 pixel images.

The generator maps z to a ``start`` × ``start`` map (7 for 28 px, 4 for 32 and
64 px) and doubles it with stride-2 transposed convolutions, halving the
channels each time down to ``width``; BatchNorm + ReLU between, tanh at the
end. The discriminator mirrors it with stride-2 convolutions and LeakyReLU 0.2
and ends in one logit.

BatchNorm and evolution: the generator's running averages are buffers in each
individual's weights; the engine clones them for every child, so a child's
training step never touches its parent's or a sibling's statistics (see
``evogan.core.sampling``). The discriminator normalises with batch statistics only
(``track_running_stats=False``): it has no buffers, so scoring one child
leaves nothing behind that could change the score of the next, and the
results do not depend on the order children are evaluated in.
"""

from __future__ import annotations

import math

from torch import nn

from .registry import MODELS, discriminator_activation, generator_activation, require_kind

__all__ = ["dcgan_generator", "dcgan_discriminator", "dcgan_models", "SUPPORTED_SIZES"]

#: image side → side of the first feature map
SUPPORTED_SIZES = {28: 7, 32: 4, 64: 4}


def _stages(size: int) -> tuple[int, int]:
    if size not in SUPPORTED_SIZES:
        raise ValueError(f"DCGAN supports {sorted(SUPPORTED_SIZES)} pixel images, not {size}")
    start = SUPPORTED_SIZES[size]
    return start, int(math.log2(size // start))


def dcgan_generator(latent_dim: int, channels: int, size: int, width: int = 64, activation=None) -> nn.Sequential:
    """``activation``: factory of the hidden nonlinearity (default ReLU)."""
    activation = activation or (lambda: nn.ReLU(True))
    start, doublings = _stages(size)
    ch = width * 2 ** (doublings - 1)
    layers = [
        nn.Unflatten(1, (latent_dim, 1, 1)),
        nn.ConvTranspose2d(latent_dim, ch, start, 1, 0, bias=False),
        nn.BatchNorm2d(ch),
        activation(),
    ]
    for _ in range(doublings - 1):
        layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2), activation()]
        ch //= 2
    layers += [nn.ConvTranspose2d(ch, channels, 4, 2, 1), nn.Tanh()]
    return nn.Sequential(*layers)


def dcgan_discriminator(channels: int, size: int, width: int = 64, activation=None) -> nn.Sequential:
    """``activation``: factory of the hidden nonlinearity (default LeakyReLU 0.2)."""
    activation = activation or (lambda: nn.LeakyReLU(0.2, True))
    start, halvings = _stages(size)
    ch = width
    layers = [nn.Conv2d(channels, ch, 4, 2, 1), activation()]
    for _ in range(halvings - 1):
        layers += [
            nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ch * 2, track_running_stats=False),
            activation(),
        ]
        ch *= 2
    layers += [nn.Conv2d(ch, 1, start, 1, 0), nn.Flatten()]
    return nn.Sequential(*layers)


def dcgan_init(module: nn.Module) -> None:
    """The DCGAN paper's initialisation: conv weights N(0, 0.02), BatchNorm scales N(1, 0.02)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


@MODELS.register("dcgan")
def dcgan_models(config, data):
    require_kind("dcgan", data, "image")
    channels, size, _ = data.shape
    generator = dcgan_generator(config.latent_dim, channels, size, config.model.width, generator_activation(config))
    discriminator = dcgan_discriminator(channels * config.pack, size, config.model.width, discriminator_activation(config))
    generator.apply(dcgan_init)
    discriminator.apply(dcgan_init)
    return generator, discriminator
