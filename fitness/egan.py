"""E-GAN's fitness (Wang et al. 2019, eqs. 5-7): quality, diversity, their sum.

- F_q = E_z D(G(z)), D's mean probability on the child's fakes;
- F_d = -log ||grad_w L_D||, L_D = -E log D(x) - E log(1 - D(G(z))) on a real
  batch and the child's fakes, w the discriminator's parameters: a flat D
  (small gradient) around the child's samples means D cannot sharpen against
  it, which rewards spread-out generators;
- F = F_q + gamma * F_d.

E-GAN's released code (WANG-Chaoyue/EvolutionaryGAN-pytorch, ``fitness_score``)
adds gamma * log ||grad_w L_D|| instead, the opposite sign (its issue #5 asks
which is meant). ``egan_released`` is that variant, so the two can be compared;
F_d is logged with the paper's sign in both.

F_q lies in [0, 1] while F_d is typically of order 1-10, so gamma (published
values 0.001 to 1) matters; both components are logged separately.
"""

from __future__ import annotations

import math

import torch

from evogan.core.sampling import generate

from .registry import FITNESSES

__all__ = ["quality", "diversity", "egan_fitness", "egan_released_fitness", "quality_fitness", "diversity_fitness",
           "no_fitness", "scored", "evaluate"]


def quality(d_fake_probability: torch.Tensor) -> float:
    """F_q: mean probability that D assigns to the fakes."""
    return float(d_fake_probability.mean())


def diversity(grad_norm: float) -> float:
    """F_d = -log ||grad_w L_D||; a zero or NaN norm gives a non-finite F_d, which the engine discards."""
    if grad_norm > 0:
        return -math.log(grad_norm)
    return math.inf if grad_norm == 0 else math.nan


@FITNESSES.register("egan")
def egan_fitness(f_q: float, f_d: float, gamma: float) -> tuple[float]:
    """F = F_q + gamma * F_d."""
    return (f_q + gamma * f_d,)


@FITNESSES.register("egan_released")
def egan_released_fitness(f_q: float, f_d: float, gamma: float) -> tuple[float]:
    """F = F_q - gamma * F_d = F_q + gamma * log ||grad_w L_D||, as E-GAN's released code computes it."""
    return (f_q - gamma * f_d,)


@FITNESSES.register("quality")
def quality_fitness(f_q: float, f_d: float, gamma: float) -> tuple[float]:
    """F = F_q alone (gamma ignored)."""
    return (f_q,)


@FITNESSES.register("diversity")
def diversity_fitness(f_q: float, f_d: float, gamma: float) -> tuple[float]:
    """F = F_d alone (gamma ignored)."""
    return (f_d,)


@FITNESSES.register("none")
def no_fitness(f_q: float, f_d: float, gamma: float) -> tuple[float]:
    """No evaluation at all: every child's F is 0 and F_q, F_d are not measured (NaN in the logbook). For strategies
    whose selection has no choice (one child a parent; or the random selection): a single GAN, PacGAN, a mixture of
    generators. Their papers evaluate nothing, so neither should their cost at equal compute."""
    return (0.0,)


no_fitness.scored = False  # evaluate() and the backends skip the judge's batch and D's gradients


def scored(combine) -> bool:
    """Whether a fitness reads F_q and F_d (each child scored against D) or ignores them (``none``)."""
    return getattr(combine, "scored", True)


def evaluate(child, judge, *, generator, adversary, combine, gamma: float) -> tuple[float]:
    """Score ``child`` on this generation's fixed evaluation batch ``judge``.

    Stores ``f_q`` and ``f_d`` in ``child.scores`` and returns the DEAP
    fitness values. The discriminator family supplies the two raw measures
    (its quality score and the norm of its loss gradient), so the same
    evaluation serves every family.
    """
    if not scored(combine):
        child.scores.update(f_q=math.nan, f_d=math.nan)
        return combine(math.nan, math.nan, gamma)
    with torch.no_grad():
        fake = generate(generator, child, judge.z)
    f_q, grad_norm = adversary.score(fake, judge)
    f_d = diversity(grad_norm)
    child.scores.update(f_q=f_q, f_d=f_d)
    return combine(f_q, f_d, gamma)
