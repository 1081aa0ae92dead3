"""The evolution loop, written like DEAP's ``eaMuCommaLambda``.

One generation (E-GAN, Wang et al. 2019, Algorithm 1, with the on-the-fly
crossover of Alessi 2024 inside the variation):

1. ``train_discriminator``: n_D steps on real data and fakes of all parents;
2. ``judge``: this generation's evaluation batch, shared by all children;
3. ``vary``: one recipe per parent x registered ``mutate_<name>``, the
   crossover (``mate``) choosing each recipe's donor;
4. ``map(breed)``: each recipe becomes a child (mutation, then ``evaluate``),
   on the parallel backend, results in order;
5. ``select``: mu survivors among the valid children (NaN or infinite loss or
   fitness discards a child; it is counted, never selected). A child chosen
   more than once survives as itself and as copies with lineages of their own.
"""

from __future__ import annotations

import copy
import inspect
import math
import numbers
import random
import time
import warnings
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from deap import tools

from ..errors import OperatorContractError
from .seeding import derive_seed, numpy_generator

__all__ = ["Recipe", "mutation_names", "vary", "breed", "select", "distinct", "ea_generation", "ea_gan",
           "make_statistics", "TrainingDiverged", "INVALID_STREAK"]

#: generations in a row in which every child is invalid before the run is declared diverged
INVALID_STREAK = 3


class TrainingDiverged(RuntimeError):
    """Training cannot recover (D's loss or weights non-finite, or every child invalid generation after generation);
    ``since`` is the first generation that went bad."""

    def __init__(self, message: str, since: int):
        super().__init__(message)
        self.since = since


@dataclass
class Recipe:
    """How to make one child: whose Adam state, whose weights, which loss, which seed."""

    parent: object
    donor: object  # None unless the crossover picked another member
    mutation: str
    seed: int
    lineage: dict = field(default_factory=dict)
    lr: float | None = None  # this generation's generator learning rate (a schedule); None: the mutation's own


def mutation_names(toolbox) -> list[str]:
    """The loss mutations registered on ``toolbox`` as ``mutate_<name>``, in registration order."""
    return [name[len("mutate_"):] for name in vars(toolbox) if name.startswith("mutate_")]


def vary(population, generation: int, *, toolbox, seed: int, lr_g=None, lr_sigma: float = 0.0,
         lr_bounds: tuple[float, float] = (0.1, 10.0)) -> list[Recipe]:
    """One recipe per parent and mutation; the crossover picks each recipe's donor.

    ``lr_g(generation)``, when given, is the scheduled generator learning rate every recipe carries. With
    ``lr_sigma`` > 0 the rate is self-adaptive: a child's factor on it (``lineage["genes"]["lr_g"]``, inherited) is
    its parent's (1 for a first member) times exp(lr_sigma * z), z ~ N(0, 1) from the stream (seed, generation,
    "genes", i, name), clipped to ``lr_bounds``; the child trains at ``lr_g(generation)`` times its factor.
    """
    lr = lr_g(generation) if lr_g is not None else None
    recipes = []
    for i, parent in enumerate(population):
        for name in mutation_names(toolbox):
            donor = toolbox.mate(parent, population, rng=numpy_generator(seed, generation, "crossover", i, name))
            crossed = donor is not parent
            parents = [parent.lineage["id"]] + ([donor.lineage["id"]] if crossed else [])
            lineage = {
                "id": f"g{generation}.p{i}.{name}",
                "generation": generation,
                "operator": name + ("+crossover" if crossed else ""),
                "parents": parents,
            }
            if "memory" in parent.lineage:  # what a selection keeps along a line (select_lineage_cull's count)
                lineage["memory"] = dict(parent.lineage["memory"])
            seed_i = derive_seed(seed, generation, "child", i, name)
            child_lr = lr
            if lr_sigma:
                z = numpy_generator(seed, generation, "genes", i, name).standard_normal()
                factor = parent.lineage.get("genes", {}).get("lr_g", 1.0) * math.exp(lr_sigma * z)
                lineage["genes"] = {"lr_g": min(max(factor, lr_bounds[0]), lr_bounds[1])}
                child_lr = lr * lineage["genes"]["lr_g"]
            recipes.append(Recipe(parent, donor if crossed else None, name, seed_i, lineage, child_lr))
    return recipes


def breed(recipe: Recipe, judge, *, toolbox):
    """Mutate, then evaluate. A child with a non-finite loss or fitness keeps an empty fitness."""
    scheduled = {} if recipe.lr is None else {"lr": recipe.lr}
    child = getattr(toolbox, "mutate_" + recipe.mutation)(recipe.parent, recipe.donor, seed=recipe.seed, **scheduled)
    child.lineage = dict(recipe.lineage)
    if not math.isfinite(child.scores["loss"]):
        child.lineage["discarded"] = f"loss is {child.scores['loss']}"
        return child
    values = toolbox.evaluate(child, judge)
    if not (isinstance(values, tuple) and values and all(isinstance(v, numbers.Real) for v in values)):
        raise OperatorContractError(
            f"evaluate returned {type(values).__name__} {values!r:.60}; a fitness returns a non-empty tuple of floats "
            "(DEAP's fitness values), e.g. (f_q + gamma * f_d,)")
    if all(math.isfinite(v) for v in values):
        child.fitness.values = values
    else:
        child.lineage["discarded"] = f"fitness is {values}"
    return child


def alternating_step(population, gen: int, *, toolbox) -> tuple[float, list]:
    """E-GAN's order: D's n_D steps on the parents' fakes, then every child bred and judged against the new D."""
    d_loss = toolbox.train_discriminator(population, generation=gen)
    judge = toolbox.judge(generation=gen)
    recipes = toolbox.vary(population, gen)
    return d_loss, list(toolbox.map(partial(toolbox.breed, judge=judge), recipes))


def simultaneous_step(population, gen: int, *, toolbox) -> tuple[float, list]:
    """ALI's and PacGAN's step: G's and D's gradients at the same point on the same fakes. The one child is bred
    (and judged) against D as it stands; D's step then trains on the fakes of that update, the parent's G on the
    child's latents. Neither gradient sees the other's step, so applying them in turn is applying them together."""
    judge = toolbox.judge(generation=gen)
    recipes = toolbox.vary(population, gen)
    offspring = list(toolbox.map(partial(toolbox.breed, judge=judge), recipes))
    (recipe,) = recipes
    return toolbox.train_discriminator(population, generation=gen, latent_seed=recipe.seed), offspring


def same_latents_step(population, gen: int, *, toolbox) -> tuple[float, list]:
    """DCGAN-TensorFlow's loop, which PacGAN's Stacked MNIST code keeps: D's step on the fakes of the child's latents,
    then the child's G step against the new D on those same latents (E-GAN's order, without fresh fakes for G)."""
    recipes = toolbox.vary(population, gen)
    (recipe,) = recipes
    d_loss = toolbox.train_discriminator(population, generation=gen, latent_seed=recipe.seed)
    judge = toolbox.judge(generation=gen)
    return d_loss, list(toolbox.map(partial(toolbox.breed, judge=judge), recipes))


#: config.update -> the adversarial step of a generation
STEPS = {"alternating": alternating_step, "simultaneous": simultaneous_step, "same_latents": same_latents_step}


def _takes_rng(fn) -> bool:
    try:
        return "rng" in inspect.signature(fn).parameters
    except (TypeError, ValueError):  # a builtin without a signature
        return False


def select(toolbox, individuals, k: int, generation: int):
    """``toolbox.select(individuals, k)`` with its randomness drawn from the stream (seed, generation, "select"):
    a selection that takes ``rng`` gets that numpy Generator, and Python's ``random`` (what DEAP's ``selTournament``
    and its other tools draw from) is seeded from the stream (seed, generation, "select", "random") for the call and
    restored afterwards, so a DEAP-style selection is reproducible too."""
    stream = getattr(toolbox, "stream", None) or partial(numpy_generator, 0)
    rng = stream(generation, "select")
    outer = random.getstate()
    random.seed(int(stream(generation, "select", "random").integers(2 ** 63)))
    try:
        chosen = toolbox.select(individuals, k, rng=rng) if _takes_rng(toolbox.select) else toolbox.select(individuals, k)
    finally:
        random.setstate(outer)
    members = {id(ind) for ind in individuals}
    if not isinstance(chosen, (list, tuple)) or len(chosen) != k or any(id(ind) not in members for ind in chosen):
        raise OperatorContractError(
            f"select returned {type(chosen).__name__} of {len(chosen) if hasattr(chosen, '__len__') else '?'}; a "
            f"selection returns a list of k = {k} of the individuals it was given (the children themselves, not copies)")
    return list(chosen)


def make_statistics() -> tools.MultiStatistics:
    """Per-generation statistics of F, F_q and F_d over the valid children."""
    stats = tools.MultiStatistics(
        fitness=tools.Statistics(lambda ind: ind.fitness.values[0]),
        f_q=tools.Statistics(lambda ind: ind.scores["f_q"]),
        f_d=tools.Statistics(lambda ind: ind.scores["f_d"]),
    )
    for name, fn in (("avg", np.mean), ("std", np.std), ("min", np.min), ("max", np.max)):
        stats.register(name, fn)
    return stats


def _compile(stats, valid) -> dict:
    """Statistics of the valid children; NaN rows when none is valid, so chapters stay aligned."""
    if stats is None:
        return {}
    if valid:
        return stats.compile(valid)
    return {name: dict.fromkeys(chapter.functions, math.nan) for name, chapter in stats.items()}


def ea_generation(population, toolbox, gen, *, stats=None, halloffame=None, logbook=None, invalid_streak=0) -> int:
    """Generation ``gen`` of ``population`` (in place), recorded in ``logbook``; returns the number of generations in
    a row, this one included, in which every child was invalid (``invalid_streak`` before it).

    If fewer children than parents are valid, the valid ones survive and the first parents fill the remaining
    places; the logbook's ``kept_parents`` says how many.
    """
    mu = len(population)
    started = time.perf_counter()
    d_loss, offspring = getattr(toolbox, "adversarial_step", alternating_step)(population, gen, toolbox=toolbox)
    valid = [child for child in offspring if child.fitness.valid]
    survivors = distinct(select(toolbox, valid, min(mu, len(valid)), gen)) if valid else []
    invalid_streak = 0 if valid else invalid_streak + 1
    if invalid_streak >= INVALID_STREAK:  # e.g. a D with finite but astronomically large weights
        raise TrainingDiverged(
            f"generations {gen - invalid_streak + 1}-{gen}: every child was invalid (non-finite loss or fitness) "
            f"{invalid_streak} generations in a row: training diverged (a lower lr_d or lr_g usually helps)",
            since=gen - invalid_streak + 1)
    kept = mu - len(survivors)
    if kept:
        warnings.warn(
            f"generation {gen}: {len(offspring) - len(valid)} of {len(offspring)} children were invalid "
            f"(non-finite loss or fitness); keeping {kept} parent(s)",
            RuntimeWarning,
        )
    population[:] = list(survivors) + population[:kept]
    if halloffame is not None and survivors:
        halloffame.update(survivors)
    if logbook is not None:
        logbook.record(
            gen=gen,
            nevals=len(offspring),
            discarded=len(offspring) - len(valid),
            kept_parents=kept,
            copies=sum("copy_of" in ind.lineage for ind in survivors),
            d_loss=d_loss,
            survivors=" ".join(ind.lineage["operator"] for ind in population),
            **_gene_columns(population),
            seconds=time.perf_counter() - started,
            **getattr(toolbox, "diagnostics", dict)(),
            **_compile(stats, valid),
        )
    return invalid_streak


def distinct(survivors: list) -> list:
    """``survivors`` with every repeat of a child (a selection with replacement, or one that copies a fit member
    over a failing one) replaced by a deep copy whose lineage id is the child's plus ``#2``, ``#3``, ...: each place
    is its own generator from now on (its own children, its own lineage in ``select_lineage``)."""
    seen: dict = {}
    out = []
    for ind in survivors:
        seen[id(ind)] = seen.get(id(ind), 0) + 1
        if seen[id(ind)] > 1:
            twin = copy.deepcopy(ind)
            twin.lineage = {**ind.lineage, "id": f"{ind.lineage['id']}#{seen[id(ind)]}", "copy_of": ind.lineage["id"]}
            ind = twin
        out.append(ind)
    return out


def _gene_columns(population) -> dict:
    """The population's mean self-adaptive factors (``lr_g_factor``), when its members carry genes."""
    genes = [ind.lineage["genes"] for ind in population if "genes" in ind.lineage]
    return {f"{name}_factor": float(np.mean([g[name] for g in genes])) for name in (genes[0] if genes else {})}


def ea_gan(population, toolbox, ngen, *, stats=None, halloffame=None, logbook=None, start_gen=1, callback=None):
    """Evolve ``population`` in place for generations ``start_gen..ngen`` (``ea_generation`` each); returns
    (population, logbook).

    ``callback(gen, population, logbook)`` runs after each generation (metrics, files, progress); when it returns a
    true value the loop stops.
    """
    if logbook is None:
        logbook = tools.Logbook()
    invalid_streak = 0
    for gen in range(start_gen, ngen + 1):
        invalid_streak = ea_generation(population, toolbox, gen, stats=stats, halloffame=halloffame, logbook=logbook,
                                       invalid_streak=invalid_streak)
        if callback is not None and callback(gen, population, logbook):
            break
    return population, logbook
