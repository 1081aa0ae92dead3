"""Parallel backends: what ``toolbox.map`` runs the children on.

A backend is a class built from the config with ``map(fn, items)`` (results in
input order) and ``close()``. The in-process backend is the default and what
the tests use.
"""

from __future__ import annotations

from .registry import Registry

__all__ = ["BACKENDS", "InProcessBackend"]

#: backends: name → class(config)
BACKENDS = Registry("parallel backend")


@BACKENDS.register("inprocess")
class InProcessBackend:
    """Runs every child in this process, one after another."""

    def __init__(self, config=None):
        pass

    def map(self, fn, items):
        return [fn(item) for item in items]

    def close(self):
        pass
