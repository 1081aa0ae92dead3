"""PacGAN's Stacked-MNIST networks of its hard variants (PacGAN Table 3, after the Unrolled GAN paper), family
``unrolled_dcgan``: a small generator and a discriminator a fraction of its size.

Read from PacGAN's released code (``stacked_MNIST_experiments/unrolled_GAN_experiment/D=0.5G`` and ``D=0.25G``):

- G: z (256, normal) → Linear to 4 × 4 × 64, BatchNorm, ReLU → three 3 × 3 stride-2 transposed convolutions to
  7 × 7 × 32, 14 × 14 × 16 and 28 × 28 × 8, each with BatchNorm and ReLU → a 3 × 3 stride-1 convolution to the
  3 channels → tanh.
- D: three 3 × 3 stride-2 convolutions with BatchNorm and LeakyReLU 0.3 (28 → 14 → 7 → 4) → Linear to one logit.
  Its channels are (8, 16, 32) × ``model.d_scale``: 0.5 gives PacGAN's D = ½G (4, 8, 16), 0.25 its D = ¼G (2, 4, 8).
  Packing m multiplies D's input channels by m, as PacGAN's code does.
- Weights N(0, 0.02), biases 0, BatchNorm scales 1 (TensorFlow's initialisers in that code; its convolutions draw
  from a normal truncated at 2σ, here a plain normal).

Two differences are left: TensorFlow's "SAME" padding of a stride-2 transposed convolution puts the extra row and
column at the end, PyTorch's ``output_padding`` does too but the kernel's alignment differs by one pixel; and D's
BatchNorm uses batch statistics only, as every evogan discriminator does (so that scoring one child cannot change
the next one's score).
"""

from __future__ import annotations

from torch import nn

from ..config import ConfigError
from .registry import MODELS, require_kind

__all__ = ["unrolled_generator", "unrolled_discriminator", "unrolled_models", "D_CHANNELS"]

#: D's channels at d_scale = 1 (PacGAN's D = ½G halves them, D = ¼G quarters them)
D_CHANNELS = (8, 16, 32)


def unrolled_generator(latent_dim: int, channels: int = 3) -> nn.Sequential:
    def up(cin, cout, extra):  # 3 x 3, stride 2: 4 -> 7 (extra 0), 7 -> 14 and 14 -> 28 (extra 1)
        return [nn.ConvTranspose2d(cin, cout, 3, 2, 1, output_padding=extra), nn.BatchNorm2d(cout), nn.ReLU(True)]

    return nn.Sequential(
        nn.Linear(latent_dim, 64 * 4 * 4), nn.Unflatten(1, (64, 4, 4)), nn.BatchNorm2d(64), nn.ReLU(True),
        *up(64, 32, 0), *up(32, 16, 1), *up(16, 8, 1),
        nn.Conv2d(8, channels, 3, 1, 1), nn.Tanh(),
    )


def unrolled_discriminator(channels: int, d_scale: float) -> nn.Sequential:
    widths = [max(1, round(c * d_scale)) for c in D_CHANNELS]
    layers, cin = [], channels
    for cout in widths:
        layers += [nn.Conv2d(cin, cout, 3, 2, 1), nn.BatchNorm2d(cout, track_running_stats=False),
                   nn.LeakyReLU(0.3, True)]
        cin = cout
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(cin * 4 * 4, 1))


def _init(module: nn.Module) -> None:
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


@MODELS.register("unrolled_dcgan")
def unrolled_models(config, data):
    require_kind("unrolled_dcgan", data, "image")
    channels, size, _ = data.shape
    if size != 28:
        raise ConfigError(f"model.family: unrolled_dcgan is PacGAN's 28 px Stacked-MNIST network; these images are "
                          f"{size} px (data.image_size)")
    generator = unrolled_generator(config.latent_dim, channels)
    discriminator = unrolled_discriminator(channels * config.pack, config.model.d_scale)
    generator.apply(_init)
    discriminator.apply(_init)
    return generator, discriminator
