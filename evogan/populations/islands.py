"""Islands: demes of generators, each with its own discriminator, exchanging their best members.

With ``islands.count = K`` the experiment holds K demes on the whole data. Island 0 is the
run's own population (seed ``seed``), so one island is exactly the plain run; island k > 0
builds its generators, discriminator and random streams from ``derive_seed(seed, "island",
k)``. Every generation each island runs its E-GAN generation; every ``migration_every``
generations (synchronously, after all of them) each island sends copies of its
``migrants`` best generators (weights, Adam state, running statistics) to the islands the
topology names (``evogan.populations.topology``); they replace the receiver's worst members, so the
receiver keeps its best ``population_size - incoming``. Who goes where depends only on the
fitness order inside each island, so migration is deterministic. With ``policy =
"neighbourhood"`` the copies and the senders' discriminators become the receiver's
neighbourhood instead (Lipizzaner's coevolution, ``evogan.adversaries.neighbourhood``).

Samples mix the islands by weights: uniform, or evolved (as Lipizzaner's ensemble): at
every evaluation a (1+1)-ES, starting from the current weights, perturbs them
log-normally and keeps a candidate only when the dataset's reverse KL (2-D mixtures) or
FID (images) on held-out latents improves, so the evolved mixture never scores worse than
the one it started from on that objective.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import torch

from ..core.deme import Deme, ranked, sample_demes
from ..core.registry import Registry
from ..core.seeding import derive_seed, numpy_generator, torch_generator
from .topology import topology

__all__ = ["ISLAND_BACKENDS", "Islands", "attach_islands", "arrived", "migrate", "meet_neighbours", "migrate_discriminators", "ranked", "evolve_mixture",
           "island_config"]


def island_config(config, k: int):
    """Island k's config: the run's own for island 0, a seed of its own for the others."""
    return config if k == 0 else dataclasses.replace(config, seed=derive_seed(config.seed, "island", k))


def arrived(ind, sender: int, generation: int):
    """``ind`` (a copy of a sender's member) marked in its lineage with where it came from and when it arrived."""
    ind.lineage = {**ind.lineage, "migrant_from": sender, "migrated_at": generation}
    return ind


def migrate(demes: list, senders: list[list[int]], migrants: int, generation: int) -> int:
    """Every island sends copies of its ``migrants`` best to the islands that list it in ``senders``; they replace
    the receiver's worst. All emigrants are chosen before anyone is replaced. Returns how many moved."""
    if not migrants:
        return 0
    emigrants = [deme.emigrants(migrants) for deme in demes]
    moved = 0
    for j, deme in enumerate(demes):
        incoming = [arrived(copy.deepcopy(ind), i, generation) for i in senders[j] for ind in emigrants[i]]
        if incoming:
            deme.receive(incoming)
            moved += len(incoming)
    return moved


def migrate_discriminators(demes: list, senders: list[list[int]], generation: int, *, seed: int,
                           batch_size: int) -> int:
    """Every island adopts, among its own discriminator and copies of its senders', the one with the lowest L_D on its
    own real data and generators (Lipizzaner); all copies are taken before anyone adopts. Returns how many changed."""
    offered = [deme.discriminator() for deme in demes]
    changed = 0
    for j, deme in enumerate(demes):
        identity = (seed, generation, "discriminator-migration", j)
        changed += deme.adopt_discriminator([offered[i] for i in senders[j]], identity, batch_size) > 0
    return changed


def meet_neighbours(demes: list, senders: list[list[int]], migrants: int) -> int:
    """Lipizzaner's exchange: every island's neighbourhood becomes copies of its senders' ``migrants`` best generators
    and their discriminators' weights (``evogan.adversaries.neighbourhood``); all are taken before anyone changes. Returns how many
    generators were sent."""
    generators = [deme.emigrants(migrants) if migrants else [] for deme in demes]
    discriminators = [deme.discriminator(weights_only=True) for deme in demes]
    for j, deme in enumerate(demes):
        deme.meet([copy.deepcopy(g) for i in senders[j] for g in generators[i]], [discriminators[i] for i in senders[j]])
    return sum(len(generators[i]) for receiving in senders for i in receiving)


def evolve_mixture(weights: np.ndarray, objective, steps: int, rng: np.random.Generator,
                   sigma: float = 0.3) -> tuple[np.ndarray, float, float]:
    """(1+1)-ES on mixture weights (positive, summing to 1), minimising ``objective``: log-normal perturbations, a
    candidate kept only when strictly better. The objective is noisy (each evaluation scores fresh samples of
    generators that moved), so uniform weights are scored again every time and the search starts from them when they
    beat the last weights: the result is never worse than uniform. Returns (weights, their score, the starting
    weights' score)."""
    best = np.asarray(weights, float) / np.sum(weights)
    best_score = start_score = objective(best)
    uniform = np.full(len(best), 1.0 / len(best))
    if not np.array_equal(best, uniform):
        uniform_score = objective(uniform)
        if uniform_score < best_score:
            best, best_score = uniform, uniform_score
    for _ in range(steps):
        candidate = best * np.exp(sigma * rng.standard_normal(len(best)))
        candidate /= candidate.sum()
        score = objective(candidate)
        if score < best_score:
            best, best_score = candidate, score
    return best, best_score, start_score


class Islands:
    """The experiment's hook for islands: migration, and the evolved mixture at evaluations."""

    def __init__(self, experiment):
        self.experiment, self.config = experiment, experiment.config
        settings = self.config.islands
        self.senders = topology(settings.topology, settings.count, settings.rows)
        self.weights = np.full(settings.count, 1.0 / settings.count)
        self.objective_key = "reverse_kl" if hasattr(experiment.data, "centres") else "fid"
        self.score = float("nan")
        self.exchange = None  # asynchronous islands: evogan.parallel.ray_islands.AsynchronousExchange

    def mixture(self) -> list[float]:
        return self.weights.tolist()

    def step(self, gen: int) -> dict:
        settings, demes = self.config.islands, self.experiment.demes
        moved, adopted = 0, 0
        if self.exchange is not None:  # asynchronous: no barrier
            moved = self.exchange.step(gen, demes[0])
        elif gen % settings.migration_every == 0 and settings.policy == "neighbourhood":
            moved = meet_neighbours(demes, self.senders, settings.migrants)
        elif gen % settings.migration_every == 0:
            moved = migrate(demes, self.senders, settings.migrants, gen)
            if settings.discriminators:
                adopted = migrate_discriminators(demes, self.senders, gen, seed=self.config.seed,
                                                 batch_size=self.config.samples("eval_batch_size"))
        if settings.mixture == "evolved" and (gen % self.config.metrics.every == 0 or gen == self.config.generations):
            self.weights, self.score, _ = evolve_mixture(
                self.weights, lambda w: self._objective(w, gen), settings.mixture_steps,
                numpy_generator(self.config.seed, gen, "mixture-es"))
        return {"migrated": moved, "discriminators_adopted": adopted, "mixture": " ".join(f"{w:.4f}" for w in self.weights),
                "mixture_objective": self.score}

    @torch.no_grad()
    def _objective(self, weights, gen: int) -> float:
        """The dataset's reverse KL or FID of the islands mixed by ``weights``, on this generation's held-out latents."""
        ex = self.experiment
        rng = torch_generator(self.config.seed, gen, "mixture-heldout", device=ex.device)
        samples = sample_demes(ex.demes, list(weights), ex.metric_samples, rng, best=False, generator=ex.generator,
                               sample_latent=ex.sample_latent, running_stats=self.config.model.sample_norm == "running")
        return float(ex.data.metrics(samples)[self.objective_key])


#: where islands 1..K-1 live (``islands.backend``): name -> build(experiment), which adds their demes to the
#: experiment and returns None, or, for an asynchronous exchange, a function of the senders that makes it.
#: evogan.parallel registers "ray"; the registry lives here so that the arrows run one way (parallel -> islands).
ISLAND_BACKENDS = Registry("island backend")


@ISLAND_BACKENDS.register("inprocess")
def in_process_islands(experiment):
    """Islands 1..K-1 as demes of this process, built from their own seeds; they evolve one after another."""
    for k in range(1, experiment.config.islands.count):
        config = island_config(experiment.config, k)
        adversary = experiment.new_adversary(config)
        population = [experiment.new_individual(i, config) for i in range(config.population_size)]
        experiment.demes.append(Deme(population, adversary, experiment.make_toolbox(adversary, experiment.data, config),
                                     experiment.data, make_fakes=experiment.make_fakes))
    return None


def attach_islands(experiment) -> Islands | None:
    """With ``islands.count > 1``: the experiment's islands 1..K-1 join deme 0, migration and the mixture run after
    every generation, and samples mix the islands by the mixture weights. Returns the islands (None when off)."""
    settings = experiment.config.islands
    if settings.count == 1:
        return None
    make_exchange = ISLAND_BACKENDS.get(settings.backend, "islands.backend")(experiment)
    islands = Islands(experiment)
    if make_exchange is not None:
        islands.exchange = make_exchange(islands.senders)
    experiment.hooks.append(islands.step)
    experiment.mixture_weights = islands.mixture
    return islands
