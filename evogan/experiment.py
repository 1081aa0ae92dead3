"""An experiment: data, networks, discriminator, strategy and population, built from one config."""

from __future__ import annotations

from functools import partial

import torch

import fitness
import operators

from .core.adam import adam_init
from .adversaries import ADVERSARIES, NeighbourhoodAdversary
from .core.algorithms import make_statistics
from .allocator import tune_malloc
from .config import Config, ConfigError
from .data import DATASETS
from .core.deme import Deme, evolve_demes, sample_demes
from .core.individual import Individual
from .memory import check_memory
from .models import build_models
from .populations.islands import attach_islands
from .populations.niches import attach_niches
from .parallel import BACKENDS, BreedingKit
from .plugins import load_plugins
from .core.sampling import sample_population
from .core.seeding import derive_seed, torch_generator
from .core.strategy import build_strategy, mutation_arguments

__all__ = ["Experiment", "resolve_device"]


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"device: {name!r} is not a torch device; use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device: {name!r} asked for, but this machine has no CUDA GPU; use cpu or auto")
    return device


def _seeded_models(config, data, *identity):
    """Build (G, D) with torch's RNG seeded from the run seed, without touching the caller's RNG state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(config.seed, "init", *identity))
        return build_models(config, data)


class Experiment:
    """Everything one run needs; ``run()`` evolves its demes generation by generation.

    Attributes: ``config``, ``device``, ``data``, ``generator`` (the architecture individuals are swapped into),
    ``demes`` (deme 0 is the main one; DynGAN's niches follow it), ``hooks`` (run after every generation, each
    returning logbook fields), ``toolbox``, ``population``, ``adversary``, ``halloffame``, ``logbook`` (deme 0's),
    ``mutation_args`` (what a user-registered ``operators.mutate`` partial needs).
    """

    def __init__(self, config: Config | None = None):
        self.config = config = config if config is not None else Config()
        load_plugins(config.plugins)  # their registrations first: every name below may be theirs
        if config.tune_malloc:
            tune_malloc()
        self.device = resolve_device(config.device)
        self.data = DATASETS.get(config.dataset, "dataset")(config, self.device)
        check_memory(config, self.data, self.device)  # before the first allocation that could not fit
        generator, discriminator = _seeded_models(config, self.data, "discriminator")
        self.generator = generator.to(self.device)
        make_backend = BACKENDS.get(config.parallel.backend, "parallel.backend")
        self.sample_latent = operators.latent_sampler(config)
        population = [self.new_individual(i) for i in range(config.population_size)]
        self.make_fakes = partial(sample_population, generator=self.generator, sample_latent=self.sample_latent,
                                  unit=config.pack)
        self.demes = [Deme(population, self.new_adversary(config, discriminator), None, self.data,
                           make_fakes=self.make_fakes)]
        self.hooks = []  # fn(generation) -> dict of logbook fields, after every deme's generation
        self.mixture_weights = lambda: [1.0] * len(self.demes)  # how samples mix the demes
        self.niches = attach_niches(self)  # DynGAN (dyngan.enabled), else None
        self.demes[0].toolbox = self.make_toolbox(self.adversary, self.demes[0].data)
        self.mutation_args = mutation_arguments(
            config, generator=self.generator, adversary=self.adversary, sample_latent=self.sample_latent
        )
        self.stats = make_statistics()
        self.generation = 0
        self.closers = []  # what close() ends besides the backend (island actors)
        self.islands = attach_islands(self)  # islands.count > 1, else None
        # last: a backend may start Ray, which nothing above should be able to leave running by failing
        self.backend = make_backend(config)
        self.toolbox.register("map", self.backend.map)

    def make_toolbox(self, adversary, data, config: Config | None = None):
        """The strategy of a deme with this adversary and data (``build_strategy`` on the experiment's networks;
        ``config``: the deme's own, e.g. an island's seed)."""
        return build_strategy(config or self.config, generator=self.generator, adversary=adversary, data=data,
                              sample_latent=self.sample_latent)

    def new_adversary(self, config: Config, discriminator=None):
        """A discriminator family instance with D initialised from ``config.seed`` (``discriminator``: one already
        built from it, so start-up builds the networks once), in its neighbourhood under islands.policy =
        "neighbourhood"."""
        family = ADVERSARIES.get(config.adversary, "adversary")
        if discriminator is None:
            discriminator = _seeded_models(config, self.data, "discriminator")[1]
        if hasattr(family, "build_network"):  # a family with its own kind of D (BEGAN's autoencoders)
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(derive_seed(config.seed, "init", "discriminator", config.adversary))
                discriminator = family.build_network(config, self.data)
        adversary = family(discriminator, config, self.device)
        if config.islands.policy == "neighbourhood":  # Lipizzaner's coevolution with the neighbours' discriminators
            return NeighbourhoodAdversary(adversary, fitness_mode=config.islands.fitness_mode, gamma=config.gamma,
                                          combine=fitness.FITNESSES.get(config.fitness, "fitness"))
        return adversary

    # deme 0's parts, under the names a single-population run has always used
    population = property(lambda self: self.demes[0].population)
    adversary = property(lambda self: self.demes[0].adversary)
    toolbox = property(lambda self: self.demes[0].toolbox)
    logbook = property(lambda self: self.demes[0].logbook)
    halloffame = property(lambda self: self.demes[0].halloffame)

    def new_individual(self, index: int, config: Config | None = None) -> Individual:
        """Population member ``index`` at generation 0, initialised from ``config.seed`` (default: the run's)."""
        generator, _ = _seeded_models(config or self.config, self.data, "generator", index)
        weights = {k: v.detach().to(self.device) for k, v in generator.state_dict().items()}
        trainable = {name: weights[name] for name, _ in generator.named_parameters()}
        lineage = {"id": f"g0.i{index}", "generation": 0, "operator": "init", "parents": []}
        return Individual(weights, adam=adam_init(trainable), lineage=lineage)

    def run(self, generations: int | None = None, callback=None):
        """Evolve up to ``generations`` (default ``config.generations``); returns (population, logbook) of deme 0.

        ``callback(gen, population, logbook)`` runs after every generation; a true result stops the run.
        """
        last = self.config.generations if generations is None else generations
        kit = BreedingKit.from_toolbox(self.toolbox, generator=self.generator, adversary=self.adversary)
        self.backend.start(kit, engine_breed=self.toolbox.breed)
        for gen in range(self.generation + 1, last + 1):
            evolve_demes(list(self.demes), gen, self.stats)
            for hook in self.hooks:  # DynGAN's detection and splits, the islands' migration
                self.logbook[-1].update(hook(gen))
            self.generation = gen
            if callback is not None and callback(gen, self.population, self.logbook):
                break
        return self.population, self.logbook

    def best(self) -> Individual:
        """The best survivor of the current generation (the first parent before any generation)."""
        return self.population[0]

    def sample(self, n: int, *, source: str | None = None, seed_tag: str = "metrics", generation: int | None = None) -> torch.Tensor:
        """n samples from the population mixed evenly, or from the best survivor; with several demes, each deme's
        share follows ``mixture_weights()`` (DynGAN: the partition sizes).

        The latents are seeded by (``seed_tag``, ``generation``), the current
        generation by default; a fixed ``generation`` gives the same latents
        every time (the sample grids).
        """
        source = source or self.config.metrics.sample_from
        generation = self.generation if generation is None else generation
        rng = torch_generator(self.config.seed, generation, seed_tag, device=self.device)
        with torch.no_grad():
            return sample_demes(self.demes, self.mixture_weights(), n, rng, best=source == "best",
                                generator=self.generator, sample_latent=self.sample_latent,
                                running_stats=self.config.model.sample_norm == "running")

    @property
    def metric_samples(self) -> int:
        """How many samples the dataset's metrics use (Stacked MNIST: metrics.mode_samples; else metrics.samples)."""
        return getattr(self.data, "metric_samples", None) or self.config.metrics.samples

    def evaluate_metrics(self, n: int | None = None) -> dict:
        """The dataset's sample metrics on ``n`` samples (default: ``metric_samples``)."""
        return self.data.metrics(self.sample(n or self.metric_samples))

    def close(self):
        self.backend.close()
        for close in self.closers:
            close()
