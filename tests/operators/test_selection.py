"""(mu, lambda) truncation, one survivor per lineage (and its culling variant), NSGA-II on (F_q, F_d) and the uniform
control."""

import numpy as np

from evogan.core.individual import Individual
from operators import (CULL_BELOW, CULL_PATIENCE, SELECTIONS, select_best, select_lineage, select_lineage_cull,
                       select_lineage_cull_by_loss, select_nsga2, select_random)


def scored(f_q, f_d, gamma=1.0, ident=None, parent=None):
    ind = Individual({}, lineage={"id": ident or f"{f_q},{f_d}", "parents": [parent] if parent else []})
    ind.scores.update(f_q=f_q, f_d=f_d)
    ind.fitness.values = (f_q + gamma * f_d,)
    return ind


def test_select_best_keeps_the_k_fittest_in_order():
    pop = [scored(q, 0.0) for q in (0.2, 0.9, 0.5, 0.7)]
    assert [ind.scores["f_q"] for ind in select_best(pop, 2)] == [0.9, 0.7]
    assert SELECTIONS.get("best") is select_best


def test_lineage_selection_keeps_each_parents_fittest_child():
    # parent a's children are all fitter than parent b's: best would keep two of a's, lineage one of each
    a = [scored(q, 0.0, parent="a") for q in (0.9, 0.8, 0.7)]
    b = [scored(q, 0.0, parent="b") for q in (0.3, 0.5, 0.1)]
    pop = a + b
    assert [id(i) for i in select_best(pop, 2)] == [id(a[0]), id(a[1])]
    assert [id(i) for i in select_lineage(pop, 2)] == [id(a[0]), id(b[1])]
    # more lineages than places: the fittest champions; fewer (b has no valid child): the best remaining child fills
    c = [scored(0.6, 0.0, parent="c")]
    assert [id(i) for i in select_lineage(pop + c, 2)] == [id(a[0]), id(c[0])]
    assert [id(i) for i in select_lineage(a, 2)] == [id(a[0]), id(a[1])]
    # a crossover child belongs to the parent whose Adam state it continues (the first of its parents)
    crossed = scored(0.95, 0.0, ident="x", parent="b")
    crossed.lineage["parents"].append("a")
    assert [id(i) for i in select_lineage(pop + [crossed], 2)] == [id(crossed), id(a[0])]
    assert SELECTIONS.get("lineage") is select_lineage


def test_lineage_cull_replaces_a_lineage_failing_patience_generations_by_the_best_in_parent_order():
    def champions(c_failing_before):
        # each lineage's champion, in parent order: a 0.50, b 0.45, c 0.10 (collapsed), d 0.55; median 0.475,
        # floor 0.2375: c fails; b's line had failed before but not now, so its count goes back to 0
        pop = [scored(q, 0.0, parent=p) for q, p in ((0.50, "a"), (0.45, "b"), (0.10, "c"), (0.55, "d"))]
        pop[1].lineage["memory"] = {"failing": CULL_PATIENCE}
        if c_failing_before:
            pop[2].lineage["memory"] = {"failing": c_failing_before}
        return pop, [scored(q, 0.0, parent=p) for q, p in ((0.30, "a"), (0.05, "c"))]

    assert CULL_BELOW == 0.5 and CULL_PATIENCE == 200
    pop, beaten = champions(0)  # c fails for the first time: kept, its count starts
    assert [id(i) for i in select_lineage_cull(beaten + pop, 4)] == [id(i) for i in pop]
    assert [i.lineage["memory"]["failing"] for i in pop] == [0, 0, 1, 0]
    pop, beaten = champions(CULL_PATIENCE - 1)  # the 200th generation in a row: c's place goes to d, twice
    assert [id(i) for i in select_lineage_cull(beaten + pop, 4)] == [id(pop[0]), id(pop[1]), id(pop[3]), id(pop[3])]
    assert pop[2].lineage["memory"]["failing"] == CULL_PATIENCE
    # at the floor exactly (0.2375 = 0.5 * median 0.475) a lineage is not failing
    edge = [scored(q, 0.0, parent=p) for q, p in ((0.50, "a"), (0.45, "b"), (0.2375, "c"), (0.55, "d"))]
    edge[2].lineage["memory"] = {"failing": CULL_PATIENCE - 1}
    assert [id(i) for i in select_lineage_cull(edge, 4)] == [id(i) for i in edge]
    assert edge[2].lineage["memory"]["failing"] == 0
    assert SELECTIONS.get("lineage_cull") is select_lineage_cull


def test_lineage_cull_loss_judges_by_exp_minus_the_update_loss_and_needs_no_scores():
    def champions(c_loss):
        # losses a 0.7, b 0.8, d 0.6: exp(-loss) 0.4966, 0.4493, 0.5488; with c far below, the median is
        # (0.4493 + 0.4966) / 2 = 0.47295 and the floor 0.23648, i.e. a loss above -ln 0.23648 = 1.4419 fails
        pop = [Individual({}, lineage={"id": p + "1", "parents": [p]}) for p in "abcd"]
        for ind, loss in zip(pop, (0.7, 0.8, c_loss, 0.6)):
            ind.scores["loss"] = loss  # no f_q, f_d: nothing was scored
            ind.fitness.values = (0.0,)
        pop[2].lineage["memory"] = {"failing": CULL_PATIENCE - 1}
        return pop

    pop = champions(1.45)  # acceptance 0.2346: the 200th failing generation, its place goes to d (the lowest loss)
    assert [id(i) for i in select_lineage_cull_by_loss(pop, 4)] == [id(pop[0]), id(pop[1]), id(pop[3]), id(pop[3])]
    assert pop[2].lineage["memory"]["failing"] == CULL_PATIENCE
    pop = champions(1.44)  # acceptance 0.2369, above the floor: kept, its count back to 0
    assert [id(i) for i in select_lineage_cull_by_loss(pop, 4)] == [id(i) for i in pop]
    assert pop[2].lineage["memory"]["failing"] == 0
    assert SELECTIONS.get("lineage_cull_loss") is select_lineage_cull_by_loss
    assert not getattr(select_lineage_cull_by_loss, "reads_scores", False)


def test_nsga2_keeps_the_first_front_then_the_next():
    front = [scored(1.0, 0.0), scored(0.0, 1.0), scored(0.5, 0.5)]
    dominated = [scored(0.4, 0.4), scored(0.1, 0.1)]
    pop = dominated + front
    assert {id(i) for i in select_nsga2(pop, 3)} == {id(i) for i in front}
    four = select_nsga2(pop, 4)
    assert {id(i) for i in four} == {id(i) for i in front} | {id(dominated[0])}


def test_nsga2_ignores_the_weighted_sum():
    # (0.9, -5) has the worst F = F_q + F_d, but nothing dominates it on (F_q, F_d)
    extreme = scored(0.9, -5.0)
    pop = [extreme, scored(0.5, 1.0), scored(0.4, 0.9)]
    assert any(ind is extreme for ind in select_nsga2(pop, 2))
    assert not any(ind is extreme for ind in select_best(pop, 2))
    assert all(not hasattr(ind.fitness, "crowding_dist") for ind in pop)


def test_random_selection_ignores_fitness_and_follows_its_stream():
    pop = [scored(q, 0.0) for q in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6)]
    chosen = select_random(pop, 3, rng=np.random.default_rng(11))
    # numpy's choice without replacement, drawn by hand with the same seed
    expected = np.random.default_rng(11).choice(6, size=3, replace=False)
    assert [id(ind) for ind in chosen] == [id(pop[i]) for i in expected]
    assert len({id(ind) for ind in chosen}) == 3
    # over many streams every child is kept about k/n = 1/2 of the time, the fittest no more often than the least fit
    kept = np.zeros(6)
    for seed in range(2000):
        for ind in select_random(pop, 3, rng=np.random.default_rng(seed)):
            kept[[id(p) for p in pop].index(id(ind))] += 1
    assert np.all(np.abs(kept / 2000 - 0.5) < 0.05)
    assert SELECTIONS.get("random") is select_random
