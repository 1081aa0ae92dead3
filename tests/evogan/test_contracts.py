"""Operators a user registers: a selection gets the run's stream (DEAP's tournament is reproducible), individuals
work with DEAP's idioms (identity equality and hashing), and a loss, fitness or selection that breaks its contract
is one line naming it."""

from __future__ import annotations

import random
from functools import partial

import pytest
import torch
from deap import tools

import operators
from evogan import Config, Experiment
from evogan.errors import OperatorContractError
from evogan.core.seeding import numpy_generator

SMALL = dict(generations=6, population_size=3, batch_size=16, eval_batch_size=32, p_cross=0.0,
             model={"hidden": 8, "g_layers": 1, "d_layers": 1}, log={"progress": False, "plots": False})


@pytest.fixture
def registered():
    names = []

    def register(registry, name, fn):
        registry.register(name, fn)
        names.append((registry, name))

    yield register
    for registry, name in names:
        registry.unregister(name)


def _survivors(**extra) -> list[str]:
    ex = Experiment(Config(**{**SMALL, **extra}))
    ex.run()
    ex.close()
    return [row["survivors"] for row in ex.logbook]


@pytest.mark.filterwarnings("ignore:select returned the same child")
def test_deaps_tournament_is_reproducible_and_depends_on_the_seed(registered):
    registered(operators.SELECTIONS, "tournament_test", partial(tools.selTournament, tournsize=3))
    random.seed(12345)  # the caller's own random state is left alone
    outside = random.random()
    random.seed(12345)
    first = _survivors(selection="tournament_test")
    assert random.random() == outside
    assert first == _survivors(selection="tournament_test")
    assert first != _survivors(selection="tournament_test", seed=1)
    assert first != _survivors()  # a tournament, not truncation: it keeps worse children sometimes


def test_a_selection_that_takes_rng_gets_the_runs_stream(registered):
    seen = []

    def pick_randomly(individuals, k, rng):
        seen.append(rng.random())
        return [individuals[i] for i in rng.choice(len(individuals), size=k, replace=False)]

    registered(operators.SELECTIONS, "random_test", pick_randomly)
    _survivors(selection="random_test", generations=2)
    assert seen == [numpy_generator(0, gen, "select").random() for gen in (1, 2)]


def test_individuals_support_deaps_idioms():
    ex = Experiment(Config(**SMALL))
    pool = list(ex.population)
    first = pool[0]
    assert first in pool and first == first and first != pool[1] and len({*pool, first}) == 3
    pool.remove(first)
    assert first not in pool and len(pool) == 2 and {first: 1}[first] == 1
    twin = type(first)({k: v.clone() for k, v in first.items()})
    assert twin != first and all(torch.equal(twin[k], first[k]) for k in first)  # values compared with torch.equal
    ex.close()


def test_a_loss_that_is_not_a_scalar_is_one_line_naming_the_contract(registered):
    registered(operators.LOSSES, "per_sample_test", lambda logits: torch.nn.functional.softplus(-logits))
    with pytest.raises(OperatorContractError, match=r"loss .* returned a tensor of shape \(16,\); a generator loss "
                                                    r"maps D's outputs .* to a scalar tensor"):
        _survivors(mutations=["per_sample_test"], population_size=1)
    registered(operators.LOSSES, "constant_test", lambda logits: torch.tensor(1.0))
    with pytest.raises(OperatorContractError, match="does not depend on D's outputs"):
        _survivors(mutations=["constant_test"], population_size=1)


def test_a_selection_returning_copies_or_too_few_is_refused(registered):
    import copy

    registered(operators.SELECTIONS, "copies_test", lambda individuals, k: [copy.deepcopy(i) for i in individuals[:k]])
    with pytest.raises(OperatorContractError, match="a selection returns a list of k = 3 of the individuals"):
        _survivors(selection="copies_test")
    registered(operators.SELECTIONS, "short_test", lambda individuals, k: individuals[:1])
    with pytest.raises(OperatorContractError, match="select returned list of 1"):
        _survivors(selection="short_test")


def test_a_fitness_returning_a_bare_float_is_refused(registered):
    registered(operators.SELECTIONS, "unused_test", tools.selBest)
    ex = Experiment(Config(**SMALL))
    ex.toolbox.register("evaluate", lambda child, judge: 0.5)
    with pytest.raises(OperatorContractError, match="a fitness returns a non-empty tuple of floats"):
        ex.run(generations=1)
    ex.close()


@pytest.mark.slow  # a subprocess
def test_the_cli_prints_a_broken_loss_as_one_line(tmp_path):
    import subprocess
    import sys

    plugin = tmp_path / "bad_loss.py"
    plugin.write_text("import operators\noperators.LOSSES.register('bad', lambda logits: logits)\n")
    done = subprocess.run([sys.executable, "-m", "evogan", "run", "--import", str(plugin), "--set", "mutations=['bad']",
                           "--set", "generations=2", "--set", "model.hidden=8", "--out", str(tmp_path / "r"), "--quiet"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("evogan: error: loss '<lambda>' returned a tensor of shape")
