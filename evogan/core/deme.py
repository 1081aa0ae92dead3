"""The deme: a population with its own discriminator, strategy and data, evolving on its own.

A plain run is one deme. DynGAN's niches are demes that share a pool of real
data, each trained on its partition (``evogan.populations.niches``); islands are demes on
the whole data that exchange migrants (``evogan.populations.islands``). The experiment
evolves every deme each generation, then runs its hooks (DynGAN's collapse
detection and splits, the islands' migration), and samples the demes mixed by
weights (partition sizes, or the islands' mixture).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import torch
from deap import tools

from .algorithms import ea_generation
from .individual import same_individual
from .sampling import member_shares, sample_population
from .seeding import torch_generator
from .state import deme_state, load_deme_state

__all__ = ["Deme", "evolve_demes", "ranked", "proportional_counts", "sample_demes"]


def ranked(population: list) -> list:
    """The members best first by fitness (members without a valid fitness last), ties in population order."""
    def key(item):
        index, ind = item
        return (0, -ind.fitness.values[0], index) if ind.fitness.valid else (1, 0.0, index)

    return [ind for _, ind in sorted(enumerate(population), key=key)]


@dataclass
class Deme:
    """A population, its adversary (discriminator family), the toolbox that evolves it, its real data, and what it
    records: logbook and hall of fame. ``RemoteDeme`` (evogan.parallel.ray_islands) has the same methods."""

    population: list
    adversary: object
    toolbox: object
    data: object
    logbook: tools.Logbook = field(default_factory=tools.Logbook)
    halloffame: tools.HallOfFame = field(default_factory=lambda: tools.HallOfFame(1, similar=same_individual))
    invalid_streak: int = 0  # generations in a row with every child invalid (the loop stops the run at 3)
    make_fakes: object = None  # fn(members, n, rng) -> samples: the experiment's sample_population on its networks
    remote = False
    autonomous = False  # True: it evolves on its own between exchanges (an asynchronous island actor)

    def evolve(self, generation: int, stats=None) -> None:
        """Generation ``generation`` of this deme (``ea_generation``), recorded in its logbook."""
        self.invalid_streak = ea_generation(self.population, self.toolbox, generation, stats=stats,
                                            halloffame=self.halloffame, logbook=self.logbook,
                                            invalid_streak=self.invalid_streak)

    def sample(self, n: int, rng: torch.Generator, *, best: bool, generator, sample_latent,
               running_stats: bool) -> torch.Tensor:
        """n samples of the whole population mixed evenly, or of its best member."""
        members = self.population[:1] if best else self.population
        return sample_population(members, n, rng, generator=generator, sample_latent=sample_latent,
                                 running_stats=running_stats)

    def emigrants(self, count: int) -> list:
        """Copies of the ``count`` best members."""
        return [copy.deepcopy(ind) for ind in ranked(self.population)[:count]]

    def receive(self, incoming: list) -> None:
        """``incoming`` replace the worst members (the others keep their rank order)."""
        self.population[:] = ranked(self.population)[:len(self.population) - len(incoming)] + list(incoming)

    def discriminator(self, weights_only: bool = False) -> dict:
        """A copy of the adversary's own state (weights and optimizer moments; ``weights_only``: D's weights), to
        migrate."""
        state = self.adversary.state_dict()
        return copy.deepcopy(state["discriminator"] if weights_only else
                             {k: v for k, v in state.items() if k != "neighbourhood"})

    def meet(self, generators: list, discriminators: list[dict]) -> None:
        """A new neighbourhood (islands.policy = "neighbourhood"): the neighbours' best and their D weights."""
        self.adversary.meet(generators, discriminators)

    @torch.no_grad()
    def adopt_discriminator(self, candidates: list[dict], identity: tuple, batch_size: int) -> int:
        """Keep, among its own discriminator (0) and ``candidates`` (1, 2, ...), the one with the lowest L_D on a batch
        of this deme's real data and of its population's fakes, drawn from the stream ``torch_generator(*identity)``;
        returns the index kept."""
        rng = torch_generator(*identity, device=self.adversary.device)
        real = self.data.sample(batch_size, rng)
        fake = self.make_fakes(self.population, batch_size, rng)
        judge = self.adversary.replica(self.adversary.device)
        losses = []
        for state in [self.adversary.state_dict(), *candidates]:
            judge.load_shared_state(state["discriminator"])
            losses.append(float(judge.loss(real, fake, member_shares(len(fake), len(self.population), judge.pack))))
        best = min(range(len(losses)), key=losses.__getitem__)
        if best:
            self.adversary.load_state_dict(candidates[best - 1])
        return best

    def state(self) -> dict:
        return deme_state(self)

    def load_state(self, state: dict) -> None:
        load_deme_state(self, state)


def evolve_demes(demes: list, generation: int, stats=None) -> None:
    """Every deme's generation ``generation``: remote demes are started first and run while the local ones do;
    autonomous ones (asynchronous islands) evolve on their own."""
    waits = [deme.submit(generation) for deme in demes if deme.remote and not deme.autonomous]
    for deme in demes:
        if not deme.remote:
            deme.evolve(generation, stats)
    for wait in waits:
        wait()


def proportional_counts(n: int, weights: list[float]) -> list[int]:
    """Split n in proportion to ``weights`` (largest remainders; the counts sum to n)."""
    total = sum(weights)
    exact = [n * w / total for w in weights]
    counts = [int(math.floor(e)) for e in exact]
    for i in sorted(range(len(weights)), key=lambda i: exact[i] - counts[i], reverse=True)[: n - sum(counts)]:
        counts[i] += 1
    return counts


def sample_demes(demes: list, weights: list[float], n: int, rng: torch.Generator, *, best: bool, generator,
                 sample_latent, running_stats: bool) -> torch.Tensor:
    """n samples of the demes mixed by ``weights``: deme i gives its share, in deme order, from one stream of random
    numbers (so a remote deme, whose latents are drawn here, gives what it would give in process)."""
    out = [deme.sample(count, rng, best=best, generator=generator, sample_latent=sample_latent,
                       running_stats=running_stats)
           for deme, count in zip(demes, proportional_counts(n, weights)) if count]
    return torch.cat(out)
