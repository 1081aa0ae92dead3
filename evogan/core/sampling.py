"""Drawing samples from individuals and from a whole population.

An individual's weights include the generator's buffers (BatchNorm running
averages). They are a full state dict, so tied weights appear under every
name and ``functional_call`` needs no untying (``tie_weights=False`` saves
about a fifth of its cost). Nothing here modifies them: in training mode BatchNorm would
update its running averages in place, so it gets fresh copies, and only a
mutation keeps the updated copies, as the child's own (``generate_training``).
"""

from __future__ import annotations

from typing import Callable, Sequence

import weakref

import torch
from torch.func import functional_call

__all__ = ["run_with", "set_mode", "generate", "generate_training", "fresh_buffers", "sample_population", "member_shares",
           "split_evenly"]


_BUFFER_NAMES: "weakref.WeakKeyDictionary[torch.nn.Module, tuple]" = weakref.WeakKeyDictionary()


def _buffer_names(generator: torch.nn.Module) -> tuple:
    """The architecture's buffer names, looked up once (walking the module tree on every call costs ~5 %)."""
    if generator not in _BUFFER_NAMES:
        _BUFFER_NAMES[generator] = tuple(name for name, _ in generator.named_buffers())
    return _BUFFER_NAMES[generator]


def set_mode(generator: torch.nn.Module, training: bool) -> None:
    if generator.training != training:  # Module.train walks every submodule; skip it when nothing changes
        generator.train(training)


def run_with(module: torch.nn.Module, weights: dict, x: torch.Tensor) -> torch.Tensor:
    """``module(x)`` with ``weights`` (a full state dict) in place of its own: the module's ``forward_with`` when it
    has one (``evogan.models.MLP``: no parameter swap), else ``functional_call``. Works under ``vmap``."""
    forward_with = getattr(module, "forward_with", None)
    if forward_with is not None:
        return forward_with(weights, x)
    return functional_call(module, weights, (x,), tie_weights=False)


def fresh_buffers(generator: torch.nn.Module, weights: dict) -> dict:
    """Copies of the buffers (BatchNorm running averages) held in ``weights``."""
    return {name: weights[name].clone() for name in _buffer_names(generator) if name in weights}


def generate(generator: torch.nn.Module, weights: dict, z: torch.Tensor, *, running_stats: bool = False) -> torch.Tensor:
    """G(z) with ``weights`` (an individual) swapped into the architecture ``generator``.

    BatchNorm layers normalise with the batch's own statistics, as in
    training, or with ``running_stats=True`` with the individual's running
    averages (evaluation mode, so that G(z) depends on z alone).
    """
    set_mode(generator, not running_stats)
    if not running_stats:
        weights = {**weights, **fresh_buffers(generator, weights)}
    return run_with(generator, weights, z)


def generate_training(generator: torch.nn.Module, weights: dict, z: torch.Tensor) -> tuple[torch.Tensor, dict]:
    """G(z) in training mode and the running averages it updated (copies; ``weights`` is untouched)."""
    buffers = fresh_buffers(generator, weights)
    set_mode(generator, True)
    return run_with(generator, {**weights, **buffers}, z), buffers


def split_evenly(n: int, parts: int) -> list[int]:
    """Sizes of ``parts`` shares of ``n`` that differ by at most one (the first ones larger)."""
    return [n // parts + (i < n % parts) for i in range(parts)]


def member_shares(n: int, members: int, unit: int = 1) -> list[int]:
    """How many of ``n`` samples each of ``members`` generators gives (sample_population's order, 0 for a member
    left out): shares of whole ``unit``s (packs) that differ by at most one unit."""
    if n % unit:
        raise ValueError(f"{n} samples are not whole packs of {unit}")
    return [unit * k for k in split_evenly(n // unit, members)]


def sample_population(
    members: Sequence[dict],
    n: int,
    rng: torch.Generator,
    *,
    generator: torch.nn.Module,
    sample_latent: Callable[[int, torch.Generator], torch.Tensor],
    running_stats: bool = False,
    chunk: int = 4096,
    with_latents: bool = False,
    unit: int = 1,
):
    """n samples drawn evenly from the members (E-GAN's fakes for D: m / mu per parent), in whole ``unit``s of
    consecutive samples of one member (PacGAN's packs: a pack never mixes two generators).

    Large requests are generated ``chunk`` latent vectors at a time to bound memory.
    With ``with_latents``, returns (samples, the latents they came from).
    """
    out, latents = [], []
    for member, k in zip(members, member_shares(n, len(members), unit)):
        if not k:
            continue
        z = sample_latent(k, rng)
        latents.append(z)
        out += [generate(generator, member, part, running_stats=running_stats) for part in z.split(chunk)]
    return (torch.cat(out), torch.cat(latents)) if with_latents else torch.cat(out)
