"""Islands: topologies, migration on a hand-built case, seeding, the evolved mixture, resume, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from evogan import Config, ConfigError, Experiment
from evogan.core.deme import Deme
from evogan.core.individual import Individual
from evogan.populations.islands import evolve_mixture, migrate, ranked
from evogan.runner import resume, run
from evogan.populations.topology import square_rows, topology

SMALL = dict(population_size=3, batch_size=32, eval_batch_size=64, model={"hidden": 16, "g_layers": 2, "d_layers": 2},
             metrics={"every": 4, "samples": 400}, log={"progress": False, "plots": False, "checkpoint_every": 4})


def islands(**settings) -> Config:
    generations = settings.pop("generations", 8)
    return Config(generations=generations, **SMALL, islands={"count": 3, "migration_every": 2, **settings})


def test_topologies_by_hand():
    assert topology("ring", 4) == [[3], [0], [1], [2]]
    assert topology("complete", 3) == [[1, 2], [0, 2], [0, 1]]
    # 2 x 3 torus, row-major: island 0 at (0, 0) hears from (1, 0) = 3 above and below, (0, 2) = 2 and (0, 1) = 1
    assert topology("torus", 6, 2) == [[1, 2, 3], [0, 2, 4], [0, 1, 5], [0, 4, 5], [1, 3, 5], [2, 3, 4]]
    assert topology("torus", 9)[4] == [1, 3, 5, 7]  # 3 x 3: the centre hears from its 4 neighbours
    assert square_rows(12) == 3 and square_rows(7) == 1 and topology("ring", 1) == [[]]
    with pytest.raises(ConfigError, match=r"islands.rows: 4 does not divide islands.count = 6.*1, 2, 3, 6"):
        topology("torus", 6, 4)


def _member(name: str, value: float | None) -> Individual:
    ind = Individual({"w": torch.tensor([float(len(name))])}, lineage={"id": name})
    if value is not None:
        ind.fitness.values = (value,)
    return ind


def test_migration_sends_copies_of_the_best_chosen_before_anyone_is_replaced():
    demes = [Deme([_member(f"{i}{tag}", value) for tag, value in members], None, None, None)
             for i, members in enumerate([[("a", 0.5), ("b", 0.9), ("c", 0.1)],
                                          [("a", 0.3), ("b", None), ("c", 0.7)],
                                          [("a", 99.0), ("b", 0.2), ("c", 0.4)]])]
    assert [m.lineage["id"] for m in ranked(demes[1].population)] == ["1c", "1a", "1b"]  # invalid fitness last
    originals = [list(d.population) for d in demes]
    moved = migrate(demes, topology("ring", 3), migrants=1, generation=6)
    assert moved == 3
    ids = [[m.lineage["id"] for m in d.population] for d in demes]
    # each island keeps its best 2 in rank order, then the previous island's best arrives in place of its worst
    assert ids == [["0b", "0a", "2a"], ["1c", "1a", "0b"], ["2a", "2c", "1c"]]
    # island 1 got island 0's own best (0b), not island 2's 99.0 that island 0 received in the same migration
    arrived = demes[1].population[2]
    assert arrived.lineage["migrant_from"] == 0 and arrived.lineage["migrated_at"] == 6
    assert arrived is not originals[0][1] and torch.equal(arrived["w"], originals[0][1]["w"])
    assert "migrant_from" not in originals[0][1].lineage  # the sender's member is untouched
    assert migrate(demes, topology("ring", 3), migrants=0, generation=8) == 0


def test_island_zero_of_isolated_islands_is_the_plain_run_and_the_other_islands_differ(tmp_path):
    plain = Experiment(Config(generations=4, **SMALL))
    plain.run()
    isolated = Experiment(islands(generations=4, migrants=0))
    isolated.run()
    assert len(isolated.demes) == 3
    for a, b in zip(plain.population, isolated.demes[0].population):
        assert all(torch.equal(a[k], b[k]) for k in a)
    assert [r["d_loss"] for r in plain.logbook] == [r["d_loss"] for r in isolated.logbook]
    first = isolated.demes[1].population[0]
    assert not torch.equal(first["0.weight"], isolated.demes[0].population[0]["0.weight"])
    assert isolated.demes[1].logbook[-1]["gen"] == 4 and isolated.demes[2].logbook[-1]["gen"] == 4
    plain.close()
    isolated.close()


def test_the_evolved_mixture_never_ends_worse_than_uniform_weights():
    """Last weights far from the optimum and too few steps to walk back: uniform, scored again, wins."""
    uniform = np.full(3, 1 / 3)
    weights, score, start = evolve_mixture(np.array([0.9, 0.05, 0.05]), lambda w: float(np.abs(w - uniform).sum()), 3,
                                           np.random.default_rng(0))
    assert start == pytest.approx(1.1333333) and score == 0.0 and weights == pytest.approx(uniform)


def test_the_evolved_mixture_never_scores_worse_than_where_it_started():
    target = np.array([0.7, 0.2, 0.1])
    weights, score, start = evolve_mixture(np.ones(3), lambda w: float(np.sum((w - target) ** 2)), 200,
                                           np.random.default_rng(0))
    assert score <= start and score < 0.01 and weights.sum() == pytest.approx(1.0) and (weights > 0).all()
    ex = Experiment(islands(generations=4, mixture="evolved", mixture_steps=8))
    ex.run()
    uniform = ex.islands._objective(np.full(3, 1 / 3), 4)
    assert ex.islands.score <= uniform
    assert ex.logbook[-1]["mixture_objective"] == ex.islands.score
    assert ex.mixture_weights() == pytest.approx(ex.islands.weights.tolist())
    ex.close()


def test_an_islands_run_resumes_to_the_uninterrupted_result(tmp_path):
    whole = run(islands(), tmp_path / "whole")
    part = run(islands(generations=4), tmp_path / "part")
    resumed = resume(part, ["generations=8"], progress=False)
    rows = [[json.loads(line) for line in open(d / "logbook.jsonl")] for d in (whole, resumed)]
    for a, b in zip(*rows):
        assert {k: v for k, v in a.items() if k not in ("seconds", "wall_time")} == \
               {k: v for k, v in b.items() if k not in ("seconds", "wall_time")}
    finals = [json.loads((d / "metrics.json").read_text()) for d in (whole, resumed)]
    assert finals[0]["reverse_kl"] == finals[1]["reverse_kl"] and finals[0]["gap_mass"] == finals[1]["gap_mass"]
    assert rows[0][1]["migrated"] == 3 and rows[0][0]["migrated"] == 0  # ring of 3, every 2 generations


@pytest.mark.parametrize("settings, message", [
    ({"migrants": 3}, r"islands.migrants: 3 from each of up to 1 neighbours would replace 3 of population_size = 3"),
    ({"topology": "complete", "migrants": 2}, r"up to 2 neighbours would replace 4"),
    ({"topology": "torus", "rows": 2}, r"islands.rows: 2 does not divide islands.count = 3"),
    ({"topology": "star"}, r"islands.topology: 'star' is not valid"),
    ({"asynchronous": True}, r"islands.asynchronous: .* set islands.backend = 'ray'"),
    ({"asynchronous": True, "backend": "ray", "policy": "neighbourhood"}, r"migrate generators only"),
    ({"asynchronous": True, "backend": "ray", "discriminators": True}, r"migrate generators only"),
])
def test_bad_island_settings_are_one_line(settings, message):
    with pytest.raises(ConfigError, match=message):
        islands(**settings)


def test_islands_do_not_combine_with_dyngan_or_another_children_backend():
    with pytest.raises(ConfigError, match="islands and dyngan.enabled do not combine"):
        Config(**SMALL, islands={"count": 2}, dyngan={"enabled": True})
    with pytest.raises(ConfigError, match="parallel.backend is 'vectorized'"):
        Config(**SMALL, islands={"count": 2}, parallel={"backend": "vectorized"})


def _hand_loss(ex, d_state, real, fake) -> float:
    """L_D = mean softplus(-D(real)) + mean softplus(D(fake)), with D's module loaded by hand (unpacked data)."""
    import copy

    import torch.nn.functional as F

    module = copy.deepcopy(ex.adversary.discriminator)
    module.load_state_dict(d_state["discriminator"])
    return float(F.softplus(-module(real)).mean() + F.softplus(module(fake)).mean())


def test_discriminator_migration_adopts_the_lowest_loss_among_own_and_neighbours_chosen_before_anyone_adopts():
    from evogan.populations.islands import migrate_discriminators
    from evogan.core.seeding import torch_generator

    ex = Experiment(islands(generations=2, migrants=0, discriminators=True))
    with torch.no_grad():  # island 0's D calls everything real: a hopeless judge of island 0's fakes
        last = [m for m in ex.demes[0].adversary.discriminator if hasattr(m, "bias")][-1]
        last.bias.fill_(20.0)
    before = [d.discriminator() for d in ex.demes]
    senders = topology("ring", 3)
    expected = []
    for j, deme in enumerate(ex.demes):
        rng = torch_generator(ex.config.seed, 6, "discriminator-migration", j)
        with torch.no_grad():
            real = deme.data.sample(ex.config.eval_batch_size, rng)
            fake = ex.make_fakes(deme.population, ex.config.eval_batch_size, rng)
            losses = [_hand_loss(ex, state, real, fake) for state in [before[j]] + [before[i] for i in senders[j]]]
        expected.append(([j] + senders[j])[int(np.argmin(losses))])
    assert expected[0] == 2  # island 0 drops its hopeless D for its neighbour's
    changed = migrate_discriminators(ex.demes, senders, 6, seed=ex.config.seed, batch_size=ex.config.eval_batch_size)
    assert changed == sum(e != j for j, e in enumerate(expected))
    for j, deme in enumerate(ex.demes):
        now = deme.adversary.state_dict()["discriminator"]
        source = before[expected[j]]["discriminator"]
        assert all(torch.equal(now[k], source[k]) for k in now), j  # island 1 compares against 0's original D
    ex.close()


def test_discriminator_migration_runs_in_the_loop_and_needs_the_standard_family():
    ex = Experiment(islands(generations=4, discriminators=True))
    ex.run()
    adopted = [row["discriminators_adopted"] for row in ex.logbook]
    assert adopted[0] == adopted[2] == 0 and all(isinstance(a, int) for a in adopted)  # migrations at 2 and 4 only
    ex.close()
    with pytest.raises(ConfigError, match="islands.discriminators: .* adversary is 'began_v3'"):
        Config(**SMALL, adversary="began_v3", mutations=["began"], islands={"count": 2, "discriminators": True})


@pytest.fixture(scope="module")
def island_run(tmp_path_factory):
    """One finished 8-generation island run (checkpoints at 4 and 8), copied by each test that crafts a checkpoint."""
    return run(islands(generations=8), tmp_path_factory.mktemp("islands") / "a")


def _crafted(state: dict, change) -> dict:
    import copy

    state = copy.deepcopy(state)
    change(state)
    return state


def _shape(state):
    name = next(iter(state["experiment"]["islands"]["demes"][1]["population"][0]["weights"]))
    weights = state["experiment"]["islands"]["demes"][1]["population"][0]["weights"]
    weights[name] = torch.zeros(3, 3)


def _forged_generation(state):
    state["generation"] = state["experiment"]["generation"] = 10 ** 9


@pytest.mark.parametrize("change, words", [
    (_shape, "islands[2].population[0].weights"),
    (lambda s: s["experiment"]["islands"]["demes"][0].pop("halloffame"), "missing part 'halloffame'"),
    (lambda s: s["experiment"]["islands"]["demes"][1]["population"].pop(), "island 2 holds 2 member(s)"),
    (lambda s: s["experiment"]["islands"].update(weights=[float("nan")] * 3), "mixture weights"),
    (lambda s: s["experiment"]["islands"].update(weights=[0.5, 0.5]), "mixture weights"),
    (lambda s: s["experiment"]["population"].append(s["experiment"]["population"][0]), "4 population member(s)"),
    (_forged_generation, "says generation 1000000000"),
    (lambda s: s.pop("runner"), "not an evogan run checkpoint (no 'runner')"),
    (lambda s: s.update(runner={"rows": []}), "runner records"),
])
def test_a_crafted_island_checkpoint_is_named_in_one_line_and_the_previous_one_is_resumed(tmp_path, change, words,
                                                                                          island_run):
    """Each part of each island is checked against the rebuilt run before use; a checkpoint that does not fit is
    left in place, named with what is wrong, and the resume takes the previous one."""
    import shutil

    from evogan.io.checkpoint import checkpoint_files, read_checkpoint, save_checkpoint
    from evogan.runner import _load_checkpoint

    run_dir = Path(shutil.copytree(island_run, tmp_path / "a"))
    newest = checkpoint_files(run_dir / "checkpoints")[0]
    assert newest.name == "gen00000008.pt"
    save_checkpoint(run_dir / "checkpoints", 8, _crafted(read_checkpoint(newest), change), keep=100)
    experiment = Experiment(islands(generations=8))
    try:
        with pytest.warns(RuntimeWarning) as caught:
            taken = _load_checkpoint(experiment, run_dir)
    finally:
        experiment.close()
    assert taken["generation"] == 4
    message = " ".join(str(w.message) for w in caught)
    assert "gen00000008.pt" in message and words in message, message


def test_an_islands_run_draws_the_mixture_the_exchanges_and_each_island_s_samples(tmp_path):
    from evogan.cli import main

    out = tmp_path / "islands"
    assert main(["run", "ring_islands", "--set", "generations=4", "--set", "islands.migration_every=2",
                 "--set", "metrics.every=2", "--set", "metrics.samples=400", "--set", "model.hidden=16",
                 "--set", "batch_size=32", "--out", str(out), "--quiet"]) == 0
    assert (out / "islands.png").stat().st_size > 5000
    from evogan.io import plots

    # the figure's rows: one mixture weight per island per generation, as the logbook records them
    rows = [{"gen": g, "mixture": "0.25 0.25 0.25 0.25", "migrated": 4 * (g % 2 == 0)} for g in (1, 2, 3, 4)]
    plots.plot_islands(rows, tmp_path / "bare.png")  # no samples (image data): two panels
    assert (tmp_path / "bare.png").stat().st_size > 5000
