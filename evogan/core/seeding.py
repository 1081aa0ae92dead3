"""Seeds derived from the run seed and an identity, never from execution order.

Every random draw of a run (a discriminator step, a child's noise, a crossover
decision, a fitness batch) gets its own generator seeded from
``derive_seed(run_seed, *identity)``. Results therefore do not depend on which
worker ran a piece of work, nor on whether another draw happened first: with
``p_cross = 0`` the crossover's coin flips touch no other stream, and a run on
another backend or resumed from a checkpoint replays the same numbers.
"""

from __future__ import annotations

import zlib

import numpy as np
import torch

__all__ = ["derive_seed", "torch_generator", "numpy_generator"]


def _word(part) -> int:
    if isinstance(part, str):
        return zlib.crc32(part.encode())
    return int(part)


def derive_seed(seed: int, *identity) -> int:
    """A 63-bit seed for the stream named by ``identity`` (ints and strings)."""
    seq = np.random.SeedSequence(entropy=int(seed), spawn_key=tuple(_word(p) for p in identity))
    return int(seq.generate_state(1, dtype=np.uint64)[0]) & ((1 << 63) - 1)


def torch_generator(seed: int, *identity, device="cpu") -> torch.Generator:
    return torch.Generator(device=device).manual_seed(derive_seed(seed, *identity))


def numpy_generator(seed: int, *identity) -> np.random.Generator:
    return np.random.default_rng(derive_seed(seed, *identity))
