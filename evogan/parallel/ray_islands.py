"""Islands on Ray: one actor per island (1..count-1), created once, holding its deme on its device.

Island 0 is the run's own population and stays in the driving process, which evolves it
while the actors evolve theirs. What crosses the network: the generation number (every
generation), the migrants (every ``migration_every``), latents in and samples out (at
evaluations: the driver draws every latent from the run's stream, so the samples are those
the in-process run draws), and the island states (at checkpoints). With the same seed a
synchronous run gives the in-process result bit for bit. ``parallel.address`` joins an
existing cluster; ``islands.cpus_per_island`` / ``gpus_per_island`` place the actors.
"""

from __future__ import annotations

import dataclasses
import math
import os

import ray
import torch

from ..config import ConfigError
from ..errors import IslandLost, TrainingFailed
from ..populations.islands import arrived, island_config
from ..plugins import resolve_plugin_paths
from ..core.sampling import generate, split_evenly
from .kit import pack, unpack
from .ray_backend import connect, disconnect, prepare_actor

__all__ = ["RemoteDeme", "RayIslands", "AsynchronousExchange", "attach_ray_islands", "check_island_resources",
           "cpus_per_island"]

CPU = torch.device("cpu")


def cpus_per_island(settings, total: dict) -> float:
    """The CPUs each island actor reserves: ``islands.cpus_per_island``, or with 0 the cluster's CPUs shared among
    the actors, at most one each (so the default fits a 2-core laptop as well as a cluster)."""
    if settings.cpus_per_island > 0:
        return settings.cpus_per_island
    return min(1.0, total.get("CPU", 0) / max(1, settings.count - 1))


def check_island_resources(settings, total: dict) -> None:
    """A clear error, before training, when the cluster cannot ever hold the island actors asked for."""
    actors = settings.count - 1
    cpus, gpus = total.get("CPU", 0), total.get("GPU", 0)
    if settings.gpus_per_island > 0 and actors * settings.gpus_per_island > gpus + 1e-9:
        raise ConfigError(f"islands.gpus_per_island: {actors} island actors x {settings.gpus_per_island:g} GPU = "
                          f"{actors * settings.gpus_per_island:g} GPUs, but the Ray cluster has {gpus:g}")
    each = cpus_per_island(settings, total)
    if each <= 0 or actors * each > cpus + 1e-9:
        raise ConfigError(f"islands.count: {actors} island actors x {each:g} CPU = "
                          f"{actors * each:g} CPUs, but the Ray cluster has {cpus:g} "
                          "(island 0 runs in this process); use fewer islands or a smaller islands.cpus_per_island")


@ray.remote
class _IslandActor:
    """Island k of a run: its deme, built exactly as the in-process run builds it."""

    def __init__(self, config_box: list, k: int, plugins: list, threads: int, malloc: bool, build):
        prepare_actor(threads, malloc, plugins)
        config = config_box[0]
        # a plain run of the same config (build: the driver's Experiment class, shipped by reference): its networks,
        # data and statistics
        self.experiment = build(config)
        own = island_config(config, k)
        deme = self.experiment.demes[0]
        deme.adversary = self.experiment.new_adversary(own)
        deme.population[:] = [self.experiment.new_individual(i, own) for i in range(own.population_size)]
        deme.toolbox = self.experiment.make_toolbox(deme.adversary, deme.data, own)
        self.deme = deme

    def ready(self) -> int:
        return os.getpid()

    def node(self) -> str:
        """The Ray node this island runs on."""
        return ray.get_runtime_context().get_node_id()

    def evolve(self, generation: int) -> None:
        self.deme.evolve(generation, self.experiment.stats)

    def emigrants(self, count: int):
        return pack(self.deme.emigrants(count))

    @ray.method(num_returns=2)
    def epoch(self, count: int, last: int, migrants: int, senders: list[int], *incoming):
        """Asynchronous islands: receive ``incoming`` (each sender's latest emigrants), evolve up to ``count``
        generations (not past ``last``), and return (copies of the ``migrants`` best, the generation reached)."""
        reached = self.deme.logbook[-1]["gen"] if len(self.deme.logbook) else 0
        arrivals = [arrived(ind, sender, reached) for sender, packed in zip(senders, incoming)
                    for ind in unpack(packed, self.experiment.device)]
        if arrivals:
            self.deme.receive(arrivals)
        for generation in range(reached + 1, min(reached + count, last) + 1):
            self.deme.evolve(generation, self.experiment.stats)
            reached = generation
        return pack(self.deme.emigrants(migrants)), reached

    def receive(self, incoming) -> None:
        self.deme.receive(unpack(incoming, self.experiment.device))

    @torch.no_grad()
    def sample(self, plan, best: bool, running_stats: bool):
        """G(z) for each (member index, latents) of ``plan``, in order, with sample_population's chunks."""
        members = self.deme.population[:1] if best else self.deme.population
        out = []
        for index, z in unpack(plan, self.experiment.device):
            out += [generate(self.experiment.generator, members[index], part, running_stats=running_stats)
                    for part in z.split(4096)]
        return pack(torch.cat(out))

    def discriminator(self, weights_only: bool):
        return pack(self.deme.discriminator(weights_only))

    def meet(self, generators, discriminators) -> None:
        self.deme.meet(unpack(generators, self.experiment.device), unpack(discriminators, self.experiment.device))

    def adopt_discriminator(self, candidates, identity: tuple, batch_size: int) -> int:
        return self.deme.adopt_discriminator(unpack(candidates, self.experiment.device), identity, batch_size)

    def state(self):
        return pack(self.deme.state())

    def load_state(self, state) -> None:
        self.deme.load_state(unpack(state, self.experiment.device))


class RemoteDeme:
    """A deme that lives in an island actor, with the methods of :class:`~evogan.core.deme.Deme`; ``autonomous``: it
    evolves on its own, in epochs between exchanges (asynchronous islands), not generation by generation."""

    remote = True

    def __init__(self, actor, population_size: int, home: torch.device, autonomous: bool = False):
        self.actor, self.population_size, self.home, self.autonomous = actor, population_size, home, autonomous

    def submit(self, generation: int):
        ref = self.actor.evolve.remote(generation)
        return lambda: _get(ref)

    def evolve(self, generation: int, stats=None) -> None:
        self.submit(generation)()

    def sample(self, n: int, rng: torch.Generator, *, best: bool, generator, sample_latent, running_stats: bool):
        members = 1 if best else self.population_size
        plan = [(index, sample_latent(k, rng)) for index, k in enumerate(split_evenly(n, members)) if k]
        return unpack(_get(self.actor.sample.remote(pack(plan), best, running_stats)), self.home)

    def emigrants(self, count: int) -> list:
        return unpack(_get(self.actor.emigrants.remote(count)), self.home)

    def receive(self, incoming: list) -> None:
        _get(self.actor.receive.remote(pack(incoming)))

    def discriminator(self, weights_only: bool = False) -> dict:
        return unpack(_get(self.actor.discriminator.remote(weights_only)), self.home)

    def meet(self, generators: list, discriminators: list[dict]) -> None:
        _get(self.actor.meet.remote(pack(generators), pack(discriminators)))

    def adopt_discriminator(self, candidates: list[dict], identity: tuple, batch_size: int) -> int:
        return _get(self.actor.adopt_discriminator.remote(pack(candidates), identity, batch_size))

    def state(self) -> dict:
        return unpack(_get(self.actor.state.remote()), self.home)

    def load_state(self, state: dict) -> None:
        _get(self.actor.load_state.remote(pack(state)))


def _get(ref):
    """``ray.get``; an island actor that died is one line (the run's last checkpoint resumes it exactly)."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayActorError as err:
        raise IslandLost(f"an island actor died ({str(err).splitlines()[0][:160]}); `evogan run --resume RUN_DIR` "
                         "continues from the last checkpoint with the same result") from None
    except ray.exceptions.RayTaskError as err:
        raise err.as_instanceof_cause() from None


class RayIslands:
    """The island actors of one run: connects to Ray, checks the cluster, starts the actors; ``close`` ends them."""

    def __init__(self, config, home: torch.device, build):
        settings, self.home = config.islands, home
        self._owns_ray = connect(config.parallel)
        try:
            check_island_resources(settings, ray.cluster_resources())
        except ConfigError:
            self.close()
            raise
        gpu = settings.gpus_per_island > 0
        single = dataclasses.replace(config, islands=dataclasses.replace(settings, count=1, backend="inprocess"),
                                     device="cuda" if gpu else ("cpu" if config.device == "auto" else config.device),
                                     log=dataclasses.replace(config.log, progress=False))
        each = cpus_per_island(settings, ray.cluster_resources())
        threads = max(1, math.floor(each))
        plugins = resolve_plugin_paths(config.plugins)
        options = dict(num_cpus=each, num_gpus=settings.gpus_per_island)
        self.actors = [_IslandActor.options(**options).remote([single], k, plugins, threads, config.tune_malloc,
                                                                  build)
                       for k in range(1, settings.count)]
        try:
            ready, waiting = ray.wait([a.ready.remote() for a in self.actors], num_returns=len(self.actors),
                                      timeout=config.parallel.start_timeout)
            if waiting:
                raise TrainingFailed(f"islands: {len(waiting)} of {len(self.actors)} island actors did not start within "
                                     f"parallel.start_timeout = {config.parallel.start_timeout:g} s (busy cluster?)")
            ray.get(ready)
        except BaseException:
            self.close()
            raise
        self.demes = [RemoteDeme(actor, config.population_size, home, autonomous=settings.asynchronous)
                      for actor in self.actors]

    def close(self) -> None:
        for actor in getattr(self, "actors", []):
            ray.kill(actor)
        self.actors = []
        if self._owns_ray:
            disconnect()
        self._owns_ray = False


def attach_ray_islands(experiment):
    """``islands.backend = "ray"``: one actor per island 1..K-1, each built there as the in-process island is; returns
    the maker of the asynchronous exchange when ``islands.asynchronous``, else None."""
    actors = RayIslands(experiment.config, experiment.device, build=type(experiment))
    experiment.demes.extend(actors.demes)
    experiment.closers.append(actors.close)
    settings = experiment.config.islands
    if not settings.asynchronous:
        return None
    return lambda senders: AsynchronousExchange(actors, senders, settings, experiment.config.generations)


class AsynchronousExchange:
    """Asynchronous islands: no barrier. Each island actor runs epochs of ``migration_every`` generations on its own;
    when one ends, its emigrants go to the mailboxes of the islands that hear from it (a newer message from the same
    sender replaces an unread one) and its next epoch starts at once with what its own mailbox holds. Island 0, in
    this process, posts and reads its mailbox every ``migration_every`` of its generations. Migrants travel as Ray
    object references, from actor to actor. Who meets whom depends on timing: results are not reproducible."""

    def __init__(self, islands: RayIslands, senders: list[list[int]], settings, last: int):
        self.demes, self.settings, self.last, self.home = islands.demes, settings, last, islands.home
        self.receivers = [[j for j, heard in enumerate(senders) if i in heard] for i in range(len(senders))]
        self.mailbox = [{} for _ in senders]  # receiver -> {sender: object ref of its latest emigrants}
        self.running = {}  # island -> (emigrants ref, generation-reached ref) of its epoch in flight
        self.reached = {k: 0 for k in range(1, len(senders))}

    def _launch(self, k: int) -> int:
        """Island k's next epoch with what its mailbox holds; returns how many messages it takes."""
        mail, self.mailbox[k] = self.mailbox[k], {}
        deme = self.demes[k - 1]
        self.running[k] = deme.actor.epoch.remote(self.settings.migration_every, self.last, self.settings.migrants,
                                                  list(mail), *mail.values())
        return len(mail)

    def _post(self, sender: int, emigrants_ref) -> None:
        for receiver in self.receivers[sender]:
            self.mailbox[receiver][sender] = emigrants_ref

    def _harvest(self, wait: bool) -> int:
        """Islands whose epoch ended post their emigrants and start the next (``wait``: block for at least one)."""
        if not self.running:
            return 0
        refs = {reached: k for k, (_, reached) in self.running.items()}
        done, _ = ray.wait(list(refs), num_returns=1 if wait else len(refs), timeout=None if wait else 0)
        taken = 0
        for ref in done:
            k = refs[ref]
            emigrants, _ = self.running.pop(k)
            self.reached[k] = _get(ref)
            self._post(k, emigrants)
            if self.reached[k] < self.last:
                taken += self._launch(k)
        return taken * self.settings.migrants

    def step(self, generation: int, home) -> int:
        """After island 0's generation ``generation``: exchange without waiting; at the last generation, wait for
        every island to reach it. Returns how many generators were delivered."""
        if not self.running:  # the first step (also after a resume): every island not done starts an epoch
            for k in self.reached:
                if k not in self.running and self.reached[k] < self.last:
                    self._launch(k)
        moved = 0
        if generation % self.settings.migration_every == 0:
            self._post(0, ray.put(pack(home.emigrants(self.settings.migrants))))
            mail, self.mailbox[0] = self.mailbox[0], {}
            arrivals = [arrived(ind, sender, generation) for sender, ref in mail.items()
                        for ind in unpack(_get(ref), self.home)]
            if arrivals:
                home.receive(arrivals)
            moved += len(arrivals)
        moved += self._harvest(wait=False)
        while generation >= self.last and self.running:
            moved += self._harvest(wait=True)
        return moved
