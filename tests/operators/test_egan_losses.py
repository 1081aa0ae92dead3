"""E-GAN's mutations against hand-computed values (logits 0 and ln 3: D = 0.5 and 0.75)."""

import math

import pytest
import torch

from operators import LOSSES, heuristic, least_squares, minimax

LOGITS = torch.tensor([0.0, math.log(3.0)])  # D(G(z)) = sigmoid = 0.5, 0.75


def test_minimax_is_mean_log_one_minus_d():
    assert float(minimax(LOGITS)) == pytest.approx((math.log(0.5) + math.log(0.25)) / 2, rel=1e-6)


def test_heuristic_is_minus_mean_log_d():
    assert float(heuristic(LOGITS)) == pytest.approx(-(math.log(0.5) + math.log(0.75)) / 2, rel=1e-6)


def test_least_squares_is_mean_squared_distance_to_one():
    assert float(least_squares(LOGITS)) == pytest.approx((0.25 + 0.0625) / 2, rel=1e-6)


def test_minimax_is_stable_for_confident_discriminator():
    # D rejects the fakes with logit -200: log(1 - D) = -softplus(-200) ~ -1e-87, never NaN
    assert float(minimax(torch.tensor([-200.0]))) == pytest.approx(0.0, abs=1e-30)
    assert math.isfinite(float(heuristic(torch.tensor([-200.0]))))


def test_registry_lists_valid_names_on_unknown():
    with pytest.raises(KeyError) as err:
        LOSSES.get("hinge", "mutations")
    message = str(err.value)
    assert "mutations" in message and "minimax" in message and "least_squares" in message
