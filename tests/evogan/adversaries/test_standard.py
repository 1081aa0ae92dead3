"""The standard family's L_D when the fakes come from several generators: each generator's block is a batch of its own.

D here is BatchNorm (batch statistics, no affine) then the linear map l = 3 x, so every logit is computed by hand from
the block's mean and (biased) variance.
"""

import math

import pytest
import torch
from torch import nn

from evogan import Config
from evogan.adversaries import StandardAdversary
from tests.conftest import LinearD, affine_individual

EPS, W = 1e-5, 3.0


def batch_stat_d():
    linear = nn.Linear(1, 1)
    with torch.no_grad():
        linear.weight.fill_(W), linear.bias.zero_()
    return nn.Sequential(nn.BatchNorm1d(1, affine=False, track_running_stats=False, eps=EPS), linear)


def softplus(x):
    return math.log1p(math.exp(x))


def normalised(values):
    mean = sum(values) / len(values)
    var = sum((v - mean) ** 2 for v in values) / len(values)
    return [W * (v - mean) / math.sqrt(var + EPS) for v in values]


def column(values):
    return torch.tensor(values).unsqueeze(1)


REAL, FAKE_A, FAKE_B = [1.0, 3.0, 2.5], [0.0, 1.0, 5.0], [20.0, 21.0, 22.0]


def hand_loss(blocks):
    real_term = sum(softplus(-l) for l in normalised(REAL)) / len(REAL)
    n = sum(len(b) for b in blocks)
    return real_term + sum(len(b) / n * sum(softplus(l) for l in normalised(b)) / len(b) for b in blocks)


def test_each_generators_fakes_are_judged_as_their_own_batch():
    adv = StandardAdversary(batch_stat_d(), Config(), "cpu")
    real, fake = column(REAL), column(FAKE_A + FAKE_B)
    per_generator = float(adv.loss(real, fake, [3, 3]).detach())
    mixed = float(adv.loss(real, fake).detach())
    assert per_generator == pytest.approx(hand_loss([FAKE_A, FAKE_B]), rel=1e-6)
    assert mixed == pytest.approx(hand_loss([FAKE_A + FAKE_B]), rel=1e-6)
    # in a mixed batch the statistics are the mixture's: A's fakes all look low and B's all high
    assert abs(per_generator - mixed) > 0.03
    # one generator: the plain loss, bit for bit (single-generator runs are unchanged)
    assert torch.equal(adv.loss(real, column(FAKE_A), [3]), adv.loss(real, column(FAKE_A)))


def test_the_discriminator_step_trains_on_the_per_generator_loss():
    """train() with two parents splits the fakes as sample_population made them (pack 1: 3 + 3) and returns that L_D."""
    adv = StandardAdversary(batch_stat_d(), Config(lr_d=1e-3), "cpu")
    loss = adv.train([affine_individual(1.0, 0.0), affine_individual(2.0, 0.0, "g1.i0")],
                     make_fakes=lambda parents, n, rng: column(FAKE_A + FAKE_B),
                     sample_real=lambda n, rng: column(REAL),
                     steps=1, batch_size=6, seed=0, generation=1)
    assert loss == pytest.approx(hand_loss([FAKE_A, FAKE_B]), rel=1e-6)
    # the step followed the gradient of that loss: d/dw of softplus terms, computed by hand on the normalised values
    grad_w = (sum(-1 / (1 + math.exp(l)) * l / W for l in normalised(REAL)) / 3
              + sum(0.5 * sum(1 / (1 + math.exp(-l)) * l / W for l in normalised(b)) / 3 for b in (FAKE_A, FAKE_B)))
    assert float(adv.discriminator[1].weight) == pytest.approx(W - 1e-3 * math.copysign(1, grad_w), abs=1e-6)


def test_without_batch_statistics_the_split_changes_nothing():
    adv = StandardAdversary(LinearD(), Config(), "cpu")
    real, fake = column(REAL), column([0.5, -1.0, 2.0, 0.0, 1.0, 3.0])
    assert float(adv.loss(real, fake, [4, 2])) == pytest.approx(float(adv.loss(real, fake)), rel=1e-6)
