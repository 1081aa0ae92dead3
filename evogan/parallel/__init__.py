"""Parallel backends: what ``toolbox.map`` trains and evaluates the children on.

A backend is a class built from the config, ``BACKENDS.get(name)(config)``,
when the experiment is built (so a bad parallel config fails before any
training), with three methods:

- ``start(kit)``: once per run, before the first generation; ``kit`` is the
  :class:`BreedingKit` (the toolbox's mutations, fitness and ``breed``);
- ``map(fn, items)``: ``[fn(item) for item in items]``, results in input order;
- ``close()``: release workers; safe to call twice.

``inprocess`` (the default) runs every child here, one after another;
``vectorized`` trains and evaluates them as one stacked population (``vmap``). ``ray``
(``RayBackend``) splits them among worker actors on CPUs, GPU shares or a Ray
cluster; Ray is imported only when that backend is used.
"""

from ..populations.islands import ISLAND_BACKENDS
from .registry import BACKENDS
from .inprocess import InProcessBackend
from .vectorized import VectorizedBackend
from .kit import BreedingKit, move, pack, unpack

__all__ = ["BACKENDS", "InProcessBackend", "VectorizedBackend", "BreedingKit", "move", "pack", "unpack", "RayBackend"]


@ISLAND_BACKENDS.register("ray")
def _ray_islands(experiment):
    from .ray_islands import attach_ray_islands

    return attach_ray_islands(experiment)


@BACKENDS.register("ray")
def _ray_backend(config):
    from .ray_backend import RayBackend

    return RayBackend(config)


def __getattr__(name):
    if name == "RayBackend":
        from .ray_backend import RayBackend

        return RayBackend
    raise AttributeError(f"module 'evogan.parallel' has no attribute {name!r}")
