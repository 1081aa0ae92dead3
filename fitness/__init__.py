"""Fitness functions of evogan: E-GAN's quality F_q, diversity F_d and F = F_q + gamma*F_d (or none at all)."""

from .registry import FITNESSES
from .egan import diversity, diversity_fitness, egan_fitness, egan_released_fitness, evaluate, no_fitness, quality, quality_fitness, scored

__all__ = ["FITNESSES", "quality", "diversity", "egan_fitness", "egan_released_fitness", "quality_fitness", "diversity_fitness", "no_fitness",
           "scored", "evaluate"]
