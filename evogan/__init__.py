"""evogan: evolutionary GANs on DEAP.

A population of generators is a population of DEAP individuals; generator
losses are mutation operators; the on-the-fly crossover and the E-GAN
quality/diversity fitness are registered operators too.

The engine's heavy parts (``Experiment``, ``build_strategy``, ``ea_gan``,
``run``) are imported on first use so that ``operators`` and ``fitness``,
which build on the light parts, import cleanly in any order.
"""

from importlib import import_module

from .config import Config, ConfigError, load_config
from .errors import TrainingFailed
from .core.registry import Registry
from . import _moved

_moved.install()  # old import paths (evogan.checkpoint, evogan.deme, ...) keep working

__version__ = "0.1.0"

_LAZY = {  # torch and friends load on first use: `evogan run` with a typo answers before importing them
    "Individual": "evogan.core.individual",
    "derive_seed": "evogan.core.seeding",
    "Experiment": "evogan.experiment",
    "build_strategy": "evogan.core.strategy",
    "ea_gan": "evogan.core.algorithms",
    "vary": "evogan.core.algorithms",
    "breed": "evogan.core.algorithms",
    "run": "evogan.runner",
    "DATASETS": "evogan.data",
    "ADVERSARIES": "evogan.adversaries",
    "BACKENDS": "evogan.parallel",
    "MODELS": "evogan.models",
    "mixture_metrics": "evogan.metrics",
    "load_run": "evogan.io.results",
    "export_generator": "evogan.io.export",
}

__all__ = ["Config", "ConfigError", "TrainingFailed", "load_config", "Individual", "Registry", "derive_seed", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value  # resolved once (PEP 562); documentation tools then find it like any attribute
        return value
    raise AttributeError(f"module 'evogan' has no attribute {name!r}")
