"""Learning-rate schedules: hand-computed values, the config, and the rates a run really uses."""

from __future__ import annotations

import math

import pytest

from evogan import Config, ConfigError, Experiment
from evogan.core.schedule import lr_multiplier, schedule_for


@pytest.mark.parametrize(
    "kind, generation, options, expected",
    [
        ("constant", 7, {}, 1.0),
        ("linear", 1, {"final": 0.1}, 1.0),
        ("linear", 101, {"final": 0.1}, 0.1),
        ("linear", 51, {"final": 0.1}, 0.55),  # t = 50 / 100
        ("cosine", 1, {"final": 0.0}, 1.0),
        ("cosine", 51, {"final": 0.0}, 0.5),  # cos(pi / 2) = 0
        ("cosine", 26, {"final": 0.2}, 0.2 + 0.8 * 0.5 * (1 + math.cos(math.pi / 4))),
        ("cosine", 101, {"final": 0.2}, 0.2),
        ("step", 30, {"milestones": [30, 60], "factor": 0.5}, 1.0),  # torch's epoch 29: before the milestone
        ("step", 31, {"milestones": [30, 60], "factor": 0.5}, 0.5),
        ("step", 61, {"milestones": [30, 60], "factor": 0.5}, 0.25),
        ("linear", 5, {"warmup": 10, "final": 0.1}, 0.5),  # warm-up: 5 / 10
        ("linear", 11, {"warmup": 10, "final": 0.1}, 1.0),  # the schedule starts after the warm-up
        ("linear", 56, {"warmup": 10, "final": 0.1}, 1.0 - 0.9 * 45 / 90),
    ],
)
def test_multiplier_against_hand_computed_values(kind, generation, options, expected):
    assert lr_multiplier(kind, generation, generations=101, **options) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_step_milestones_fall_where_torchs_multisteplr_puts_them():
    import torch

    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    torch_schedule = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[3, 7], gamma=0.5)
    by_torch = []
    for _ in range(10):  # epoch e is evogan's generation e + 1
        by_torch.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        torch_schedule.step()
    ours = [lr_multiplier("step", g, generations=10, milestones=[3, 7], factor=0.5) for g in range(1, 11)]
    assert ours == by_torch == [1.0] * 3 + [0.5] * 4 + [0.25] * 3


def test_a_warm_up_as_long_as_the_run_is_refused():
    with pytest.raises(ConfigError, match="schedule.warmup: 100 is not below generations = 100"):
        Config(generations=100, schedule={"g": "cosine", "warmup": 100})
    assert Config(generations=100, schedule={"warmup": 99}).schedule.warmup == 99


def test_schedule_for_scales_each_network_by_its_own_base_rate():
    config = Config(generations=11, lr_g=1e-3, lr_d=4e-3, schedule={"g": "linear", "d": "step", "final": 0.5})
    g, d = schedule_for(config, "g"), schedule_for(config, "d")  # step without milestones: a flat rate
    assert g(1) == pytest.approx(1e-3) and g(6) == pytest.approx(0.75e-3) and g(11) == pytest.approx(0.5e-3)
    assert d(1) == d(11) == pytest.approx(4e-3)
    assert schedule_for(Config(schedule={"d": "constant"}), "d") is None  # never changes: the config's rate stays


@pytest.mark.parametrize(
    "schedule, words",
    [
        ({"g": "exponential"}, ["schedule.g", "exponential", "cosine", "step"]),
        ({"final": 1.5}, ["schedule.final", "[0.0, 1.0]"]),
        ({"milestones": [0]}, ["schedule.milestones", ">= 1"]),
        ({"milestones": ["a"]}, ["schedule.milestones", "integers"]),
        ({"warmup": -1}, ["schedule.warmup"]),
    ],
)
def test_bad_schedules_are_clear_errors_before_training(schedule, words):
    with pytest.raises(ConfigError) as err:
        Experiment(Config(schedule=schedule, log={"progress": False}))
    assert all(w in str(err.value) for w in words), str(err.value)


def test_a_run_uses_the_scheduled_rates_for_children_and_discriminator(small_config):
    config = Config(**{**small_config.__dict__, "schedule": {"g": "cosine", "d": "step", "milestones": [4], "factor": 0.1},
                       "lr_g": 1e-3, "lr_d": 2e-3, "generations": 6})
    ex = Experiment(config)
    seen_g, seen_d = [], []
    vary, train = ex.toolbox.vary, ex.toolbox.train_discriminator

    def spy_vary(population, gen):
        recipes = vary(population, gen)
        seen_g.append({r.lr for r in recipes})
        return recipes

    def spy_train(population, generation):
        loss = train(population, generation=generation)
        seen_d.append(ex.adversary.optimizer.param_groups[0]["lr"])
        return loss

    ex.toolbox.vary, ex.toolbox.train_discriminator = spy_vary, spy_train
    ex.run()
    ex.close()
    expected_g = [1e-3 * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (g - 1) / 5))) for g in range(1, 7)]
    assert [s.pop() for s in seen_g] == pytest.approx(expected_g, rel=1e-12)
    assert seen_d == pytest.approx([2e-3] * 4 + [2e-4] * 2, rel=1e-12)  # milestone 4: generations 5 and 6 lower


def test_a_constant_schedule_leaves_the_run_bit_for_bit_unchanged(small_config):
    def run(**schedule):
        ex = Experiment(Config(**{**small_config.__dict__, "schedule": schedule}))
        ex.run()
        ex.close()
        return ex

    plain, constant = run(), run(g="constant", d="constant", final=0.3)
    assert [r["survivors"] for r in plain.logbook] == [r["survivors"] for r in constant.logbook]
    for p, q in zip(plain.population, constant.population):
        assert all(bool((p[k] == q[k]).all()) for k in p)
    scheduled = run(g="linear", final=0.01)
    assert any(not bool((p[k] == q[k]).all()) for p, q in zip(plain.population, scheduled.population) for k in p)
