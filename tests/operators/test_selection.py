"""(mu, lambda) truncation and NSGA-II on (F_q, F_d)."""

from evogan.individual import Individual
from operators import SELECTIONS, select_best, select_nsga2


def scored(f_q, f_d, gamma=1.0, ident=None):
    ind = Individual({}, lineage={"id": ident or f"{f_q},{f_d}"})
    ind.scores.update(f_q=f_q, f_d=f_d)
    ind.fitness.values = (f_q + gamma * f_d,)
    return ind


def test_select_best_keeps_the_k_fittest_in_order():
    pop = [scored(q, 0.0) for q in (0.2, 0.9, 0.5, 0.7)]
    assert [ind.scores["f_q"] for ind in select_best(pop, 2)] == [0.9, 0.7]
    assert SELECTIONS.get("best") is select_best


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
