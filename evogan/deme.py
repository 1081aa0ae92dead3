"""The deme: a population with its own discriminator, strategy and data, evolving on its own.

A plain run is one deme. DynGAN's niches are demes that share a pool of real
data, each trained on its partition (``evogan.niches``); islands are demes on
the whole data that exchange migrants (``evogan.islands``). The experiment
evolves every deme each generation, then runs its hooks (DynGAN's collapse
detection and splits, the islands' migration), and samples the demes mixed by
weights (partition sizes, or the islands' mixture).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from deap import tools

from .algorithms import ea_generation
from .individual import same_individual
from .sampling import sample_population

__all__ = ["Deme", "proportional_counts", "sample_demes"]


@dataclass
class Deme:
    """A population, its adversary (discriminator family), the toolbox that evolves it, its real data, and what it
    records: logbook and hall of fame."""

    population: list
    adversary: object
    toolbox: object
    data: object
    logbook: tools.Logbook = field(default_factory=tools.Logbook)
    halloffame: tools.HallOfFame = field(default_factory=lambda: tools.HallOfFame(1, similar=same_individual))
    invalid_streak: int = 0  # generations in a row with every child invalid (the loop stops the run at 3)

    def evolve(self, generation: int, stats=None) -> None:
        """Generation ``generation`` of this deme (``ea_generation``), recorded in its logbook."""
        self.invalid_streak = ea_generation(self.population, self.toolbox, generation, stats=stats,
                                            halloffame=self.halloffame, logbook=self.logbook,
                                            invalid_streak=self.invalid_streak)


def proportional_counts(n: int, weights: list[float]) -> list[int]:
    """Split n in proportion to ``weights`` (largest remainders; the counts sum to n)."""
    total = sum(weights)
    exact = [n * w / total for w in weights]
    counts = [int(math.floor(e)) for e in exact]
    for i in sorted(range(len(weights)), key=lambda i: exact[i] - counts[i], reverse=True)[: n - sum(counts)]:
        counts[i] += 1
    return counts


def sample_demes(demes: list[Deme], weights: list[float], n: int, rng: torch.Generator, *, best: bool, generator,
                 sample_latent, running_stats: bool) -> torch.Tensor:
    """n samples of the demes mixed by ``weights``: deme i gives its share (its whole population mixed evenly, or
    its best member), in deme order from one stream of random numbers."""
    out = []
    for deme, count in zip(demes, proportional_counts(n, weights)):
        if count:
            members = deme.population[:1] if best else deme.population
            out.append(sample_population(members, count, rng, generator=generator, sample_latent=sample_latent,
                                         running_stats=running_stats))
    return torch.cat(out)
