"""Variation and selection operators of evogan.

- ``LOSSES``: generator-loss mutations by name (E-GAN: minimax, heuristic,
  least_squares; BEGAN: began); ``mutate`` turns one into a child.
- ``on_the_fly_crossover``: the crossover of Alessi (2024).
- ``SELECTIONS``: "best" ((mu, lambda) truncation), "lineage" (each parent's best child), "lineage_cull" and
  "lineage_cull_loss" (lineage, replacing a generator D keeps rejecting), "nsga2" and "random".
- ``MODIFIERS``: terms added to any loss, named after it with "+"
  (``heuristic+entropy``: EM-GAN's entropy maximisation; ``+edge``: the
  Sobel edge loss of Song & Kim 2023).
- ``LATENTS``: priors of z.

Register your own: ``LOSSES.register("hinge", fn)`` makes ``"hinge"`` valid in
``mutations`` of a config.
"""

from .registry import LATENTS, LOSSES, MODIFIERS, SELECTIONS
from .egan import heuristic, least_squares, minimax
from .began import began_loss
from .latent import latent_sampler, mean_rescaled, normal, uniform
from .entropy import entropy_bonus, knn_entropy
from .edges import edge_loss, sobel_edges
from .mutation import mutate
from .crossover import on_the_fly_crossover
from .selection import (CULL_BELOW, CULL_PATIENCE, select_best, select_lineage, select_lineage_cull,
                        select_lineage_cull_by_loss, select_nsga2, select_random)

__all__ = [
    "LOSSES",
    "MODIFIERS",
    "knn_entropy",
    "entropy_bonus",
    "sobel_edges",
    "edge_loss",
    "SELECTIONS",
    "LATENTS",
    "minimax",
    "heuristic",
    "least_squares",
    "began_loss",
    "normal",
    "uniform",
    "mean_rescaled",
    "latent_sampler",
    "mutate",
    "on_the_fly_crossover",
    "select_best",
    "select_lineage",
    "select_lineage_cull",
    "select_lineage_cull_by_loss",
    "CULL_BELOW",
    "CULL_PATIENCE",
    "select_nsga2",
    "select_random",
]
