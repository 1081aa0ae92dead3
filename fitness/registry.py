"""The fitness registry: name → fn(f_q, f_d, gamma) -> fitness values tuple."""

from evogan.core.registry import Registry

__all__ = ["FITNESSES"]

FITNESSES = Registry("fitness")
