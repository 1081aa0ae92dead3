"""An experiment: data, networks, discriminator, strategy and population, built from one config."""

from __future__ import annotations

import torch
from deap import tools

import operators

from .adam import adam_init
from .adversary import ADVERSARIES
from .algorithms import ea_gan, make_statistics
from .allocator import tune_malloc
from .config import Config, ConfigError
from .data import DATASETS
from .individual import Individual, same_individual
from .memory import check_memory
from .models import build_models
from .plugins import load_plugins
from .niches import DynamicNiches, Niche, PartitionData
from .parallel import BACKENDS, BreedingKit
from .sampling import sample_population
from .seeding import derive_seed, torch_generator
from .strategy import build_strategy, mutation_arguments

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
    """Everything one run needs; ``run()`` evolves the population with ``ea_gan``.

    Attributes: ``config``, ``device``, ``data``, ``generator`` (the
    architecture individuals are swapped into), ``adversary``, ``toolbox``,
    ``population``, ``halloffame``, ``logbook``, ``mutation_args`` (what a
    user-registered ``operators.mutate`` partial needs).
    """

    def __init__(self, config: Config | None = None):
        self.config = config = config if config is not None else Config()
        load_plugins(config.plugins)  # their registrations first: every name below may be theirs
        if config.tune_malloc:
            tune_malloc()
        self.device = resolve_device(config.device)
        self.data = DATASETS.get(config.dataset, "dataset")(config, self.device)
        check_memory(config, self.data, self.device)  # before the first allocation that could not fit
        family = ADVERSARIES.get(config.adversary, "adversary")
        generator, discriminator = _seeded_models(config, self.data, "discriminator")
        if hasattr(family, "build_network"):  # a family with its own kind of D (BEGAN's autoencoders)
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(derive_seed(config.seed, "init", "discriminator", config.adversary))
                discriminator = family.build_network(config, self.data)
        self.generator = generator.to(self.device)
        self.adversary = family(discriminator, config, self.device)
        make_backend = BACKENDS.get(config.parallel.backend, "parallel.backend")
        self.sample_latent = operators.latent_sampler(config)
        train_data = self._dyngan_pool() if config.dyngan.enabled else self.data
        self.toolbox = build_strategy(
            config, generator=self.generator, adversary=self.adversary, data=train_data,
            sample_latent=self.sample_latent,
        )
        self.mutation_args = mutation_arguments(
            config, generator=self.generator, adversary=self.adversary, sample_latent=self.sample_latent
        )
        self.population = [self._initial_individual(i) for i in range(config.population_size)]
        self.halloffame = tools.HallOfFame(1, similar=same_individual)
        self.stats = make_statistics()
        self.logbook = tools.Logbook()
        self.generation = 0
        self.niches = None
        if config.dyngan.enabled:
            main = Niche(self.population, self.adversary, self.toolbox, train_data, self.logbook, self.halloffame)
            self.niches = DynamicNiches(
                config, main=main, generator=self.generator, sample_latent=self.sample_latent, stats=self.stats,
                device=self.device, make_toolbox=lambda adversary, data: build_strategy(
                    config, generator=self.generator, adversary=adversary, data=data, sample_latent=self.sample_latent),
            )
        # last: a backend may start Ray, which nothing above should be able to leave running by failing
        self.backend = make_backend(config)
        self.toolbox.register("map", self.backend.map)

    def _dyngan_pool(self) -> PartitionData:
        """DynGAN's fixed pool of real samples, all in the main niche's partition at first."""
        config = self.config
        if getattr(self.adversary, "output", "logit") != "logit":
            raise ConfigError(f"dyngan.enabled: DynGAN's detector reads D's logits; adversary {config.adversary!r} has none (use standard)")
        if config.parallel.backend != "inprocess":
            raise ConfigError("dyngan.enabled: niches run in process for now; set parallel.backend = 'inprocess'")
        if hasattr(self.data, "reference"):  # images: distinct real images
            pool = self.data.reference(config.dyngan.pool, seed=derive_seed(config.seed, "dyngan-pool"))
        else:
            pool = self.data.sample(config.dyngan.pool, torch_generator(config.seed, "dyngan-pool", device=self.device))
        return PartitionData(pool, torch.arange(len(pool), device=self.device), self.data.kind)

    def _initial_individual(self, index: int) -> Individual:
        generator, _ = _seeded_models(self.config, self.data, "generator", index)
        weights = {k: v.detach().to(self.device) for k, v in generator.state_dict().items()}
        trainable = {name: weights[name] for name, _ in generator.named_parameters()}
        lineage = {"id": f"g0.i{index}", "generation": 0, "operator": "init", "parents": []}
        return Individual(weights, adam=adam_init(trainable), lineage=lineage)

    def run(self, generations: int | None = None, callback=None):
        """Evolve up to ``generations`` (default ``config.generations``); returns (population, logbook).

        ``callback(gen, population, logbook)`` runs after every generation; a true result stops the run.
        """
        last = self.config.generations if generations is None else generations
        kit = BreedingKit.from_toolbox(self.toolbox, generator=self.generator, adversary=self.adversary)
        self.backend.start(kit, engine_breed=self.toolbox.breed)

        def after_generation(gen, population, logbook):
            if self.niches is not None:  # DynGAN: the other niches' generation, collapse detection, splits
                logbook[-1].update(self.niches.step(gen))
            self.generation = gen
            return callback is not None and callback(gen, population, logbook)

        ea_gan(
            self.population, self.toolbox, last, stats=self.stats, halloffame=self.halloffame,
            logbook=self.logbook, start_gen=self.generation + 1, callback=after_generation,
        )
        return self.population, self.logbook

    def best(self) -> Individual:
        """The best survivor of the current generation (the first parent before any generation)."""
        return self.population[0]

    def sample(self, n: int, *, source: str | None = None, seed_tag: str = "metrics", generation: int | None = None) -> torch.Tensor:
        """n samples from the population mixed evenly, or from the best survivor (DynGAN: of every niche, mixed
        in proportion to the partition sizes).

        The latents are seeded by (``seed_tag``, ``generation``), the current
        generation by default; a fixed ``generation`` gives the same latents
        every time (the sample grids).
        """
        source = source or self.config.metrics.sample_from
        members = self.population if source == "population" else [self.best()]
        generation = self.generation if generation is None else generation
        rng = torch_generator(self.config.seed, generation, seed_tag, device=self.device)
        running = self.config.model.sample_norm == "running"
        with torch.no_grad():
            if self.niches is not None:
                return self.niches.sample(n, rng, best=source == "best", running_stats=running)
            return sample_population(
                members, n, rng, generator=self.generator, sample_latent=self.sample_latent,
                running_stats=running,
            )

    @property
    def metric_samples(self) -> int:
        """How many samples the dataset's metrics use (Stacked MNIST: metrics.mode_samples; else metrics.samples)."""
        return getattr(self.data, "metric_samples", None) or self.config.metrics.samples

    def evaluate_metrics(self, n: int | None = None) -> dict:
        """The dataset's sample metrics on ``n`` samples (default: ``metric_samples``)."""
        return self.data.metrics(self.sample(n or self.metric_samples))

    def close(self):
        self.backend.close()
