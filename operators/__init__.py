"""Variation and selection operators of evogan.

- ``LOSSES``: generator-loss mutations by name (E-GAN: minimax, heuristic,
  least_squares); ``mutate`` turns one into a child.
- ``on_the_fly_crossover``: the crossover of Alessi (2024).
- ``SELECTIONS``: "best" ((mu, lambda) truncation) and "nsga2".
- ``MODIFIERS``: terms added to any loss, named after it with "+"
  (``heuristic+entropy``: EM-GAN's entropy maximisation).
- ``LATENTS``: priors of z.

Register your own: ``LOSSES.register("hinge", fn)`` makes ``"hinge"`` valid in
``mutations`` of a config.
"""

from .registry import LATENTS, LOSSES, MODIFIERS, SELECTIONS
from .egan import heuristic, least_squares, minimax
from .latent import normal, uniform
from .entropy import entropy_bonus, knn_entropy
from .mutation import mutate
from .crossover import on_the_fly_crossover
from .selection import select_best, select_nsga2

__all__ = [
    "LOSSES",
    "MODIFIERS",
    "knn_entropy",
    "entropy_bonus",
    "SELECTIONS",
    "LATENTS",
    "minimax",
    "heuristic",
    "least_squares",
    "normal",
    "uniform",
    "mutate",
    "on_the_fly_crossover",
    "select_best",
    "select_nsga2",
]
