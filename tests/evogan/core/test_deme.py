"""Demes: a population with its own adversary, strategy and data; the experiment evolves its demes. A one-deme
experiment is DEAP's loop on its toolbox, and seeded single and DynGAN runs repeat exactly on this machine (results
are compared between runs made here: a stored logbook would fail on another CPU's kernels)."""

from __future__ import annotations

import math

import pytest
import torch

from evogan import Config, Experiment
from evogan.core.algorithms import ea_gan, mutation_names
from evogan.core.deme import Deme, proportional_counts, sample_demes
from evogan.parallel import BreedingKit
from evogan.runner import flatten_record

from ..seeded_runs import RUNS, record


@pytest.mark.parametrize("name", list(RUNS))
def test_a_seeded_run_gives_the_same_logbook_and_metrics_twice(tmp_path, name):
    first, second = record(name, tmp_path / "a"), record(name, tmp_path / "b")
    assert len(first["logbook"]) == RUNS[name]["generations"]
    assert first == second  # bit for bit: same machine, same software, same threads
    if name == "dyngan":
        assert int(first["logbook"][-1]["niches"]) > 1  # the run did split


def test_a_one_deme_experiment_is_deaps_loop_on_its_toolbox(tmp_path):
    """What the runner logs equals ``ea_gan`` run by hand on a fresh experiment's population and toolbox."""
    via_runner = record("single", tmp_path)["logbook"]
    ex = Experiment(Config(**RUNS["single"]))
    ex.backend.start(BreedingKit.from_toolbox(ex.toolbox, generator=ex.generator, adversary=ex.adversary),
                     engine_breed=ex.toolbox.breed)
    rows = []
    ea_gan(ex.population, ex.toolbox, ex.config.generations, stats=ex.stats, halloffame=ex.halloffame,
           callback=lambda gen, population, logbook: rows.append(flatten_record(logbook, mutation_names(ex.toolbox))))
    ex.close()
    assert len(rows) == len(via_runner) == RUNS["single"]["generations"]
    for by_hand, logged in zip(rows, via_runner):
        by_hand.pop("seconds")
        assert by_hand.items() <= logged.items()
        assert not any(isinstance(v, float) and math.isnan(v) for v in by_hand.values())


def test_the_experiments_parts_are_deme_zeros():
    ex = Experiment(Config(**{**RUNS["single"], "generations": 2}))
    assert len(ex.demes) == 1 and ex.niches is None and ex.hooks == []
    main = ex.demes[0]
    assert (ex.population, ex.adversary, ex.toolbox, ex.logbook, ex.halloffame) == (
        main.population, main.adversary, main.toolbox, main.logbook, main.halloffame)
    ex.run()
    assert [row["gen"] for row in main.logbook] == [1, 2] and len(main.halloffame) == 1
    ex.close()


def test_a_deme_evolves_one_generation_into_its_own_logbook():
    ex = Experiment(Config(**{**RUNS["single"], "generations": 3}))
    deme = ex.demes[0]
    before = [ind.lineage["id"] for ind in deme.population]
    deme.evolve(1, ex.stats)
    assert [row["gen"] for row in deme.logbook] == [1] and deme.invalid_streak == 0
    assert [ind.lineage["id"] for ind in deme.population] != before
    assert all(ind.lineage["generation"] == 1 for ind in deme.population)
    ex.close()


def test_demes_are_sampled_in_proportion_to_their_weights():
    ex = Experiment(Config(**{**RUNS["single"], "generations": 1}))
    population = ex.population
    demes = []
    for i in range(3):  # deme i's generator outputs (100 i, 0)
        members = [type(m)({**m}, adam=m.adam, lineage=m.lineage) for m in population]
        for m in members:
            m["4.weight"], m["4.bias"] = torch.zeros_like(m["4.weight"]), torch.tensor([100.0 * i, 0.0])
        demes.append(Deme(members, ex.adversary, ex.toolbox, ex.data))
    rng = torch.Generator().manual_seed(0)
    samples = sample_demes(demes, [1.0, 2.0, 1.0], 1000, rng, best=False, generator=ex.generator,
                           sample_latent=ex.sample_latent, running_stats=False)
    assert [int((samples[:, 0] == 100.0 * i).sum()) for i in range(3)] == [250, 500, 250]
    assert proportional_counts(10, [0.5, 0.3, 0.2]) == [5, 3, 2]
    ex.close()
