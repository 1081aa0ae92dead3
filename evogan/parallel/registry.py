"""The registry of parallel backends."""

from __future__ import annotations

from ..core.registry import Registry

__all__ = ["BACKENDS"]

#: backends: name → class(config) (or a factory with that signature)
BACKENDS = Registry("parallel backend")
