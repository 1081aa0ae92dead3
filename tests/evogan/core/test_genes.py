"""Self-adaptive genes: a member's learning-rate factor, mutated log-normally in ``vary``, inherited by the child,
used by its mutation, selected with it, and recorded in the logbook."""

import copy
import dataclasses
import math

import pytest
import torch

from evogan import ConfigError, Experiment
from evogan.core.algorithms import breed
from evogan.core.seeding import numpy_generator


def genes_config(small_config, sigma=0.3, **changes):
    return dataclasses.replace(small_config, genes=dataclasses.replace(small_config.genes, lr_sigma=sigma), **changes)


def z(seed, generation, i, name):
    return numpy_generator(seed, generation, "genes", i, name).standard_normal()


def test_off_by_default_and_then_nothing_changes(small_config):
    ex = Experiment(small_config)
    assert small_config.genes.lr_sigma == 0.0
    recipes = ex.toolbox.vary(ex.population, 1)
    assert all("genes" not in r.lineage and r.lr is None for r in recipes)  # constant lr: the mutation's own
    ex.run(2)
    assert "lr_g_factor" not in ex.logbook[-1]


def test_vary_draws_each_child_s_factor_from_its_parent_s_by_hand(small_config):
    config = genes_config(small_config, sigma=0.3, lr_g=2e-3)
    ex = Experiment(config)
    ex.population[0].lineage["genes"] = {"lr_g": 2.0}  # the second member has none yet: factor 1
    recipes = ex.toolbox.vary(ex.population, 7)
    assert len(recipes) == 2 * 3
    names = ["minimax", "heuristic", "least_squares"]
    for k, recipe in enumerate(recipes):
        i, name = divmod(k, 3)
        parent_factor = 2.0 if i == 0 else 1.0
        factor = parent_factor * math.exp(0.3 * z(config.seed, 7, i, names[name]))
        assert recipe.lineage["genes"] == {"lr_g": pytest.approx(factor, rel=1e-12)}
        assert recipe.lr == pytest.approx(2e-3 * factor, rel=1e-12)  # constant schedule: lr_g times the factor
    assert len({r.lr for r in recipes}) == 6  # every child its own rate


def test_the_factor_stays_inside_its_bounds_and_scales_the_schedule(small_config):
    config = genes_config(small_config, sigma=2.0, schedule={"g": "linear", "final": 0.5})
    config = dataclasses.replace(config, genes=dataclasses.replace(config.genes, lr_min=0.5, lr_max=2.0))
    ex = Experiment(config)
    scheduled = config.lr_g * (1 - 0.5 * (3 - 1) / (config.generations - 1))  # linear: lr_g at 1, half at the last
    for member in ex.population:
        member.lineage["genes"] = {"lr_g": 1.9}
    recipes = ex.toolbox.vary(ex.population, 3)
    factors = [r.lineage["genes"]["lr_g"] for r in recipes]
    assert all(0.5 <= f <= 2.0 for f in factors) and {0.5, 2.0} & set(factors)  # sigma 2 hits a bound
    for recipe, f in zip(recipes, factors):
        raw = 1.9 * math.exp(2.0 * z(config.seed, 3, *_where(recipe)))
        assert f == pytest.approx(min(max(raw, 0.5), 2.0), rel=1e-12)
        assert recipe.lr == pytest.approx(ex.toolbox.vary.keywords["lr_g"](3) * f, rel=1e-12)
    assert ex.toolbox.vary.keywords["lr_g"](3) == pytest.approx(scheduled, rel=1e-12)


def _where(recipe):
    """(parent index, mutation) of a recipe, read back from its lineage id g<gen>.p<i>.<name>."""
    _, parent, name = recipe.lineage["id"].split(".", 2)
    return int(parent[1:]), name


def test_a_child_trains_at_its_own_rate(small_config):
    """Adam's first step moves every weight with a gradient by lr (m / sqrt(v) = ±1): the child's step is lr_g times
    its factor."""
    config = genes_config(small_config, sigma=0.5, lr_g=1e-3, mutations=["heuristic"], population_size=1,
                          p_cross=0.0)
    ex = Experiment(config)
    parent = ex.population[0]
    (recipe,) = ex.toolbox.vary(ex.population, 1)
    child = breed(recipe, ex.toolbox.judge(generation=1), toolbox=ex.toolbox)
    steps = torch.cat([(child[k] - parent[k]).abs().flatten() for k in parent if parent[k].is_floating_point()])
    moved = steps[steps > 0]
    expected = 1e-3 * recipe.lineage["genes"]["lr_g"]
    assert recipe.lineage["genes"]["lr_g"] != pytest.approx(1.0, abs=0.05)  # the check can tell the rates apart
    assert torch.median(moved).item() == pytest.approx(expected, rel=1e-2)
    assert child.lineage["genes"] == recipe.lineage["genes"]


def test_inside_the_loop_survivors_carry_their_factor_and_the_logbook_its_mean(small_config):
    config = genes_config(small_config, sigma=0.3)
    ex = Experiment(config)
    before = {}

    def remember(gen, population, logbook):
        before[gen] = {ind.lineage["id"]: ind.lineage["genes"]["lr_g"] for ind in population}

    ex.run(4, callback=remember)
    for gen in range(2, 5):
        for ind_id, factor in before[gen].items():
            _, parent, name = ind_id.split(".", 2)
            parent_index = int(parent[1:])
            parent_factor = list(before[gen - 1].values())[parent_index]
            raw = parent_factor * math.exp(0.3 * z(config.seed, gen, parent_index, name))
            assert factor == pytest.approx(min(max(raw, 0.1), 10.0), rel=1e-12)
        assert ex.logbook[gen - 1]["lr_g_factor"] == pytest.approx(sum(before[gen].values()) / 2, rel=1e-12)


def test_resume_and_copies_keep_the_genes(small_config):
    ex = Experiment(genes_config(small_config))
    ex.run(2)
    member = ex.population[0]
    assert copy.deepcopy(member).lineage["genes"] == member.lineage["genes"]


def test_bad_gene_settings_name_the_key_and_the_range(small_config):
    with pytest.raises(ConfigError, match=r"genes.lr_sigma: -0.1 is out of range"):
        genes_config(small_config, sigma=-0.1)
    with pytest.raises(ConfigError, match=r"genes.lr_min"):
        dataclasses.replace(small_config, genes=dataclasses.replace(small_config.genes, lr_min=0.0))
