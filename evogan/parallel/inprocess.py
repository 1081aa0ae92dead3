"""The default backend: every child in this process, one after another."""

from __future__ import annotations

from .registry import BACKENDS

__all__ = ["InProcessBackend"]


@BACKENDS.register("inprocess")
class InProcessBackend:
    """Runs every child in this process, one after another."""

    def __init__(self, config=None):
        pass

    def start(self, kit, engine_breed=None) -> None:
        pass

    def map(self, fn, items):
        return [fn(item) for item in items]

    def close(self) -> None:
        pass
