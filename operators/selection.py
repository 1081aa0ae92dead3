"""Survivor selection: (mu, lambda) truncation, one survivor per lineage (and its culling variant, which replaces a
failed lineage by a copy of the best), NSGA-II on (F_q, F_d), and a uniform control that ignores fitness."""

from __future__ import annotations

import math
import statistics

from deap import base, tools

from .registry import SELECTIONS

__all__ = ["select_best", "select_lineage", "select_lineage_cull", "select_lineage_cull_by_loss", "CULL_BELOW",
           "CULL_PATIENCE", "select_nsga2", "select_random"]


@SELECTIONS.register("best")
def select_best(individuals, k):
    """E-GAN's (mu, lambda) selection: the k children of highest fitness F."""
    return tools.selBest(individuals, k)


@SELECTIONS.register("lineage")
def select_lineage(individuals, k):
    """Each parent's fittest child, so that mu parents stay mu lineages.

    With ``best``, one parent's children can take every place, and the population collapses onto one generator;
    here every lineage (the parent whose Adam state a child continues, ``lineage["parents"][0]``) keeps its best
    child, and the population stays a mixture of mu generators, each trained against the shared D (a niching rule,
    in the spirit of deterministic crowding). When more lineages than k compete, the k fittest of their best
    children survive; places a lineage leaves empty (all its children invalid) go to the fittest remaining children.
    """
    best_of: dict = {}
    for ind in individuals:
        parents = ind.lineage.get("parents") or [ind.lineage.get("id")]
        champion = best_of.get(parents[0])
        if champion is None or ind.fitness > champion.fitness:
            best_of[parents[0]] = ind
    chosen = tools.selBest(list(best_of.values()), k)
    if len(chosen) < k:
        taken = {id(ind) for ind in chosen}
        chosen += tools.selBest([ind for ind in individuals if id(ind) not in taken], k - len(chosen))
    return chosen


#: a lineage whose F_q is below this fraction of the lineages' median F_q is failing (``lineage_cull``) ...
CULL_BELOW = 0.5
#: ... and is replaced once it has been failing this many generations in a row (the config's defaults, ``cull_below``
#: and ``cull_patience``, which the strategy passes as ``below`` and ``patience``)
CULL_PATIENCE = 200


def _cull(individuals, k, acceptance, below, patience):
    """``lineage``'s survivors in their parents' order, each that has been failing ``patience`` generations in a row
    replaced by the survivor of highest acceptance. Failing: ``acceptance(ind)`` (how readily D takes its fakes, a
    probability) below ``below`` times the survivors' median; the count is ``lineage["memory"]["failing"]``."""
    position = {id(ind): i for i, ind in enumerate(individuals)}
    chosen = sorted(select_lineage(individuals, k), key=lambda ind: position[id(ind)])
    floor = below * statistics.median(acceptance(ind) for ind in chosen)
    for ind in chosen:
        failing = ind.lineage.get("memory", {}).get("failing", 0) + 1 if acceptance(ind) < floor else 0
        ind.lineage["memory"] = {**ind.lineage.get("memory", {}), "failing": failing}
    best = max(chosen, key=acceptance)  # never failing: its acceptance is at least the median
    return [best if ind.lineage["memory"]["failing"] >= patience else ind for ind in chosen]


@SELECTIONS.register("lineage_cull")
def select_lineage_cull(individuals, k, *, below=CULL_BELOW, patience=CULL_PATIENCE):
    """``lineage``, its survivors kept in their parents' order, then every survivor that has been failing
    ``patience`` generations in a row (config ``cull_patience``) is replaced by the survivor of highest F_q, chosen
    again (the loop makes the repeat a copy with a lineage of its own, ``algorithms.distinct``). Failing: F_q (D's mean
    probability on its fakes) below ``below`` (config ``cull_below``) times the survivors' median F_q. The count
    travels down the line in ``lineage["memory"]["failing"]``.

    Why: in a mixture of generators against one D, a member can collapse for good (all its fakes on one point, which
    D scores near 0 while it scores the others near 1/2); lineage selection alone keeps it forever. Its place is
    better spent on a copy of a working generator, which then drifts apart from its original on its own latents. The
    patience spares the phases in which D beats every generator at once and the lowest F_q is noise. Keeping the
    parents' order keeps each place's random streams: until the first replacement a run is the ``lineage`` run of the
    same seed. Needs a fitness that measures F_q (``quality``, ``egan``, ...).
    """
    return _cull(individuals, k, lambda ind: ind.scores["f_q"], below, patience)


select_lineage_cull.reads_scores = True  # build_strategy refuses it with a fitness that measures nothing


@SELECTIONS.register("lineage_cull_loss")
def select_lineage_cull_by_loss(individuals, k, *, below=CULL_BELOW, patience=CULL_PATIENCE):
    """``lineage_cull`` judged on what the mutation measured anyway, so it needs no fitness and costs nothing: a
    survivor's acceptance is exp(-loss), its generator loss on the fakes of its own update (``scores["loss"]``). Under
    the non-saturating loss -E log D(G(z)) that is the geometric mean of D's probabilities on those fakes, and failing
    means it is below half the survivors' median. With ``fitness = "none"`` a run is then the ``lineage`` run of its
    seed, time included, until its first replacement. Compare like with like: every lineage on the same loss (with
    loss modifiers, their terms count too).
    """
    return _cull(individuals, k, lambda ind: math.exp(-ind.scores["loss"]), below, patience)




class _Objectives(base.Fitness):
    weights = (1.0, 1.0)


class _Proxy:
    """Stand-in carrying a two-objective fitness; DEAP writes crowding distances on it."""

    __slots__ = ("index", "fitness")

    def __init__(self, index, f_q, f_d):
        self.index = index
        self.fitness = _Objectives((f_q, f_d))


@SELECTIONS.register("nsga2")
def select_nsga2(individuals, k):
    """NSGA-II (``tools.selNSGA2``) on the two fitness components (F_q, F_d), both maximised.

    The individuals' own fitness is one weighted value (DEAP compares
    multi-valued fitnesses lexicographically), so the selection runs on
    proxies that carry (F_q, F_d) from ``ind.scores``.
    """
    proxies = [_Proxy(i, ind.scores["f_q"], ind.scores["f_d"]) for i, ind in enumerate(individuals)]
    return [individuals[p.index] for p in tools.selNSGA2(proxies, k)]


select_nsga2.reads_scores = True


@SELECTIONS.register("random")
def select_random(individuals, k, rng):
    """k children drawn uniformly without replacement, fitness ignored: the control that tells what selection by
    fitness adds (an ablation), reproducible through the selection's own stream."""
    return [individuals[i] for i in rng.choice(len(individuals), size=k, replace=False)]
