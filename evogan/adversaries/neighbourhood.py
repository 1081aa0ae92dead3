"""Lipizzaner's neighbourhood coevolution for islands (``islands.policy = "neighbourhood"``).

At every exchange each island receives copies of its neighbours' ``migrants`` best
generators and their discriminators' weights: its neighbourhood, held until the next
exchange (Schmiedlechner et al. 2018; Toutouh et al. 2019, Mustangs). Between exchanges:

- its own discriminator trains on the fakes of its parents and of the neighbourhood's
  generators, evenly mixed (E-GAN's m / mu per generator, over all of them);
- each generation draws one discriminator among its own and the neighbourhood's, from the
  stream ``(seed, generation, "opponent")``: the children's mutations train against it;
- every child is scored against every one of them, on the same evaluation batch, and its
  fitness F = combine(F_q, F_d) is the ``fitness_mode`` of the per-discriminator values:
  ``average`` (F_q and F_d averaged, so F is the mean of F), ``best`` (max) or ``worst`` (min).

Neighbours' generators never join the population: they are the discriminator's opponents
(``migrants`` of them from each neighbour). Before the first exchange an island is the plain
run. The neighbourhood is part of the adversary's state, so checkpoints resume exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fitness.egan import diversity

from ..core.seeding import numpy_generator

__all__ = ["NeighbourhoodAdversary", "NeighbourhoodJudge", "FITNESS_MODES"]

#: how a child's per-discriminator fitnesses combine: (values) -> index of the one kept, or None to average
FITNESS_MODES = {"average": None, "best": np.argmax, "worst": np.argmin}


@dataclass
class NeighbourhoodJudge:
    """One generation's evaluation batch for every discriminator of the neighbourhood (own first); ``z`` is shared."""

    z: object
    judges: list


class NeighbourhoodAdversary:
    """A discriminator family instance (``own``, the one this island trains) with its neighbourhood: what the
    generators train against and are scored by changes, the rest is ``own``'s (the family's interface)."""

    def __init__(self, own, *, fitness_mode: str, combine, gamma: float):
        self.own, self.opponent = own, own
        self.fitness_mode, self.combine, self.gamma = fitness_mode, combine, gamma
        self.generators: list = []  # the neighbours' best, as opponents of ``own``
        self.neighbours: list = []  # replicas of ``own``'s family holding the neighbours' weights

    def __getattr__(self, name):  # the rest of the family's interface (optimizer, loss, replica, ...) is own's
        if name == "own":
            raise AttributeError(name)
        return getattr(self.own, name)

    # what the generators see: this generation's opponent
    def __call__(self, x):
        return self.opponent(x)

    def sample_logits(self, x):
        return self.opponent.sample_logits(x)

    def features(self, x):
        return self.opponent.features(x)

    def meet(self, generators: list, discriminators: list[dict]) -> None:
        """A new neighbourhood: the neighbours' best generators and their discriminators' weights."""
        self.generators = list(generators)
        while len(self.neighbours) < len(discriminators):
            self.neighbours.append(self.own.replica(self.own.device))
        del self.neighbours[len(discriminators):]
        for replica, weights in zip(self.neighbours, discriminators):
            replica.load_shared_state(weights)
        self.opponent = self.own

    def train(self, parents, **kwargs) -> float:
        """``own``'s training step on the fakes of ``parents`` and of the neighbourhood's generators."""
        return self.own.train(list(parents) + self.generators, **kwargs)

    def judge(self, *, seed: int, generation: int, **kwargs) -> NeighbourhoodJudge:
        """Every discriminator's evaluation batch (the same real data and latents); draws this generation's opponent."""
        everyone = [self.own, *self.neighbours]
        pick = numpy_generator(seed, generation, "opponent").integers(len(everyone)) if self.neighbours else 0
        self.opponent = everyone[pick]
        judges = [d.judge(seed=seed, generation=generation, **kwargs) for d in everyone]
        return NeighbourhoodJudge(z=judges[0].z, judges=judges)

    def score(self, fake, judge: NeighbourhoodJudge) -> tuple[float, float]:
        """(F_q, ||grad_w L_D||) of the child against the neighbourhood, combined by ``fitness_mode``."""
        scores = [d.score(fake, j) for d, j in zip([self.own, *self.neighbours], judge.judges)]
        for f_q, norm in scores:  # a non-finite measure against any of them: the engine discards the child
            if not (math.isfinite(f_q) and math.isfinite(norm) and norm > 0):
                return f_q, norm
        choose = FITNESS_MODES[self.fitness_mode]
        if choose is None:  # F is linear in F_q and F_d = -log norm: average F_q, take the norms' geometric mean
            return float(np.mean([q for q, _ in scores])), math.exp(np.mean([math.log(n) for _, n in scores]))
        values = [self.combine(q, diversity(norm), self.gamma)[0] for q, norm in scores]
        return scores[int(choose(values))]

    def state_dict(self) -> dict:
        """``own``'s state, and the neighbourhood under ``"neighbourhood"`` (for an exact resume)."""
        from ..core.state import individual_state

        return {**self.own.state_dict(), "neighbourhood": {
            "generators": [individual_state(g) for g in self.generators],
            "discriminators": [d.shared_state() for d in self.neighbours]}}

    def load_state_dict(self, state: dict) -> None:
        """``own``'s state; the neighbourhood too when ``state`` has one (an adopted discriminator has none)."""
        from ..core.state import individual_from_state

        self.own.load_state_dict({k: v for k, v in state.items() if k != "neighbourhood"})
        if "neighbourhood" in state:
            saved = state["neighbourhood"]
            self.meet([individual_from_state(g) for g in saved["generators"]], saved["discriminators"])
