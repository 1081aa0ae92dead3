"""Demes: one generation of a deme, mixing demes by weights, and the refactor's promise: seeded single-population
and DynGAN runs give the logbooks they gave before demes existed (tests/evogan/data/deme_reference.json)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from evogan import Config, Experiment
from evogan.deme import Deme, proportional_counts, sample_demes

from .deme_reference import RUNS, record

REFERENCE = json.loads((Path(__file__).parent / "data" / "deme_reference.json").read_text())


def _same(a, b, where: str) -> None:
    if isinstance(a, float) or isinstance(b, float):
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-6, abs=1e-9), where
    else:
        assert a == b, where


@pytest.mark.parametrize("name", list(RUNS))
def test_runs_give_the_logbook_they_gave_before_demes(tmp_path, name):
    now, before = record(name, tmp_path), REFERENCE[name]
    assert len(now["logbook"]) == len(before["logbook"])
    for i, (row, old) in enumerate(zip(now["logbook"], before["logbook"])):
        assert row.keys() == old.keys()
        for key in row:
            _same(row[key], old[key], f"{name} generation {i + 1} {key}")
    assert now["metrics"].keys() == before["metrics"].keys()
    for key in now["metrics"]:
        _same(now["metrics"][key], before["metrics"][key], f"{name} metrics {key}")
    if name == "dyngan":
        assert int(now["logbook"][-1]["niches"]) > 1  # the reference run did split


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
