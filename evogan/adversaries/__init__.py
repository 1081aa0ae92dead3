"""Discriminator families.

A family owns the discriminator and its optimizer and defines: its training
step, its raw output on samples (what generator losses consume), the quality
score of a batch of fakes, and the gradient norm of its loss behind the
diversity fitness. For parallel workers it also provides ``replica()`` (a
copy that can score but not train) and ``shared_state()`` /
``load_shared_state()`` (what a replica needs each generation).

The families: ``standard`` (E-GAN's, :mod:`.standard`), ``began_v3`` and
``began_cs`` (BEGAN-style autoencoder discriminators, :mod:`.began`), and the
island wrapper of Lipizzaner's neighbourhood coevolution (:mod:`.neighbourhood`).
A new family is a class registered on ``ADVERSARIES`` (:mod:`.base`) in a
module of its own, imported here once; no family imports another.
"""

from .base import ADVERSARIES, Judge, gradient_norm, pack, per_sample
from .standard import StandardAdversary
from .began import BeganCSAdversary, BoundaryEquilibriumAdversary, kl_to_standard_normal, reconstruction_error
from .neighbourhood import FITNESS_MODES, NeighbourhoodAdversary, NeighbourhoodJudge

__all__ = ["ADVERSARIES", "Judge", "gradient_norm", "pack", "per_sample", "StandardAdversary",
           "BoundaryEquilibriumAdversary", "BeganCSAdversary", "reconstruction_error", "kl_to_standard_normal",
           "NeighbourhoodAdversary", "NeighbourhoodJudge", "FITNESS_MODES"]
