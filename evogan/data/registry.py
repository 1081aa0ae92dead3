"""The dataset registry: name → factory(config, device) returning a dataset object.

A dataset object has ``kind`` ("points" or "image"), ``sample(n, generator)``
(a batch of real data on its device) and ``metrics(samples)``; image datasets
also have ``shape`` (C, H, W) and ``metric_samples`` (how many generated
samples their metrics want).
"""

from ..core.registry import Registry

__all__ = ["DATASETS"]

#: datasets: name → factory(config, device)
DATASETS = Registry("dataset")
