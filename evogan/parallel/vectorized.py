"""The vectorised backend: all children of a generation trained and evaluated as one stacked population.

The children's generator weights are stacked along a leading population
dimension; one ``torch.func.vmap`` of ``functional_call`` makes every child's
fakes in one batched forward pass, one backward pass of the sum of the
children's losses gives each child the gradient of its own loss (the children
are independent), and one Adam step on the stacked tensors is exactly one
Adam step per child, since Adam is elementwise. The discriminator sees all
fakes in one call. For the standard family, F_d's per-child gradient norms
come from ``vmap`` over ``torch.func.grad``; other families are scored child
by child.

What stays per child: the random stream of its recipe (its latents and any
draw of its modifiers), its loss function and modifiers (applied to its own
slice), its Adam state and lineage. Results equal the in-process backend's up
to float rounding (batched matrix products sum in another order; the tests
use a relative tolerance of 1e-5).

BatchNorm in the generator: every child's running averages are stacked
(copies) along the population dimension, so train-mode BatchNorm normalises
each child's batch with its own statistics and updates its own averages in
place, as ``operators.mutate`` does; the evaluation works on throwaway copies.
Refused with a clear error at ``start``: generators that cannot run under
``vmap`` (a probe on two stacked copies names the failure).
Falls back to the in-process path, child by child, for a user's own
``breed`` or mutations that are not ``operators.mutate`` partials.
"""

from __future__ import annotations

import math
import weakref
from functools import partial

import torch
from torch.func import grad, vmap

from ..core.adam import adam_step_
from ..core.algorithms import breed as default_breed
from ..config import ConfigError
from ..core.individual import Individual
from ..models.activations import EntropyAdjustedLeakyReLU, EntropySensitiveActivation
from ..models.mlp import PacGANBatchNorm
from ..core.sampling import set_mode, run_with
from .registry import BACKENDS

__all__ = ["VectorizedBackend"]


def _stack(dicts: list[dict]) -> dict:
    return {name: torch.stack([d[name] for d in dicts]) for name in dicts[0]}


def _mutate_keywords(op):
    """The keywords of an ``operators.mutate`` partial that carries everything a batched update needs, else None."""
    from operators import mutate

    required = {"loss", "generator", "discriminate", "sample_latent", "batch_size", "lr", "betas"}
    if isinstance(op, partial) and op.func is mutate and not op.args and required <= set(op.keywords):
        return op.keywords
    return None


_BATCH_COUPLED = (torch.nn.modules.batchnorm._BatchNorm, PacGANBatchNorm, EntropyAdjustedLeakyReLU,
                  EntropySensitiveActivation)
_COUPLING: "weakref.WeakKeyDictionary[torch.nn.Module, bool]" = weakref.WeakKeyDictionary()


def _sees_whole_batch(network: torch.nn.Module) -> bool:
    """Whether a layer of ``network`` mixes the samples of a batch (BatchNorm, EM-GAN's activations); looked up once."""
    if network not in _COUPLING:
        _COUPLING[network] = any(isinstance(m, _BATCH_COUPLED) for m in network.modules())
    return _COUPLING[network]


def _probe(generator: torch.nn.Module, sample_latent) -> None:
    """Run the generator on two stacked copies of its weights under vmap; a ConfigError names what fails."""
    state = {**dict(generator.named_parameters()), **dict(generator.named_buffers())}
    stacked = {n: torch.stack([t.detach(), t.detach()]) for n, t in state.items()}
    rng = torch.Generator(device=next(iter(state.values())).device)
    z = torch.stack([sample_latent(2, rng), sample_latent(2, rng)])
    try:
        with torch.no_grad():
            set_mode(generator, True)
            vmap(partial(run_with, generator))(stacked, z)
    except (RuntimeError, ValueError, TypeError) as error:
        raise ConfigError(
            f"parallel.backend = 'vectorized': the generator ({type(generator).__name__}) cannot run under "
            f"torch.func.vmap: {error}; use parallel.backend = 'inprocess'"
        ) from error


@BACKENDS.register("vectorized")
class VectorizedBackend:
    """Trains and evaluates a generation's children as one stacked population, in this process."""

    def __init__(self, config=None):
        self.kit = None
        self.chunk = config.parallel.population_chunk if config is not None else 0

    def start(self, kit, engine_breed=None) -> None:
        self.kit, self.engine_breed = kit, engine_breed
        # the keywords of every mutate_<name> that is an operators.mutate partial; others run child by child
        self.mutations = {name[len("mutate_"):]: kw for name, op in kit.operators.items()
                          if name.startswith("mutate_") and (kw := _mutate_keywords(op)) is not None}
        if self.mutations:
            _probe(kit.generator, next(iter(self.mutations.values()))["sample_latent"])

    def map(self, fn, items):
        items = list(items)
        vectorisable = (
            self.kit is not None and isinstance(fn, partial) and fn.func is self.engine_breed
            and self.kit.breed is default_breed and "judge" in fn.keywords
        )
        if not vectorisable:
            return [fn(item) for item in items]
        judge = fn.keywords["judge"]
        batched = [r for r in items if self._mutation(r.mutation) is not None]
        children = dict(zip(map(id, batched), self._breed_all(batched, judge))) if batched else {}
        # anything else (a user's own mutate_<name>) child by child, in order
        return [children[id(r)] if id(r) in children else fn(r) for r in items]

    def close(self) -> None:
        self.kit = None

    # ------------------------------------------------------------------------------------------
    def _mutation(self, name: str):
        return self.mutations.get(name)

    def _breed_all(self, recipes, judge) -> list:
        groups = {}  # children sharing the update's settings and Adam step train together
        for recipe in recipes:
            kw = self._mutation(recipe.mutation)
            key = (kw["batch_size"], recipe.lr if recipe.lr is not None else kw["lr"], kw["betas"], kw.get("steps", 1), recipe.parent.adam["step"],
                   id(kw["generator"]), id(kw["discriminate"]), id(kw["sample_latent"]))
            groups.setdefault(key, []).append(recipe)
        children = {}
        for group in groups.values():
            for part in self._chunks(group):
                for recipe, child in zip(part, self._train(part)):
                    children[id(recipe)] = child
        ordered = [children[id(r)] for r in recipes]
        for part in self._chunks(ordered):
            self._evaluate(part, judge)
        return ordered

    def _chunks(self, items: list) -> list[list]:
        """``parallel.population_chunk`` children at a time (all when 0): bounds the memory of big models."""
        size = self.chunk or len(items)
        return [items[i:i + size] for i in range(0, len(items), size)]

    def _train(self, recipes) -> list:
        """``operators.mutate`` for every recipe at once (same batch size, lr, betas, steps and Adam step)."""
        first = self._mutation(recipes[0].mutation)
        generator, discriminate, sample_latent = first["generator"], first["discriminate"], first["sample_latent"]
        batch, steps = first["batch_size"], first.get("steps", 1)
        lr = recipes[0].lr if recipes[0].lr is not None else first["lr"]
        sources = [r.parent if r.donor is None else r.donor for r in recipes]
        trainable = list(recipes[0].parent.adam["exp_avg"])
        # fresh copies of everything: train-mode BatchNorm updates the stacked running averages in place, per child
        stacked = _stack([dict(s) for s in sources])
        weights = {n: stacked[n] for n in trainable}
        fixed = {n: t for n, t in stacked.items() if n not in weights}  # buffers (and any frozen parameters)
        adam = {"step": recipes[0].parent.adam["step"],
                "exp_avg": _stack([r.parent.adam["exp_avg"] for r in recipes]),
                "exp_avg_sq": _stack([r.parent.adam["exp_avg_sq"] for r in recipes])}
        rngs = [torch.Generator(device=next(iter(s.values())).device).manual_seed(r.seed) for r, s in zip(recipes, sources)]
        settings = [self._mutation(r.mutation) for r in recipes]
        forward = vmap(partial(run_with, generator))
        set_mode(generator, True)
        values = [math.nan] * len(recipes)
        for _ in range(steps):
            leaves = {n: w.detach().requires_grad_(True) for n, w in weights.items()}
            z = torch.stack([sample_latent(batch, rng) for rng in rngs])
            fakes = forward({**leaves, **fixed}, z)
            outputs = self._discriminate_all(discriminate, fakes)
            losses = []
            for i, kw in enumerate(settings):
                value = kw["loss"](outputs[i])
                for modifier in kw.get("modifiers", ()):
                    value = value + modifier(fakes[i], rng=rngs[i])
                losses.append(value)
            grads = torch.autograd.grad(torch.stack(losses).sum(), list(leaves.values()))
            with torch.no_grad():  # in place: the stacked tensors are this call's own copies
                adam_step_(weights, dict(zip(leaves, grads)), adam, lr=lr, betas=first["betas"])
            values = [float(v.detach()) for v in losses]
        children = []
        for i, recipe in enumerate(recipes):
            state = {"step": adam["step"], "exp_avg": {n: adam["exp_avg"][n][i] for n in trainable},
                     "exp_avg_sq": {n: adam["exp_avg_sq"][n][i] for n in trainable}}
            child = Individual({n: stacked[n][i] for n in stacked}, adam=state, lineage=dict(recipe.lineage))
            child.scores["loss"] = values[i]
            if not math.isfinite(values[i]):
                child.lineage["discarded"] = f"loss is {values[i]}"
            children.append(child)
        return children

    def _evaluate(self, children, judge) -> None:
        """``fitness.evaluate`` for every valid child at once: one batched G pass, per-child D gradient norms."""
        from fitness import diversity, scored

        live = [c for c in children if "discarded" not in c.lineage]
        if not live:
            return
        evaluate = self.kit.operators["evaluate"]
        kw = evaluate.keywords
        generator, adversary, combine, gamma = kw["generator"], kw["adversary"], kw["combine"], kw["gamma"]
        if not scored(combine):  # fitness "none": nothing to batch; evaluate() records the unscored child
            for child in live:
                child.fitness.values = evaluate(child, judge)
            return
        with torch.no_grad():  # stacked copies: BatchNorm's running averages change in them, not in the children
            set_mode(generator, True)
            fakes = vmap(partial(run_with, generator), in_dims=(0, None))(_stack([dict(c) for c in live]), judge.z)
        scores = self._scores(adversary, fakes, judge)
        for child, (f_q, grad_norm) in zip(live, scores):
            f_d = diversity(grad_norm)
            child.scores.update(f_q=f_q, f_d=f_d)
            values = combine(f_q, f_d, gamma)
            if all(math.isfinite(v) for v in values):
                child.fitness.values = values
            else:
                child.lineage["discarded"] = f"fitness is {values}"

    @staticmethod
    def _discriminate_all(discriminate, fakes):
        """D on every child's fakes: one call on all of them, or vmapped over children when D's layers see the
        whole batch (BatchNorm, EALReLU), so that each child's batch is normalised on its own."""
        network = getattr(discriminate, "discriminator", None)
        if network is None:
            return torch.stack([discriminate(f) for f in fakes])
        if _sees_whole_batch(network):
            return vmap(discriminate)(fakes)
        return discriminate(fakes.flatten(0, 1)).unflatten(0, (fakes.shape[0], -1))  # packs never cross children

    @staticmethod
    def _scores(adversary, fakes, judge) -> list[tuple[float, float]]:
        from ..adversaries import StandardAdversary, pack

        if type(adversary) is not StandardAdversary:  # other families: their own score, child by child
            return [adversary.score(fake, judge) for fake in fakes]
        network = adversary.discriminator
        params = {n: p.detach() for n, p in network.named_parameters() if p.requires_grad}

        def fake_term(p, fake):  # the fake half of L_D, and the logits for F_q from the same forward pass
            logits = run_with(network, p, pack(fake, adversary.pack)).squeeze(-1)
            return torch.nn.functional.softplus(logits).mean(), logits.detach()

        per_child, logits = vmap(grad(fake_term, has_aux=True), in_dims=(None, 0))(params, fakes)
        names = [n for n, p in network.named_parameters() if p.requires_grad]
        squares = sum(((real.unsqueeze(0) + per_child[n]) ** 2).flatten(1).sum(1) for n, real in zip(names, judge.real_grads))
        quality = torch.sigmoid(logits).mean(1)
        return [(float(q), float(s.sqrt())) for q, s in zip(quality, squares)]
