"""The DEAP individual: a generator's weights, its Adam state, its lineage.

The classes are made once, here, at import time, with distinctive names so
that they do not collide with a user's own ``creator.Individual``.

An individual *is* the generator's ``state_dict`` (a dict name → tensor, on
the device where it is trained) and additionally carries:

- ``adam``: its Adam state (``evogan.core.adam``), plain tensors;
- ``lineage``: ``{"id", "generation", "operator", "parents"}``; ``parents``
  lists the parent whose Adam state the child continues first and, after an
  on-the-fly crossover, the donor whose weights it starts from;
- ``scores``: the fitness components (``f_q``, ``f_d``) behind ``fitness``;
- ``fitness``: a one-valued DEAP fitness, maximised. DEAP compares
  multi-valued fitnesses lexicographically, so the weighted sum
  F = F_q + gamma * F_d is computed into the one value; multi-objective
  selection reads ``scores`` instead (``operators.selection``).

Equality and hashing are by identity (a member is not its values; DEAP's idioms need them).
Cloning (``copy.deepcopy``) and pickling keep all of it and no module, hook or
graph: individuals are cheap to copy and to ship to workers. They reduce to
plain data rebuilt by :func:`_restore`: pickling a DEAP creator class itself
would re-create it on load (``deap.creator.meta_create``) and rebind
``creator.EvoganIndividual`` to a new class, breaking ``isinstance`` checks.
"""

from __future__ import annotations

from deap import base, creator

__all__ = ["Genome", "Individual", "same_individual"]


class Genome(dict):
    """Base of :data:`Individual`: a state dict with Adam state, lineage and scores."""

    def __init__(self, weights=(), adam=None, lineage=None, scores=None):
        super().__init__(weights)
        self.adam = adam if adam is not None else {}
        self.lineage = lineage if lineage is not None else {}
        self.scores = scores if scores is not None else {}

    # An individual is one member, not its values: equality and hashing by identity, so that DEAP's idioms
    # (``ind in pool``, ``pool.remove(ind)``, ``==``, sets and dict keys) work; comparing dicts of tensors would raise
    # "Boolean value of Tensor is ambiguous". Compare weights with ``torch.equal`` on ``ind[name]``.
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    def __reduce__(self):
        values = self.fitness.values if self.fitness.valid else None
        return _restore, (dict(self), self.adam, self.lineage, self.scores, values)

    def __repr__(self):
        fit = self.fitness.values if self.fitness.valid else "invalid"
        return f"<Individual {self.lineage.get('id', '?')} {self.lineage.get('operator', '')} fitness={fit}>"


if not hasattr(creator, "EvoganFitness"):
    creator.create("EvoganFitness", base.Fitness, weights=(1.0,))
if not hasattr(creator, "EvoganIndividual"):
    creator.create("EvoganIndividual", Genome, fitness=creator.EvoganFitness)

Individual = creator.EvoganIndividual


def _restore(weights, adam, lineage, scores, values):
    individual = Individual(weights, adam=adam, lineage=lineage, scores=scores)
    if values is not None:
        individual.fitness.values = values
    return individual


def same_individual(a, b) -> bool:
    """HallOfFame's ``similar``: tensors have no truth value, identities do."""
    return a.lineage.get("id") == b.lineage.get("id")
