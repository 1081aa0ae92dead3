"""The evolution loop: invariants, determinism, crossover and bad children inside the loop."""

import dataclasses
import math
import warnings

import pytest
import torch

import operators
from evogan import ConfigError, Experiment
from evogan.core.algorithms import breed, mutation_names
from evogan.core.individual import Individual


def logbook_rows(logbook):
    """Rows with chapters flattened, timing removed (it is the only thing allowed to differ)."""
    rows = []
    for i, row in enumerate(logbook):
        row = {k: v for k, v in row.items() if k != "seconds"}
        for name, chapter in logbook.chapters.items():
            row.update({f"{name}_{k}": v for k, v in chapter[i].items() if k in ("avg", "std", "min", "max")})
        rows.append(row)
    return rows


def run(config, **changes):
    exp = Experiment(dataclasses.replace(config, **changes))
    exp.run()
    return exp


def test_loop_invariants(small_config):
    exp = Experiment(small_config)
    sizes = []
    exp.run(callback=lambda gen, pop, lb: sizes.append(len(pop)))
    assert sizes == [2] * 6 and len(exp.logbook) == 6
    assert all(ind.fitness.valid and math.isfinite(ind.fitness.values[0]) for ind in exp.population)
    assert all(row["nevals"] == 2 * 3 and row["discarded"] == 0 and row["kept_parents"] == 0 for row in exp.logbook)
    assert [row["gen"] for row in exp.logbook] == list(range(1, 7))
    for ind in exp.population:
        assert ind.lineage["generation"] == 6 and ind.adam["step"] == 6
        assert ind.lineage["operator"].split("+")[0] in small_config.mutations
        assert ind.fitness.values[0] == pytest.approx(ind.scores["f_q"] + small_config.gamma * ind.scores["f_d"])
    assert exp.halloffame[0].fitness.valid
    f_q = exp.logbook.chapters["f_q"].select("avg")
    assert all(0 < v < 1 for v in f_q)


def test_the_released_codes_fitness_in_the_loop(small_config):
    """fitness = "egan_released": every survivor's F is F_q - gamma F_d (log F_d with the paper's sign), and the same
    children as the paper's fitness are trained (same F_q, F_d in generation 1), only ranked the other way."""
    released, paper = run(small_config, generations=1, fitness="egan_released"), run(small_config, generations=1)
    for ind in released.population:
        assert ind.fitness.values[0] == pytest.approx(ind.scores["f_q"] - small_config.gamma * ind.scores["f_d"])
    assert released.logbook[0]["nevals"] == paper.logbook[0]["nevals"] == 6
    for chapter in ("f_q", "f_d"):
        assert released.logbook.chapters[chapter][0]["max"] == pytest.approx(paper.logbook.chapters[chapter][0]["max"])
        assert released.logbook.chapters[chapter][0]["min"] == pytest.approx(paper.logbook.chapters[chapter][0]["min"])


def test_same_seed_same_logbook_and_other_seed_differs(small_config):
    a, b = run(small_config), run(small_config)
    assert logbook_rows(a.logbook) == logbook_rows(b.logbook)
    assert all(torch.equal(x[k], y[k]) for x, y in zip(a.population, b.population) for k in x)
    c = run(small_config, seed=1)
    assert logbook_rows(c.logbook) != logbook_rows(a.logbook)


def test_p_cross_zero_is_exactly_egan(small_config):
    crossed_never = run(small_config, p_cross=0.0)
    egan = Experiment(dataclasses.replace(small_config, p_cross=0.0))
    egan.toolbox.register("mate", lambda parent, population, rng: parent)  # no crossover operator at all
    egan.run()
    assert logbook_rows(crossed_never.logbook) == logbook_rows(egan.logbook)
    assert all("+crossover" not in row["survivors"] for row in egan.logbook)


def test_crossover_inside_the_loop(small_config):
    exp = Experiment(dataclasses.replace(small_config, p_cross=1.0, generations=3))
    made = []

    def recording_breed(recipe, judge, *, toolbox):
        child = breed(recipe, judge, toolbox=toolbox)
        if recipe.donor is not None:
            # g''s weights, one step with g's Adam state: the same as mutating a hybrid without donor
            hybrid = Individual(dict(recipe.donor), adam=recipe.parent.adam)
            expected = getattr(toolbox, "mutate_" + recipe.mutation)(hybrid, seed=recipe.seed)
            made.append((recipe, child, all(torch.equal(child[k], expected[k]) for k in child)))
        return child

    exp.toolbox.register("breed", recording_breed, toolbox=exp.toolbox)
    exp.run()
    assert made, "with p_cross = 1 and two members, about half the children take the other member's fakes"
    for recipe, child, matches in made:
        assert matches
        assert child.lineage["parents"] == [recipe.parent.lineage["id"], recipe.donor.lineage["id"]]
        assert child.lineage["operator"] == recipe.mutation + "+crossover"
    assert sum(row["survivors"].count("+crossover") for row in exp.logbook) > 0


def test_a_loss_listed_twice_gives_two_children_on_their_own_latents(small_config):
    """The ablation control 'one loss, several children': the copy is registered as 'heuristic.2', gets its own child
    seed, so the two children differ, and random selection keeps either of them."""
    exp = Experiment(dataclasses.replace(small_config, population_size=1, p_cross=0.0, generations=4,
                                         mutations=["heuristic", "heuristic"], selection="random"))
    assert mutation_names(exp.toolbox) == ["heuristic", "heuristic.2"]
    made = []

    def recording_breed(recipe, judge, *, toolbox):
        child = breed(recipe, judge, toolbox=toolbox)
        made.append((recipe.mutation, recipe.seed, child))
        return child

    exp.toolbox.register("breed", recording_breed, toolbox=exp.toolbox)
    exp.run()
    assert all(row["nevals"] == 2 for row in exp.logbook)
    for (a, seed_a, first), (b, seed_b, second) in zip(made[::2], made[1::2]):
        assert (a, b) == ("heuristic", "heuristic.2") and seed_a != seed_b
        assert not all(torch.equal(first[k], second[k]) for k in first)  # same loss, other latents: other weights
    kept = {row["survivors"] for row in exp.logbook}
    assert any("heuristic.2" in s for s in kept) and any("heuristic.2" not in s for s in kept)


def test_lineage_selection_keeps_every_parent_s_line_in_the_loop(small_config):
    """Inside the loop: every generation's survivors descend from distinct parents, so each of the mu lines goes on
    (with best selection one parent's children may take both places)."""
    exp = Experiment(dataclasses.replace(small_config, population_size=2, p_cross=0.0, selection="lineage",
                                         generations=5))
    lines = []
    exp.run(callback=lambda gen, pop, lb: lines.append(sorted(ind.lineage["id"].split(".")[1] for ind in pop)))
    assert lines == [["p0", "p1"]] * 5


def test_nan_children_are_discarded_counted_and_never_selected(small_config, recwarn):
    exp = Experiment(small_config)
    exp.toolbox.register("mutate_broken", operators.mutate, loss=lambda d: d.mean() * float("nan"), **exp.mutation_args)
    assert mutation_names(exp.toolbox) == ["minimax", "heuristic", "least_squares", "broken"]
    exp.run()
    assert all(row["discarded"] == 2 and row["nevals"] == 8 and row["kept_parents"] == 0 for row in exp.logbook)
    assert all("broken" not in row["survivors"] for row in exp.logbook)
    assert all(ind.fitness.valid for ind in exp.population)


def test_all_children_invalid_keeps_the_parents(small_config):
    exp = Experiment(dataclasses.replace(small_config, mutations=["heuristic"], generations=2))
    exp.toolbox.register("mutate_heuristic", operators.mutate, loss=lambda d: d.mean() * float("inf"), **exp.mutation_args)
    parents = list(exp.population)
    with pytest.warns(RuntimeWarning, match="keeping 2 parent"):
        exp.run()
    assert [a is b for a, b in zip(exp.population, parents)] == [True, True]
    assert [row["kept_parents"] for row in exp.logbook] == [2, 2]
    assert all(math.isnan(v) for v in exp.logbook.chapters["fitness"].select("avg"))


def test_a_user_mutation_on_the_toolbox_takes_part(small_config):
    exp = Experiment(dataclasses.replace(small_config, mutations=["heuristic"]))
    exp.toolbox.register("mutate_hinge", operators.mutate, loss=lambda d: torch.relu(1 - d).mean(), **exp.mutation_args)
    exp.run()
    assert all(row["nevals"] == 4 for row in exp.logbook)
    assert any("hinge" in row["survivors"] for row in exp.logbook)


def test_nsga2_selection_in_the_loop(small_config):
    exp = run(small_config, selection="nsga2", population_size=3)
    assert len(exp.population) == 3 and all(ind.fitness.valid for ind in exp.population)


def test_population_of_one_warns_that_crossover_does_nothing(small_config):
    with pytest.warns(UserWarning, match="population of one"):
        Experiment(dataclasses.replace(small_config, population_size=1, p_cross=0.5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Experiment(dataclasses.replace(small_config, population_size=1, p_cross=0.0))


@pytest.mark.parametrize(
    "change, words",
    [
        ({"mutations": ["heuristic", "wgan"]}, ["mutations", "'wgan'", "minimax, heuristic, least_squares"]),
        ({"fitness": "novelty"}, ["fitness", "'novelty'", "egan"]),
        ({"selection": "roulette"}, ["selection", "best", "nsga2"]),
        ({"dataset": "swiss_roll"}, ["dataset", "ring", "grid", "spiral", "cross10d"]),
        ({"adversary": "wasserstein"}, ["adversary", "standard"]),
        ({"parallel": {"backend": "dask"}}, ["parallel.backend", "inprocess", "ray"]),
        ({"device": "tpu"}, ["device"]),
    ],
)
def test_unknown_names_list_the_valid_ones_before_training(small_config, change, words):
    from evogan.config import config_from_dict, config_to_dict

    data = config_to_dict(small_config)
    data.update(change)
    with pytest.raises(ConfigError) as err:
        Experiment(config_from_dict(data))
    for word in words:
        assert word in str(err.value)


def test_a_child_chosen_twice_survives_as_itself_and_as_a_copy_with_its_own_lineage(small_config):
    exp = Experiment(dataclasses.replace(small_config, generations=2))
    # what a selection with replacement does when the best child wins every draw (DEAP's selTournament can)
    exp.toolbox.register("select", lambda children, k: [max(children, key=lambda c: c.fitness.values)] * k)
    exp.run()
    first, twin = exp.population
    assert first is not twin and all(torch.equal(first[k], twin[k]) for k in first)
    assert twin.lineage["id"] == first.lineage["id"] + "#2" and twin.lineage["copy_of"] == first.lineage["id"]
    assert twin.fitness.values == first.fitness.values and twin.adam["step"] == first.adam["step"]
    assert all(twin.adam["exp_avg"][k] is not first.adam["exp_avg"][k] for k in first.adam["exp_avg"])
    assert [row["copies"] for row in exp.logbook] == [1, 1]
    assert len({child.lineage["parents"][0] for child in exp.population}) == 1  # one parent's child, twice


ACCEPTANCE = {"lineage_cull": lambda ind: ind.scores["f_q"],  # how readily D takes a member's fakes, as each culls
              "lineage_cull_loss": lambda ind: math.exp(-ind.scores["loss"])}


@pytest.mark.parametrize("selection, fitness", [("lineage_cull", "quality"), ("lineage_cull_loss", "none")])
def test_culling_replaces_a_collapsed_member_in_the_loop_and_lineage_keeps_it(small_config, selection, fitness):
    """A member made to put every fake on one far point: D rejects it; with a patience of 2 generations the culling
    selection replaces it in generation 2 by a copy of the member D accepts most (by F_q, or by exp(-loss) without
    any scoring), while plain lineage selection carries it to the end. Its failing count travels from parent to
    child through vary; the patience comes from the config (cull_patience)."""
    ends = {}
    for name in (selection, "lineage"):
        exp = Experiment(dataclasses.replace(small_config, population_size=4, mutations=["heuristic"], p_cross=0.0,
                                             fitness=fitness, selection=name, generations=4, cull_patience=2))
        dead = exp.population[2]
        dead["4.weight"].zero_()  # the last layer: every fake at (30, 30), far from the ring
        dead["4.bias"].fill_(30.0)
        rows = []
        exp.run(callback=lambda gen, pop, lb: rows.append([(ACCEPTANCE[selection](i), i.lineage) for i in pop]))
        ends[name] = (rows, [float(ind["4.bias"].abs().max()) for ind in exp.population], exp.logbook)
    rows, biases, logbook = ends[selection]
    assert [lineage["memory"]["failing"] for _, lineage in rows[0]] == [0, 0, 1, 0]
    assert rows[0][2][0] < 0.5 * sorted(a for a, _ in rows[0])[1]  # far below the median
    assert [lineage["parents"][0] for _, lineage in rows[0]] == [f"g0.i{i}" for i in range(4)]  # parents' order
    accepted = [a for a, _ in rows[1]]
    assert min(accepted) > 0.3 and rows[1][2][1]["copy_of"] == rows[1][2][1]["id"].removesuffix("#2")
    assert rows[1][2][0] == max(accepted) and [row["copies"] for row in logbook] == [0, 1, 0, 0]
    assert max(biases) < 1.0
    rows, biases, logbook = ends["lineage"]
    assert min(a for a, _ in rows[-1]) < 0.25 and max(biases) > 29.0 and [row["copies"] for row in logbook] == [0] * 4


@pytest.mark.parametrize("fitness, selection", [("quality", "lineage_cull"), ("none", "lineage_cull_loss")])
def test_culling_is_the_lineage_run_until_its_first_replacement(small_config, fitness, selection):
    """Scoring the children changes nothing else (its own random stream), and the culling selections keep the
    parents' order, so a healthy mixture evolves bit for bit as under lineage selection that scores nothing."""
    runs = [run(small_config, population_size=3, mutations=["heuristic"], p_cross=0.0, fitness=fit,
                selection=name, generations=4) for fit, name in (("none", "lineage"), (fitness, selection))]
    assert [row["copies"] for row in runs[1].logbook] == [0] * 4
    assert [row["d_loss"] for row in runs[0].logbook] == [row["d_loss"] for row in runs[1].logbook]
    assert all(torch.equal(a[k], b[k]) for a, b in zip(runs[0].population, runs[1].population) for k in a)


def test_the_culling_parameters_come_from_the_config_with_the_operators_defaults(small_config):
    from evogan.config import Config
    from evogan.core.strategy import selection_options

    assert (Config().cull_below, Config().cull_patience) == (operators.CULL_BELOW, operators.CULL_PATIENCE)
    config = dataclasses.replace(small_config, cull_below=0.25, cull_patience=7)
    assert selection_options(operators.select_lineage_cull_by_loss, config) == {"below": 0.25, "patience": 7}
    assert selection_options(operators.select_best, config) == {}  # a selection without them gets none
    with pytest.raises(ConfigError, match="cull_below"):
        dataclasses.replace(small_config, cull_below=0.0)


def test_lineage_cull_needs_a_fitness_that_measures_f_q(small_config):
    with pytest.raises(ConfigError, match="selection 'lineage_cull' reads the children's F_q"):
        Experiment(dataclasses.replace(small_config, population_size=4, mutations=["heuristic"], fitness="none",
                                       selection="lineage_cull"))


def test_every_child_invalid_three_generations_in_a_row_stops_the_run(small_config):
    from evogan.core.algorithms import INVALID_STREAK, TrainingDiverged

    exp = Experiment(dataclasses.replace(small_config, mutations=["heuristic"], generations=10))
    exp.toolbox.register("mutate_heuristic", operators.mutate, loss=lambda d: d.mean() * float("inf"), **exp.mutation_args)
    with pytest.warns(RuntimeWarning, match="keeping 2 parent"), \
            pytest.raises(TrainingDiverged, match=r"generations 1-3: every child was invalid .* 3 generations in a row"):
        exp.run()
    assert INVALID_STREAK == 3 and len(exp.logbook) == 2  # the third bad generation is not recorded
