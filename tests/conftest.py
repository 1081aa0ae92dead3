"""Shared fixtures: tiny networks with hand-set weights, and small seeded configs."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from evogan import Config
from evogan.adam import adam_init
from evogan.individual import Individual

torch.set_num_threads(1)


class Affine1D(nn.Module):
    """G(z) = a * z + c on scalars (z of shape (n, 1))."""

    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.tensor(0.0))
        self.c = nn.Parameter(torch.tensor(0.0))

    def forward(self, z):
        return self.a * z + self.c


class LinearD(nn.Module):
    """D's logit l = w * x + b on scalars; returns shape (n, 1) like the real discriminators."""

    def __init__(self, w=1.5, b=-0.5):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(float(w)))
        self.b = nn.Parameter(torch.tensor(float(b)))

    def forward(self, x):
        return self.w * x + self.b


def affine_individual(a: float, c: float, ident: str = "g0.i0") -> Individual:
    weights = {"a": torch.tensor(float(a)), "c": torch.tensor(float(c))}
    return Individual(weights, adam=adam_init(weights), lineage={"id": ident, "operator": "init", "parents": []})


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@pytest.fixture
def small_config():
    """A ring run small enough for loop tests (a fraction of a second per generation)."""
    return Config(
        generations=6, population_size=2, batch_size=32, eval_batch_size=64,
        model={"hidden": 16, "g_layers": 2, "d_layers": 2}, log={"progress": False, "plots": False},
        metrics={"every": 3, "samples": 500},
    )


@pytest.fixture(scope="session")
def ray_session():
    """One real local Ray for the whole test session: 2 CPUs, no GPU, a small object store, no dashboard."""
    import ray

    ray.init(num_cpus=2, num_gpus=0, include_dashboard=False, object_store_memory=100 * 1024 * 1024,
             logging_level="ERROR")
    yield ray
    ray.shutdown()


def stable_logbook(logbook) -> list[dict]:
    """A logbook's rows and chapters without the timings, for comparing two runs."""
    rows = [{k: v for k, v in row.items() if k != "seconds"} for row in logbook]
    chapters = {name: [{k: v for k, v in row.items() if k != "seconds"} for row in book]
                for name, book in logbook.chapters.items()}
    return rows + [chapters]
