"""F_q, F_d and F against hand computation with a linear discriminator l = w x + b."""

import math

import pytest
import torch

from evogan import Config
from evogan.adversaries import StandardAdversary
from fitness import FITNESSES, diversity, egan_fitness, evaluate, quality
from tests.conftest import Affine1D, LinearD, affine_individual, sigmoid

W, B = 1.5, -0.5
REAL = [1.0, 2.0, -0.5]
Z = [-1.0, 0.0, 1.0, 3.0]


def adversary():
    return StandardAdversary(LinearD(W, B), Config(), "cpu")


def column(values):
    return torch.tensor(values).unsqueeze(1)


def hand_scores(fakes):
    lf = [W * x + B for x in fakes]
    lr = [W * x + B for x in REAL]
    f_q = sum(sigmoid(l) for l in lf) / len(lf)
    # L_D = mean softplus(-l_r) + mean softplus(l_f); d/dl softplus(l) = sigmoid(l)
    gw = sum(-sigmoid(-l) * x for l, x in zip(lr, REAL)) / len(REAL) + sum(sigmoid(l) * x for l, x in zip(lf, fakes)) / len(fakes)
    gb = sum(-sigmoid(-l) for l in lr) / len(REAL) + sum(sigmoid(l) for l in lf) / len(fakes)
    return f_q, -math.log(math.hypot(gw, gb))


def test_quality_and_diversity_formulas():
    assert quality(torch.tensor([0.2, 0.4])) == pytest.approx(0.3)
    assert diversity(math.e ** -2) == pytest.approx(2.0)
    assert math.isinf(diversity(0.0)) and math.isnan(diversity(float("nan")))
    assert egan_fitness(0.3, 2.0, 0.1) == pytest.approx((0.5,))
    assert FITNESSES.get("quality")(0.3, 2.0, 0.1) == (0.3,)
    assert FITNESSES.get("diversity")(0.3, 2.0, 0.1) == (2.0,)
    # E-GAN's released code: F_q + gamma * log ||grad||, i.e. F_q - gamma * F_d
    assert FITNESSES.get("egan_released")(0.3, 2.0, 0.1) == pytest.approx((0.1,))


def test_the_released_sign_ranks_children_by_the_larger_gradient():
    """Of two children equal in F_q, the paper's F keeps the one D's loss is flatter around (small ||grad||) and the
    released code's F the one with the steeper loss."""
    flat, steep = diversity(0.5), diversity(2.0)  # F_d of ||grad|| = 0.5 and 2
    paper, released = FITNESSES.get("egan"), FITNESSES.get("egan_released")
    assert paper(0.4, flat, 0.1) > paper(0.4, steep, 0.1)
    assert released(0.4, steep, 0.1) > released(0.4, flat, 0.1)
    assert released(0.4, steep, 0.1)[0] == pytest.approx(0.4 + 0.1 * math.log(2.0))


def test_evaluate_matches_hand_computed_f_q_and_f_d():
    adv = adversary()
    judge = adv.judge(sample_real=lambda n, rng: column(REAL), sample_latent=lambda n, rng: column(Z),
                      batch_size=4, seed=0, generation=1)
    child = affine_individual(0.8, 0.1)
    values = evaluate(child, judge, generator=Affine1D(), adversary=adv, combine=egan_fitness, gamma=0.25)
    f_q, f_d = hand_scores([0.8 * z + 0.1 for z in Z])
    assert child.scores["f_q"] == pytest.approx(f_q, rel=1e-6)
    assert child.scores["f_d"] == pytest.approx(f_d, rel=1e-5)
    assert values[0] == pytest.approx(f_q + 0.25 * f_d, rel=1e-5)


def test_discriminator_loss_and_step():
    adv = adversary()
    real, fake = column(REAL), column([0.0, 1.0])
    expected = sum(math.log1p(math.exp(-(W * x + B))) for x in REAL) / 3 + sum(math.log1p(math.exp(W * x + B)) for x in (0.0, 1.0)) / 2
    assert float(adv.loss(real, fake).detach()) == pytest.approx(expected, rel=1e-6)
    loss = adv.train([affine_individual(0.0, 0.0)], make_fakes=lambda parents, n, rng: fake,
                     sample_real=lambda n, rng: real, steps=1, batch_size=3, seed=0, generation=1)
    assert loss == pytest.approx(expected, rel=1e-6)
    # the first Adam step moves each parameter by lr against the sign of its gradient
    assert float(adv.discriminator.w.detach()) == pytest.approx(W - 2e-4 * math.copysign(1, _dw(real, fake)), abs=1e-7)


def _dw(real, fake):
    lr = [W * x + B for x in REAL]
    lf = [W * x + B for x in (0.0, 1.0)]
    return sum(-sigmoid(-l) * x for l, x in zip(lr, REAL)) / 3 + sum(sigmoid(l) * x for l, x in zip(lf, (0.0, 1.0))) / 2


def test_no_fitness_scores_nothing_and_needs_no_judge():
    """fitness = "none": F = 0 for every child, F_q and F_d not measured; no evaluation batch is read (judge None)."""
    child = affine_individual(0.8, 0.1)
    none = FITNESSES.get("none")
    assert none(0.3, 2.0, 0.1) == (0.0,)
    assert evaluate(child, None, generator=Affine1D(), adversary=adversary(), combine=none, gamma=0.25) == (0.0,)
    assert math.isnan(child.scores["f_q"]) and math.isnan(child.scores["f_d"])
