"""The operator registries. Users add their own with ``LOSSES.register(name, fn)``."""

from evogan.core.registry import Registry

__all__ = ["LOSSES", "MODIFIERS", "SELECTIONS", "LATENTS"]

#: generator-loss mutations: name → fn(d_fake) -> scalar tensor
LOSSES = Registry("loss mutation")
#: loss modifiers, appended to a loss name with "+" (``heuristic+entropy``):
#: name → fn(fake, *, rng, adversary, data, config) -> scalar tensor added to the base loss;
#: a ``data_kind`` attribute ("image") restricts it to that kind of data
MODIFIERS = Registry("loss modifier")
#: survivor selection: name → fn(individuals, k) -> list
SELECTIONS = Registry("selection")
#: latent priors: name → fn(n, generator, *, dim) -> tensor on generator.device
LATENTS = Registry("latent distribution")
