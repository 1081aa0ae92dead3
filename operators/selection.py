"""Survivor selection: (mu, lambda) truncation, NSGA-II on (F_q, F_d), and a uniform control that ignores fitness."""

from __future__ import annotations

from deap import base, tools

from .registry import SELECTIONS

__all__ = ["select_best", "select_nsga2", "select_random"]


@SELECTIONS.register("best")
def select_best(individuals, k):
    """E-GAN's (mu, lambda) selection: the k children of highest fitness F."""
    return tools.selBest(individuals, k)


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


@SELECTIONS.register("random")
def select_random(individuals, k, rng):
    """k children drawn uniformly without replacement, fitness ignored: the control that tells what selection by
    fitness adds (an ablation), reproducible through the selection's own stream."""
    return [individuals[i] for i in rng.choice(len(individuals), size=k, replace=False)]
