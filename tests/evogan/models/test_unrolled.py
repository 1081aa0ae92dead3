"""PacGAN's hard Stacked-MNIST networks (unrolled_dcgan): shapes and parameter counts by hand, D's size, packing,
and a short run inside the evolution loop."""

from __future__ import annotations

import pytest
import torch

from evogan import Config, ConfigError, Experiment
from evogan.models import MODELS, unrolled_discriminator, unrolled_generator


def count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_the_generator_by_hand():
    # Linear 256 -> 4*4*64 (+ bias), BN 64, ConvT 64->32 / 32->16 / 16->8 (3 x 3, + bias) with BN, Conv 8->3 (+ bias)
    expected = (256 * 1024 + 1024) + 2 * 64 + (64 * 32 * 9 + 32) + 2 * 32 + (32 * 16 * 9 + 16) + 2 * 16 \
        + (16 * 8 * 9 + 8) + 2 * 8 + (8 * 3 * 9 + 3)
    g = unrolled_generator(256, 3)
    assert count(g) == expected == 287875
    with torch.no_grad():
        x = g(torch.randn(5, 256))
    assert x.shape == (5, 3, 28, 28) and float(x.abs().max()) <= 1.0


@pytest.mark.parametrize("scale, pack, widths, expected", [
    (0.5, 1, (4, 8, 16), (3 * 4 * 9 + 4) + 8 + (4 * 8 * 9 + 8) + 16 + (8 * 16 * 9 + 16) + 32 + (16 * 16 + 1)),  # D = 1/2 G
    (0.25, 2, (2, 4, 8), (6 * 2 * 9 + 2) + 4 + (2 * 4 * 9 + 4) + 8 + (4 * 8 * 9 + 8) + 16 + (8 * 16 + 1)),  # D = 1/4 G
])
def test_the_discriminator_by_hand(scale, pack, widths, expected):
    d = unrolled_discriminator(3 * pack, scale)
    convs = [m for m in d if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == list(widths) and convs[0].in_channels == 3 * pack
    assert [c.kernel_size for c in convs] == [(3, 3)] * 3 and [c.stride for c in convs] == [(2, 2)] * 3
    assert count(d) == expected
    assert d(torch.randn(7, 3 * pack, 28, 28)).shape == (7, 1)
    # batch statistics only: a sample's logit depends on the batch it is judged in, never on a running average
    assert all(not m.track_running_stats for m in d if isinstance(m, torch.nn.BatchNorm2d))


def test_e_gan_with_a_quarter_size_packed_d_inside_the_loop():
    config = Config(dataset="stacked_mnist", latent_dim=256, generations=2, population_size=1, p_cross=0.0,
                    pack=2, batch_size=8, eval_batch_size=8, model={"family": "unrolled_dcgan", "d_scale": 0.25},
                    log={"progress": False})
    exp = Experiment(config)
    first = next(m for m in exp.adversary.discriminator.modules() if isinstance(m, torch.nn.Conv2d))
    assert first.in_channels == 6 and first.out_channels == 2
    exp.run()
    assert len(exp.logbook) == 2 and all(ind.fitness.valid for ind in exp.population)
    samples = exp.sample(4, seed_tag="test", generation=0)
    assert samples.shape == (4, 3, 28, 28) and torch.isfinite(samples).all()
    exp.close()


def test_other_image_sizes_are_a_clear_error():
    assert "unrolled_dcgan" in MODELS
    with pytest.raises(ConfigError, match="28 px"):
        Experiment(Config(dataset="mnist", data={"image_size": 32}, model={"family": "unrolled_dcgan"},
                          log={"progress": False}))
