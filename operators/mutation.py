"""The loss mutation: a child is its parent after k Adam steps on a generator loss."""

from __future__ import annotations

from typing import Callable, Sequence

import torch

from evogan.core.adam import adam_step
from evogan.core.individual import Individual
from evogan.core.sampling import generate_training

__all__ = ["mutate"]


def _refuse(loss, value) -> None:
    from evogan.errors import OperatorContractError

    got = (f"a tensor of shape {tuple(value.shape)}" + ("" if value.requires_grad else " that does not depend on D's "
           "outputs (no gradient)") if isinstance(value, torch.Tensor) else f"a {type(value).__name__}")
    raise OperatorContractError(
        f"loss {getattr(loss, '__name__', loss)!r} returned {got}; a generator loss maps D's outputs on the fakes "
        "(a tensor of shape (n,)) to a scalar tensor that depends on them, e.g. F.softplus(-logits).mean()")


def mutate(
    parent: Individual,
    donor: Individual | None = None,
    *,
    loss: Callable[[torch.Tensor], torch.Tensor],
    generator: torch.nn.Module,
    discriminate: Callable[[torch.Tensor], torch.Tensor],
    sample_latent: Callable[[int, torch.Generator], torch.Tensor],
    batch_size: int,
    lr: float,
    betas: tuple[float, float],
    steps: int = 1,
    seed: int = 0,
    modifiers: Sequence[Callable[..., torch.Tensor]] = (),
) -> Individual:
    """Make a child by ``steps`` Adam steps on ``loss(D(G(z))) + sum(m(G(z), rng=rng) for m in modifiers)``.

    The child continues ``parent``'s Adam state. Without a ``donor`` it starts
    from the parent's weights (E-GAN). With a donor g' (on-the-fly crossover,
    ``operators.crossover``) the fakes of the update are made by g', the
    backward pass runs through g', and the step is taken with the parent's
    Adam moments, so the child holds g''s weights after one step with g's
    optimizer state: the same single forward and backward pass as without.
    BatchNorm running averages are copied before the step, so the child gets
    updated statistics of its own and the parent's stay as they were.

    Returns a new individual with an empty fitness; ``scores["loss"]`` holds the
    loss of the last step (NaN or inf marks a broken child). Nothing of
    ``parent`` or ``donor`` is modified.
    """
    source = parent if donor is None else donor
    rng = torch.Generator(device=next(iter(source.values())).device).manual_seed(seed)
    weights, adam = dict(source), parent.adam
    trainable = list(adam["exp_avg"])
    value = torch.tensor(float("nan"))
    for _ in range(steps):
        leaves = {name: weights[name].detach().requires_grad_(True) for name in trainable}
        fake, buffers = generate_training(generator, {**weights, **leaves}, sample_latent(batch_size, rng))
        value = loss(discriminate(fake))
        if not (isinstance(value, torch.Tensor) and value.dim() == 0 and value.requires_grad):
            _refuse(loss, value)
        for modifier in modifiers:  # e.g. EM-GAN's -lambda * H(fakes); rng: a modifier's own draws (real batches)
            value = value + modifier(fake, rng=rng)
        grads = torch.autograd.grad(value, list(leaves.values()))
        with torch.no_grad():
            new, adam = adam_step(
                {name: weights[name] for name in trainable}, dict(zip(trainable, grads)), adam, lr=lr, betas=betas
            )
        weights.update(new)
        weights.update(buffers)  # the child's own BatchNorm running averages, updated by this step
    child = Individual(weights, adam=adam)
    child.scores["loss"] = float(value.detach())
    return child
