"""The strategy: a DEAP toolbox built by one function from the config.

Registered names (all plain functions bound with ``functools.partial``):

- ``mutate_<name>`` for each loss in ``config.mutations`` (``operators.mutate``);
  a name may add modifiers to its base loss with "+" (``heuristic+entropy``);
- ``mate``: the on-the-fly crossover; ``evaluate``: the fitness;
- ``select``: survivor selection; ``map``: the parallel backend;
- ``vary``, ``breed``, ``train_discriminator``, ``judge``, ``diagnostics``:
  the steps of ``evogan.core.algorithms.ea_gan``; ``adversarial_step`` their order
  (``config.update``: alternating, E-GAN's; simultaneous, ALI's and PacGAN's; same_latents, DCGAN-TensorFlow's).

Users register their own plain functions on the returned toolbox, e.g. a new
``mutate_hinge``; ``vary`` picks up every ``mutate_<name>`` present.
"""

from __future__ import annotations

import inspect
import math
import warnings
from functools import partial

import torch
from deap import base

import fitness
import operators

from . import algorithms
from ..config import ConfigError
from .sampling import generate, sample_population
from .schedule import schedule_for
from .seeding import numpy_generator

__all__ = ["build_strategy", "mutation_arguments"]


def mutation_arguments(config, *, generator, adversary, sample_latent) -> dict:
    """The keyword arguments every ``operators.mutate`` partial of this strategy shares."""
    return dict(
        generator=generator,
        discriminate=adversary,
        sample_latent=sample_latent,
        batch_size=config.samples(),
        lr=config.lr_g,
        betas=(config.beta1, config.beta2),
        steps=config.g_steps,
    )


def _resolve_mutation(name: str, config, *, adversary, data):
    """``"base+mod+..."`` → (loss fn, modifier partials), refusing what the family or the data cannot support.

    A loss declares what it consumes with a ``consumes`` attribute (default
    ``"logit"``), a family what its ``__call__`` returns with ``output``.
    """
    loss_name, *extras = name.split("+")
    loss = operators.LOSSES.get(loss_name, "mutations")
    output = getattr(adversary, "output", "logit")
    if getattr(loss, "consumes", "logit") != output:
        fitting = [n for n in operators.LOSSES if getattr(operators.LOSSES[n], "consumes", "logit") == output]
        raise ConfigError(
            f"mutations: loss {loss_name!r} does not work with the {config.adversary!r} discriminator family "
            f"(it outputs a {output}); losses that do: {', '.join(fitting)}"
        )
    modifiers = []
    for extra in extras:
        modifier = operators.MODIFIERS.get(extra, f"mutations ({name!r})")
        kind = getattr(modifier, "data_kind", None)
        if kind is not None and kind != data.kind:
            raise ConfigError(f"mutations: modifier {extra!r} in {name!r} needs {kind} data; {config.dataset!r} is {data.kind} data")
        modifiers.append(partial(modifier, adversary=adversary, data=data, config=config))
    return loss, tuple(modifiers)


def fakes_of_the_update(parents, n: int, rng=None, *, seed: int, generator, sample_latent) -> torch.Tensor:
    """The fakes a child's update made (``operators.mutate`` draws its latents first from its seed): the one parent's
    G, in training mode, on the same latents; ``rng`` (the D step's stream) is not used."""
    (parent,) = parents
    device = next(iter(parent.values())).device
    return generate(generator, parent, sample_latent(n, torch.Generator(device=device).manual_seed(seed)))


def train_discriminator(parents, *, generation: int, train, optimizer, lr=None, latent_seed=None, same_fakes=None,
                        **kwargs) -> float:
    """The family's ``train`` at this generation's scheduled learning rate ``lr(generation)`` (None: unscheduled);
    raises TrainingDiverged when its loss or weights are no longer finite. With ``latent_seed`` (the simultaneous
    and same-latents updates) D trains on ``same_fakes(..., seed=latent_seed)``, the fakes of the child's update."""
    if latent_seed is not None:
        kwargs["make_fakes"] = partial(same_fakes, seed=latent_seed)
    if lr is not None:
        for group in optimizer.param_groups:
            group["lr"] = lr(generation)
    loss = train(parents, generation=generation, **kwargs)
    weights = [p for group in optimizer.param_groups for p in group["params"]] if optimizer is not None else []
    if not math.isfinite(loss) or not all(bool(torch.isfinite(w).all()) for w in weights):
        what = f"loss is {loss}" if not math.isfinite(loss) else "weights are no longer finite"
        raise algorithms.TrainingDiverged(f"generation {generation}: the discriminator's {what} (training diverged; "
                                          "a lower lr_d usually helps)", since=generation)
    return loss


def mutation_labels(mutations: list[str]) -> list[str]:
    """The name each mutation is registered under: a loss listed k times gives k children, its copies named
    '<name>.2', '<name>.3', ... so each draws its own latents (one loss, several children: the control that tells
    what the loss diversity adds)."""
    earlier = [mutations[:i].count(name) for i, name in enumerate(mutations)]
    return [name if k == 0 else f"{name}.{k + 1}" for name, k in zip(mutations, earlier)]


def _check_nothing_to_choose(config) -> None:
    """A fitness that scores nothing only serves where no choice is made by fitness."""
    children = config.population_size * len(config.mutations)
    if children > config.population_size and config.selection != "random":
        raise ConfigError(f"fitness: {config.fitness!r} scores nothing, but {children} children compete for "
                          f"population_size = {config.population_size} places under selection "
                          f"{config.selection!r}; use one mutation, selection = 'random', or a fitness that scores")
    if getattr(operators.SELECTIONS.get(config.selection, "selection"), "reads_scores", False):
        raise ConfigError(f"fitness: {config.fitness!r} scores nothing, but selection {config.selection!r} reads the "
                          "children's F_q and F_d; use a fitness that scores them (quality, egan, ...)")
    if config.islands.count > 1:
        raise ConfigError(f"fitness: {config.fitness!r} scores nothing, and islands send their fittest generators "
                          "as migrants; use a fitness that scores")


#: keyword argument of a selection → the config key it is given from, when the selection's signature names it
SELECTION_OPTIONS = {"below": "cull_below", "patience": "cull_patience"}


def selection_options(select, config) -> dict:
    """The config values ``select`` takes (``SELECTION_OPTIONS``), so a registered selection gets its parameters
    from the config without a case of its own."""
    try:
        params = inspect.signature(select).parameters
    except (TypeError, ValueError):  # a builtin without a signature takes none
        return {}
    return {arg: getattr(config, key) for arg, key in SELECTION_OPTIONS.items() if arg in params}


def _no_judge(*, generation: int) -> None:
    """The evaluation batch of a fitness that scores nothing (``fitness = "none"``)."""
    return None


def build_strategy(config, *, generator, adversary, data, sample_latent, backend=None) -> base.Toolbox:
    """Resolve every name in ``config`` (clear errors before training) and register the operators.

    ``toolbox.map`` is ``backend.map`` when a backend is given, else the builtin ``map`` (in process);
    ``Experiment`` registers its backend's map itself once the backend is built.
    """
    toolbox = base.Toolbox()
    if config.pack > 1 and getattr(adversary, "output", "logit") != "logit":
        raise ConfigError(f"pack: packing needs a discriminator that outputs logits; {config.adversary!r} does not (use standard)")
    shared = mutation_arguments(config, generator=generator, adversary=adversary, sample_latent=sample_latent)
    for name, registered in zip(config.mutations, mutation_labels(config.mutations)):
        loss, modifiers = _resolve_mutation(name, config, adversary=adversary, data=data)
        toolbox.register(f"mutate_{registered}", operators.mutate, loss=loss, modifiers=modifiers, **shared)

    if config.population_size == 1 and config.p_cross > 0:
        warnings.warn(
            "p_cross > 0 with population_size = 1: the on-the-fly crossover draws the donor from a "
            "population of one, so it never changes anything",
            UserWarning,
            stacklevel=2,
        )
    toolbox.register("mate", operators.on_the_fly_crossover, p_cross=config.p_cross)
    combine = fitness.FITNESSES.get(config.fitness, "fitness")
    scores_children = fitness.scored(combine)
    if not scores_children:
        _check_nothing_to_choose(config)
    toolbox.register("evaluate", fitness.evaluate, generator=generator, adversary=adversary, combine=combine,
                     gamma=config.gamma)
    select = operators.SELECTIONS.get(config.selection, "selection")
    toolbox.register("select", select, **selection_options(select, config))
    toolbox.register("stream", numpy_generator, config.seed)  # stream(*identity): a seeded numpy Generator
    if backend is not None:
        toolbox.register("map", backend.map)

    make_fakes = partial(sample_population, generator=generator, sample_latent=sample_latent, unit=config.pack)
    toolbox.register(
        "train_discriminator",
        train_discriminator,
        train=adversary.train,
        optimizer=getattr(adversary, "optimizer", None),
        lr=schedule_for(config, "d"),
        make_fakes=make_fakes,
        same_fakes=partial(fakes_of_the_update, generator=generator, sample_latent=sample_latent),
        sample_real=data.sample,
        steps=config.d_steps,
        batch_size=config.samples(),
        seed=config.seed,
    )
    if scores_children:
        toolbox.register(
            "judge", adversary.judge, sample_real=data.sample, sample_latent=sample_latent,
            batch_size=config.samples("eval_batch_size"), seed=config.seed,
        )
    else:  # nothing is scored: no evaluation batch, no gradient of D on it
        toolbox.register("judge", _no_judge)
    toolbox.register("diagnostics", adversary.diagnostics)
    lr_g = schedule_for(config, "g", always=bool(config.genes.lr_sigma))  # a member's factor scales a rate
    toolbox.register("vary", algorithms.vary, toolbox=toolbox, seed=config.seed, lr_g=lr_g,
                     lr_sigma=config.genes.lr_sigma, lr_bounds=(config.genes.lr_min, config.genes.lr_max))
    toolbox.register("breed", algorithms.breed, toolbox=toolbox)
    toolbox.register("adversarial_step", algorithms.STEPS[config.update])
    return toolbox
