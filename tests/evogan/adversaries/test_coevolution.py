"""Lipizzaner's neighbourhood coevolution (islands.policy = "neighbourhood"): scores by hand against every
discriminator of the neighbourhood, the opponent drawn each generation, D trained on the neighbours' generators,
the plain run before the first exchange, an exact resume, bad input."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from evogan import Config, ConfigError, Experiment
from evogan.populations.islands import meet_neighbours
from evogan.runner import resume, run
from evogan.core.sampling import generate
from evogan.core.seeding import numpy_generator, torch_generator
from evogan.populations.topology import topology

from ..populations.test_islands import SMALL, islands

GEN = 5


def _neighbourhood(**settings) -> Experiment:
    """Three islands, complete topology; island 0 has met islands 1 and 2 (their best generator and their D)."""
    ex = Experiment(islands(policy="neighbourhood", topology="complete", **settings))
    with torch.no_grad():  # make the three discriminators clearly different
        for k, deme in enumerate(ex.demes):
            for p in deme.adversary.discriminator.parameters():
                p.add_(0.3 * k * torch.sign(p))
    assert meet_neighbours(ex.demes, topology("complete", 3), migrants=1) == 6
    return ex


def _hand_fitness(ex, module_state, fake) -> float:
    """F = F_q + gamma F_d against one D loaded by hand: F_q = mean sigmoid D(fake), F_d = -log ||grad_w L_D|| on the
    judge's real batch (stream (seed, GEN, "fitness"), real first)."""
    module = copy.deepcopy(ex.demes[0].adversary.own.discriminator)
    module.load_state_dict(module_state)
    real = ex.data.sample(ex.config.eval_batch_size, torch_generator(ex.config.seed, GEN, "fitness"))
    loss = F.softplus(-module(real)).mean() + F.softplus(module(fake)).mean()
    grads = torch.autograd.grad(loss, list(module.parameters()))
    norm = math.sqrt(sum(float((g ** 2).sum()) for g in grads))
    return float(torch.sigmoid(module(fake)).mean().detach()) + ex.config.gamma * -math.log(norm)


def test_a_child_is_scored_against_every_discriminator_of_the_neighbourhood_by_hand():
    ex = _neighbourhood()
    deme = ex.demes[0]
    states = [copy.deepcopy(d.discriminator(weights_only=True)) for d in ex.demes]
    judge = deme.toolbox.judge(generation=GEN)
    child = copy.deepcopy(deme.population[1])
    with torch.no_grad():
        fake = generate(ex.generator, child, judge.z)
    by_hand = [_hand_fitness(ex, state, fake) for state in states]
    assert max(by_hand) - min(by_hand) > 1e-3  # the three judges disagree
    for mode, expected in (("average", np.mean(by_hand)), ("best", max(by_hand)), ("worst", min(by_hand))):
        deme.adversary.fitness_mode = mode
        (value,) = deme.toolbox.evaluate(child, judge)
        assert value == pytest.approx(expected, rel=1e-5, abs=1e-6), mode
    ex.close()


def test_the_opponent_is_drawn_each_generation_and_the_children_train_against_it():
    ex = _neighbourhood()
    adversary = ex.demes[0].adversary
    everyone = [adversary.own, *adversary.neighbours]
    picks = []
    x = ex.data.sample(16, torch_generator(0, "probe"))
    for gen in range(1, 13):
        ex.demes[0].toolbox.judge(generation=gen)
        pick = int(numpy_generator(ex.config.seed, gen, "opponent").integers(3))
        assert adversary.opponent is everyone[pick]
        picks.append(pick)
        with torch.no_grad():
            module = ex.demes[[0, *topology("complete", 3)[0]][pick]].adversary.own.discriminator
            assert torch.equal(adversary(x), module(x).squeeze(-1))  # the neighbour's weights, copied at the meeting
    assert set(picks) == {0, 1, 2}
    ex.close()


def test_the_own_discriminator_trains_on_its_parents_and_the_neighbours_generators():
    ex = _neighbourhood()
    deme = ex.demes[0]
    start = copy.deepcopy(deme.adversary.own.state_dict())
    deme.toolbox.train_discriminator(deme.population, generation=3)
    trained = copy.deepcopy(deme.adversary.own.discriminator.state_dict())
    arguments = dict(make_fakes=ex.make_fakes, sample_real=ex.data.sample, steps=ex.config.d_steps,
                     batch_size=ex.config.batch_size, seed=ex.config.seed, generation=3)
    for members, same in ((list(deme.population) + deme.adversary.generators, True), (list(deme.population), False)):
        deme.adversary.own.load_state_dict(copy.deepcopy(start))
        deme.adversary.own.train(members, **arguments)
        now = deme.adversary.own.discriminator.state_dict()
        assert all(torch.equal(now[k], trained[k]) for k in now) is same
    assert len(deme.adversary.generators) == 2  # one from each neighbour
    ex.close()


def test_before_the_first_exchange_an_island_is_the_plain_run():
    plain = Experiment(Config(generations=4, **SMALL))
    plain.run()
    late = Experiment(islands(generations=4, policy="neighbourhood", migration_every=100))
    late.run()
    for a, b in zip(plain.population, late.population):
        assert all(torch.equal(a[k], b[k]) for k in a)
    assert [r["d_loss"] for r in plain.logbook] == [r["d_loss"] for r in late.logbook]
    plain.close()
    late.close()


def test_a_neighbourhood_run_resumes_to_the_uninterrupted_result(tmp_path):
    settings = dict(policy="neighbourhood", migration_every=3, fitness_mode="worst")
    whole = run(islands(**settings), tmp_path / "whole")
    part = run(islands(generations=4, **settings), tmp_path / "part")  # checkpoint at 4, after the meeting at 3
    resumed = resume(part, ["generations=8"], progress=False)
    rows = [[json.loads(line) for line in open(d / "logbook.jsonl")] for d in (whole, resumed)]
    drop = ("seconds", "wall_time")
    assert [{k: v for k, v in r.items() if k not in drop} for r in rows[0]] == \
           [{k: v for k, v in r.items() if k not in drop} for r in rows[1]]
    assert [r["migrated"] for r in rows[0]] == [0, 0, 3, 0, 0, 3, 0, 0]  # ring of 3, one generator each
    finals = [json.loads((d / "metrics.json").read_text()) for d in (whole, resumed)]
    assert finals[0]["reverse_kl"] == finals[1]["reverse_kl"]


@pytest.mark.parametrize("settings, message", [
    ({"policy": "neighbourhood", "migrants": 4}, r"islands.migrants: 4 > population_size = 3.*allowed: 0 to 3"),
    ({"policy": "lipizzaner"}, r"islands.policy: 'lipizzaner' is not valid"),
    ({"policy": "neighbourhood", "fitness_mode": "median"}, r"islands.fitness_mode: 'median' is not valid"),
])
def test_bad_neighbourhood_settings_are_one_line(settings, message):
    with pytest.raises(ConfigError, match=message):
        islands(**settings)
    with pytest.raises(ConfigError, match="islands.policy: 'neighbourhood' .* adversary is 'began_v3'"):
        Config(**SMALL, adversary="began_v3", mutations=["began"], islands={"count": 2, "policy": "neighbourhood"})
