"""fitness = "none" inside the loop: where selection has no choice, skipping the evaluation changes nothing that is
trained, on every backend, and a config that would choose by a fitness that scores nothing is refused."""

from __future__ import annotations

import math

import pytest
import torch

from evogan import Config, ConfigError, Experiment

BASE = dict(generations=5, batch_size=32, eval_batch_size=64, p_cross=0.0, pack=2, mutations=["heuristic"],
            model={"hidden": 16, "g_layers": 2, "d_layers": 2}, log={"progress": False, "plots": False})


def evolve(**extra) -> Experiment:
    ex = Experiment(Config(**{**BASE, **extra}))
    ex.run()
    ex.close()
    return ex


def weights(ex):
    return [{k: v.clone() for k, v in member.items()} for member in ex.population]


def test_a_single_gan_without_evaluation_trains_the_same_weights_bit_for_bit():
    """PacGAN2 as its paper builds it (no child evaluation) against the same strategy scored by E-GAN's fitness: the
    evaluation reads D and G but changes neither, so G, D and every loss are identical."""
    scored, unscored = evolve(population_size=1), evolve(population_size=1, fitness="none")
    for p, q in zip(weights(scored), weights(unscored)):
        for k in p:
            assert torch.equal(p[k], q[k]), k
    for p, q in zip(scored.adversary.discriminator.parameters(), unscored.adversary.discriminator.parameters()):
        assert torch.equal(p, q)
    assert [r["d_loss"] for r in scored.logbook] == [r["d_loss"] for r in unscored.logbook]
    assert all(row["avg"] == 0.0 for row in unscored.logbook.chapters["fitness"])
    assert all(math.isnan(row["avg"]) for row in unscored.logbook.chapters["f_q"])
    assert all(not math.isnan(row["avg"]) for row in scored.logbook.chapters["f_q"])


@pytest.mark.parametrize("backend", ["vectorized"])
def test_a_mixture_without_evaluation_keeps_every_lineage_and_equals_in_process(backend):
    """Two generators, one child each, lineage selection: both lineages survive every generation, and the
    vectorised backend trains what the in-process one trains."""
    here = evolve(population_size=2, selection="lineage", fitness="none")
    there = evolve(population_size=2, selection="lineage", fitness="none", parallel={"backend": backend})
    for row in here.logbook:
        assert sorted(row["survivors"].split()) == ["heuristic", "heuristic"]
    assert [ind.lineage for ind in here.population] == [ind.lineage for ind in there.population]
    assert {ind.lineage["parents"][0].split(".")[1] for ind in here.population} == {"p0", "p1"}
    for p, q in zip(weights(here), weights(there)):
        for k in p:
            torch.testing.assert_close(q[k], p[k], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("extra, words", [
    ({"population_size": 2, "mutations": ["minimax", "heuristic"]}, "4 children compete for population_size = 2"),
    ({"population_size": 2, "islands": {"count": 2, "migrants": 1}}, "islands send their fittest generators"),
])
def test_a_fitness_that_scores_nothing_is_refused_where_it_would_choose(extra, words):
    with pytest.raises(ConfigError, match=words):
        Experiment(Config(**{**BASE, "fitness": "none", **extra}))


def test_a_random_selection_may_go_without_a_fitness():
    ex = evolve(population_size=2, mutations=["minimax", "heuristic"], selection="random", fitness="none")
    assert len(ex.population) == 2 and len(ex.logbook) == 5
