"""A memory estimate before anything is allocated: impossible sizes become one clear error, not an allocator crash.

The networks are built on torch's ``meta`` device (shapes only, no storage)
and run once there with forward hooks, which gives their parameter counts
and the activations one sample makes. From those, the estimate of a run's
peak is

- the population: copies of G's parameters per parent and per child, and of
  D's per discriminator, as measured (below); with islands in this process,
  every island's parents, D and bookkeeping (one island's children at a time);
- training: one batch's activations through G and D, twice (the backward
  pass keeps them), for every child at once on the vectorised backend;
- evaluation: ``eval_batch_size`` the same way; the metric samples;
- the runtime: what torch allocates on first use, whatever the run.

The copy counts are measured, not derived: peak RSS growth of 2 generations
and an evaluation on CPU (``benchmarks/memory_estimate.py``), fitted over
populations of 16-64 and 1-64 in-process islands, one and three mutations.
Weights and Adam's two moments make 3 copies; a parent is held as about 6
(the population, the selection's and the hall of fame's references to
copies), a child about 4 (its gradients), a discriminator about 5. The
estimate stays within 1.5x of the measured peak at those sizes (the test
checks it); its purpose is to stop a ``batch_size = 1e12`` or
``islands.count = 4096`` before the first allocation, so a run is refused
only when the estimate exceeds what the machine has.
"""

from __future__ import annotations

import os
from math import prod

import torch
from torch.overrides import TorchFunctionMode

from .adversaries import pack
from .config import ConfigError
from .models import build_models

__all__ = ["estimate_bytes", "available_bytes", "check_memory"]

_FLOAT = 4  # bytes of a float32
#: copies of a network's parameters held per parent, per child and per discriminator (measured; module docstring)
PARENT_COPIES, CHILD_COPIES, D_COPIES = 6, 4, 5
#: bytes of an in-process island's own objects beyond its tensors (toolbox, modules, logbook; measured ~0.2 MB)
ISLAND_BYTES = 200 * 1024
#: what torch allocates on first use on CPU (kernels, allocator caches), whatever the run (measured 15-35 MB from run to run)
RUNTIME_BYTES = 25 * 1024 ** 2


class _CountOutputs(TorchFunctionMode):
    """Sums the elements of every tensor a torch function returns (the activations a forward pass makes)."""

    def __init__(self):
        super().__init__()
        self.elements = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if isinstance(out, torch.Tensor):
            self.elements += out.numel()
        return out


def _activations_per_sample(module: torch.nn.Module, inputs: torch.Tensor) -> float:
    """Elements the forward pass of ``module`` makes per input row (on meta tensors: shapes only)."""
    with _CountOutputs() as counter:
        module(inputs)
    return counter.elements / inputs.shape[0]


def estimate_bytes(config, data) -> dict[str, int]:
    """Peak bytes of a run, by part: ``population``, ``training``, ``evaluation``, ``metrics``, ``runtime``,
    ``total``."""
    rows = 2 * config.pack  # two packs: BatchNorm needs more than one row in training mode
    with torch.device("meta"):
        generator, discriminator = build_models(config, data)
        z = torch.empty(rows, config.latent_dim)
        fake = generator(z)
        g_acts = _activations_per_sample(generator, z)
        d_acts = _activations_per_sample(discriminator, pack(fake, config.pack)) / config.pack
    g_params = sum(p.numel() for p in generator.parameters())
    d_params = sum(p.numel() for p in discriminator.parameters())
    children = config.population_size * len(config.mutations)
    at_once = children if config.parallel.backend == "vectorized" else 1
    if config.parallel.backend == "vectorized" and config.parallel.population_chunk:
        at_once = min(at_once, config.parallel.population_chunk)
    per_sample = (g_acts + d_acts) * 2 * _FLOAT
    metric_samples = getattr(data, "metric_samples", None) or config.metrics.samples
    # islands in this process: every island's parents and D are held, one island's children at a time (an island
    # actor estimates its own island on its own machine)
    demes = config.islands.count if config.islands.backend == "inprocess" else 1
    parts = {
        "population": int((demes * config.population_size * PARENT_COPIES + children * CHILD_COPIES) * g_params * _FLOAT
                          + demes * d_params * D_COPIES * _FLOAT + (demes - 1) * ISLAND_BYTES),
        "training": int(config.samples() * per_sample * at_once),
        "evaluation": int(config.samples("eval_batch_size") * per_sample * at_once),
        "metrics": int(metric_samples * prod(fake.shape[1:]) * _FLOAT),
        "runtime": RUNTIME_BYTES,
    }
    parts["total"] = sum(parts.values())
    return parts


def available_bytes(device: torch.device) -> int:
    """Memory this run can use: free GPU memory on CUDA, else the RAM the kernel reports available."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    try:
        with open("/proc/meminfo") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")


def check_memory(config, data, device: torch.device) -> None:
    """ConfigError (one line, the estimate and what the machine has) when the run cannot fit in memory."""
    try:
        parts = estimate_bytes(config, data)
    except ConfigError:
        raise
    except Exception:  # noqa: BLE001 -- a user's network that cannot run on the meta device: no estimate, no check
        return
    have = available_bytes(device)
    if parts["total"] > have:
        biggest = max((k for k in parts if k != "total"), key=parts.get)
        hints = {"population": "population_size, model sizes", "training": "batch_size, model sizes",
                 "evaluation": "eval_batch_size, model sizes", "metrics": "metrics.samples",
                 "runtime": "nothing: torch itself"}
        raise ConfigError(f"this run needs about {_human(parts['total'])} of memory, most of it for {biggest} "
                          f"({_human(parts[biggest])}: {hints[biggest]}); {device.type} has {_human(have)} available")


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if n < 1024 or unit == "PB":
            return f"{n:.0f} {unit}" if unit in ("B", "KB") else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PB"
