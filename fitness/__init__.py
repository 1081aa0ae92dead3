"""Fitness functions of evogan: E-GAN's quality F_q, diversity F_d and F = F_q + gamma*F_d."""

from .registry import FITNESSES
from .egan import diversity, diversity_fitness, egan_fitness, evaluate, quality, quality_fitness

__all__ = ["FITNESSES", "quality", "diversity", "egan_fitness", "quality_fitness", "diversity_fitness", "evaluate"]
