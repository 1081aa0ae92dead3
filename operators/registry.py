"""The operator registries. Users add their own with ``LOSSES.register(name, fn)``."""

from evogan.registry import Registry

__all__ = ["LOSSES", "SELECTIONS", "LATENTS"]

#: generator-loss mutations: name → fn(d_fake) -> scalar tensor
LOSSES = Registry("loss mutation")
#: survivor selection: name → fn(individuals, k) -> list
SELECTIONS = Registry("selection")
#: latent priors: name → fn(n, generator, *, dim, device) -> tensor
LATENTS = Registry("latent distribution")
