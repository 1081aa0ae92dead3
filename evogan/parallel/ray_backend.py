"""The Ray backend: worker actors, each owning a device, breed the children of every generation.

The pattern (EvoTorch's): actors are created once per run and receive a
replica of the breeding operators then (:class:`~evogan.parallel.BreedingKit`).
Every generation the main process trains the discriminator, puts its weights
and the judge into the object store once (``ray.put``), splits the recipes
into one contiguous piece per worker (sent with the parents that piece uses)
and reassembles the children in recipe order. Tensors travel packed as numpy
buffers (``kit.pack``). A child's random numbers come from its recipe's seed, so the
results do not depend on which worker made it.

A worker that dies (a crash, a lost node, ``ray.kill``) is restarted by Ray
with its replica and its unfinished piece is run again, up to
``parallel.max_restarts`` times.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import subprocess
import sys
import uuid
from dataclasses import replace
from functools import partial

import ray
import torch

from ..allocator import tune_malloc
from ..config import ConfigError
from ..errors import TrainingFailed
from ..plugins import load_plugins, resolve_plugin_paths
from ..core.sampling import split_evenly
from . import _ray_reaper as _reaper
from .kit import pack, unpack

__all__ = ["RayBackend", "connect", "disconnect", "check_address", "check_resources", "prepare_actor"]

CPU = torch.device("cpu")


def prepare_actor(threads: int, malloc: bool, plugins: list) -> None:
    """What every evogan actor does first: its torch threads, the allocator, the run's plugins (before anything is
    unpickled that refers to their operators)."""
    torch.set_num_threads(threads)
    if malloc:
        tune_malloc()
    load_plugins(plugins)


@ray.remote
class _Worker:
    """One worker: a replica of the breeding operators on this actor's device."""

    def __init__(self, kit_ref: list, plugins: list, device: str, threads: int, malloc: bool):
        prepare_actor(threads, malloc, plugins)  # before the kit is unpickled: it refers to the plugins' operators
        self.device = torch.device(device)
        self.kit = ray.get(kit_ref[0]).replicate(self.device)
        self.toolbox = self.kit.toolbox()

    def ready(self) -> int:
        return os.getpid()

    def breed(self, shared, plans, members) -> list:
        """Children of ``plans``: recipes whose parent and donor are indices into ``members``."""
        state, judge = unpack(shared, self.device)
        members = unpack(members, self.device)
        self.kit.sync(state)
        children = []
        for plan in plans:
            recipe = replace(plan, parent=members[plan.parent],
                             donor=None if plan.donor is None else members[plan.donor])
            children.append(self.toolbox.breed(recipe, judge))
        return pack(children)

    def apply(self, fn, items) -> list:
        return pack([fn(unpack(item, self.device)) for item in items])


def _host_port(address: str) -> tuple[str, int] | None:
    """(host, port) of a ``host:port`` or ``ray://host:port`` address; None for ``auto``."""
    if address == "auto":
        return None
    rest = address.split("://", 1)[-1]
    host, sep, port = rest.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ConfigError(f"parallel.address: {address!r} is not auto, host:port or ray://host:port")
    return host, int(port)


def check_address(address: str) -> None:
    """A clear error within seconds when ``address`` is malformed or nothing listens there."""
    target = _host_port(address)
    if target is None:
        return
    try:
        socket.create_connection(target, timeout=5).close()
    except OSError as err:
        raise ConfigError(
            f"parallel.address: cannot reach the Ray cluster at {address} ({err.strerror or err}); start its head "
            "with `ray start --head`, or leave parallel.address empty to start a local Ray"
        ) from None


def connect(parallel) -> bool:
    """Connect to Ray as ``parallel`` says; returns True when this call started Ray (and must shut it down).

    A process that already called ``ray.init`` (a notebook, a test session) keeps its connection.
    """
    if parallel.address:
        check_address(parallel.address)
    if ray.is_initialized():
        return False
    if not parallel.ray_logs:  # Ray logs its start and worker failures itself; evogan reports what matters once
        logging.getLogger("ray").setLevel(logging.CRITICAL)
    options = dict(logging_level=logging.WARNING if parallel.ray_logs else logging.CRITICAL,
                   log_to_driver=parallel.ray_logs)
    if parallel.address:
        try:
            ray.init(address=parallel.address, **options)
        except (ConnectionError, RuntimeError) as err:
            raise ConfigError(f"parallel.address: cannot join the Ray cluster at {parallel.address}: {err}") from None
        return True
    if parallel.object_store_mb:
        options["object_store_memory"] = parallel.object_store_mb * 1024 * 1024
    token = _start_reaper()
    os.environ[_reaper.VARIABLE] = token  # inherited by the processes ray.init starts, and by their workers
    try:
        ray.init(address="local", include_dashboard=parallel.dashboard, **options)
        _tell_reaper(ray._private.worker._global_node.get_session_dir_path())  # no public API for it
    except Exception as err:  # noqa: BLE001 -- Ray's start failures (timeouts under load, ports, /tmp) vary widely
        disconnect()
        raise TrainingFailed(f"parallel.backend = 'ray': the local Ray did not start ({_first_line(err)}); "
                             "try again on a less loaded machine, or use parallel.backend = 'inprocess'") from None
    finally:
        os.environ.pop(_reaper.VARIABLE, None)
    return True


_reaper_process: subprocess.Popen | None = None


def _start_reaper() -> str:
    """Start the watcher that ends this local Ray's processes when this process ends, however it ends
    (:mod:`evogan.parallel._ray_reaper`); returns the token that marks them."""
    global _reaper_process
    token = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
    if sys.platform.startswith("linux"):  # it reads /proc
        _reaper_process = subprocess.Popen(
            [sys.executable, "-I", _reaper.__file__, token, str(os.getpid())], stdin=subprocess.PIPE, text=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    return token


def _tell_reaper(session_dir: str) -> None:
    if _reaper_process is not None:
        _reaper_process.stdin.write(session_dir + "\n")
        _reaper_process.stdin.flush()


def disconnect() -> None:
    """Shut down the Ray that :func:`connect` started, then let the watcher end whatever Ray left behind."""
    global _reaper_process
    if ray.is_initialized():
        ray.shutdown()
    if _reaper_process is not None:
        _reaper_process.stdin.close()
        try:
            _reaper_process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        _reaper_process = None


def _first_line(err: BaseException) -> str:
    """``Type: first line of the message`` (Ray's messages run over dozens of lines)."""
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0][:160]}" if text else type(err).__name__


def check_resources(parallel, total: dict) -> None:
    """A clear error when the cluster cannot ever hold the workers asked for."""
    cpus, gpus = total.get("CPU", 0), total.get("GPU", 0)
    if parallel.gpus_per_worker > 0 and gpus == 0:
        raise ConfigError(
            f"parallel.gpus_per_worker: {parallel.gpus_per_worker} asked for, but the Ray cluster has no GPU; "
            "set it to 0 for CPU workers"
        )
    if parallel.workers * parallel.gpus_per_worker > gpus + 1e-9:
        raise ConfigError(
            f"parallel.gpus_per_worker: {parallel.workers} workers x {parallel.gpus_per_worker} GPU = "
            f"{parallel.workers * parallel.gpus_per_worker:g} GPUs, but the Ray cluster has {gpus:g}; "
            "use fewer workers or a smaller share"
        )
    if parallel.workers * parallel.cpus_per_worker > cpus + 1e-9:
        raise ConfigError(
            f"parallel.workers: {parallel.workers} workers x {parallel.cpus_per_worker} CPU = "
            f"{parallel.workers * parallel.cpus_per_worker:g} CPUs, but the Ray cluster has {cpus:g}; "
            "use fewer workers or set parallel.cpus_per_worker lower"
        )


class RayBackend:
    """Worker actors on CPUs, GPU shares or a Ray cluster (``parallel.*`` keys of the config).

    Built with the experiment, so that an unreachable address or more GPUs
    than the cluster has fail before training; the actors start with
    :meth:`start`. :meth:`map` recognises the engine's breeding call
    (``partial(toolbox.breed, judge=...)``) and sends the judge and the
    discriminator's weights by reference; any other ``fn`` is put in the
    object store once per call and run on the workers as it is.
    """

    def __init__(self, config):
        self.parallel = parallel = config.parallel
        self.tune_malloc = config.tune_malloc
        self.plugins = list(config.plugins)
        self.workers: list = []
        self._kit = None
        self._engine_breed = None
        self._owns_ray = connect(parallel)
        try:
            check_resources(parallel, ray.cluster_resources())
        except ConfigError:
            self.close()
            raise

    @property
    def device(self) -> str:
        return "cuda" if self.parallel.gpus_per_worker > 0 else "cpu"

    def start(self, kit, engine_breed=None) -> None:
        """Create the workers with a CPU replica of ``kit``, once; wait until they run.

        ``engine_breed`` is the main toolbox's ``breed``; calls of it through
        :meth:`map` are sent as recipes plus the shared judge.
        """
        if self.workers:
            return
        self._kit, self._engine_breed = kit, engine_breed
        self._home = _device_of(kit)  # where the main process keeps the population
        p = self.parallel
        threads = p.threads_per_worker or max(1, math.floor(p.cpus_per_worker))
        # the main process holds the reference for the whole run, so a restarted worker can fetch it again
        self._kit_ref = ray.put(kit.replicate(CPU))
        options = dict(num_cpus=p.cpus_per_worker, num_gpus=p.gpus_per_worker,
                       max_restarts=p.max_restarts, max_task_retries=p.max_restarts)
        plugins = resolve_plugin_paths(self.plugins)
        # the kit inside a list: Ray would unpickle a top-level reference before __init__ imports the plugins
        self.workers = [_Worker.options(**options).remote([self._kit_ref], plugins, self.device, threads,
                                                          self.tune_malloc) for _ in range(p.workers)]
        pending = [w.ready.remote() for w in self.workers]
        ready, pending = ray.wait(pending, num_returns=len(pending), timeout=p.start_timeout)
        if pending:
            total = ray.cluster_resources()
            self.close()
            raise ConfigError(
                f"parallel.start_timeout: only {len(ready)} of the {p.workers} Ray workers ({p.cpus_per_worker:g} "
                f"CPU, {p.gpus_per_worker:g} GPU each) started within {p.start_timeout:g} s; the cluster has "
                f"{total.get('CPU', 0):g} CPU and {total.get('GPU', 0):g} GPU in all, other actors hold the rest"
            )
        try:
            ray.get(ready)
        except ray.exceptions.RayActorError as err:
            self.close()
            raise TrainingFailed(f"a Ray worker failed to start: {_first_line(err)}") from None

    def map(self, fn, items) -> list:
        items = list(items)
        if not items:
            return []
        if not self.workers:
            raise RuntimeError("RayBackend.map before start(): the workers are created when the run starts")
        pieces = _split(items, len(self.workers))
        if self._breeds(fn):  # D's weights and the judge once per generation; each worker's parents with its piece
            shared = ray.put(pack((self._kit.adversary.shared_state(), fn.keywords["judge"])))
            refs = [worker.breed.remote(shared, *_index_members(piece)) for worker, piece in zip(self.workers, pieces)]
        else:
            shared = ray.put(fn)
            refs = [worker.apply.remote(shared, pack(piece)) for worker, piece in zip(self.workers, pieces)]
        return unpack([result for piece in _get(refs) for result in piece], self._home)

    def _breeds(self, fn) -> bool:
        """Whether ``fn`` is the engine's breed with this generation's judge (None when the fitness scores nothing)."""
        return (self._engine_breed is not None and isinstance(fn, partial) and fn.func is self._engine_breed
                and not fn.args and set(fn.keywords) == {"judge"})

    def close(self) -> None:
        """Kill the workers; shut Ray down if this backend started it. Safe to call twice."""
        for worker in self.workers:
            try:
                ray.kill(worker, no_restart=True)
            except Exception:  # already dead, or Ray already gone
                pass
        self.workers, self._kit_ref = [], None
        if self._owns_ray:
            disconnect()
        self._owns_ray = False


def _device_of(kit) -> torch.device:
    return next(iter(kit.generator.parameters()), torch.empty(0)).device


def _split(items: list, parts: int) -> list[list]:
    """Contiguous pieces of ``items`` of nearly equal sizes, at most ``parts`` of them, none empty."""
    pieces, start = [], 0
    for size in split_evenly(len(items), parts):
        pieces.append(items[start:start + size])
        start += size
    return [piece for piece in pieces if piece]


def _index_members(recipes) -> tuple[list, list]:
    """Recipes with parent and donor replaced by indices into one packed list of the distinct members."""
    members, index = [], {}

    def slot(individual):
        if individual is None:
            return None
        if id(individual) not in index:
            index[id(individual)] = len(members)
            members.append(individual)
        return index[id(individual)]

    plans = [replace(r, parent=slot(r.parent), donor=slot(r.donor)) for r in recipes]
    return plans, pack(members)


def _get(refs) -> list:
    """``ray.get`` that raises a worker's own exception (e.g. a ConfigError) instead of Ray's wrapper."""
    try:
        return ray.get(refs)
    except ray.exceptions.RayTaskError as err:
        raise err.as_instanceof_cause() from None
    except ray.exceptions.RayActorError as err:
        raise TrainingFailed(f"a Ray worker died and could not be restarted (parallel.max_restarts): "
                             f"{_first_line(err)}") from None
