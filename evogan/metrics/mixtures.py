"""Sample metrics of the 2-D mixture benchmarks (PacGAN protocol).

On N samples (2,500 by default) and K mode centres with standard deviation
sigma: a sample is *high quality* when its distance to the nearest centre is
below 3 sigma; a mode is *covered* when at least one high-quality sample is
nearest to it; ``high_quality`` is the percentage of high-quality samples;
``reverse_kl`` is KL(p_gen || uniform) of the histogram of high-quality
samples over the modes, sum_k p_k log(K p_k), with 0 log 0 = 0. It is 0 for a
perfectly even spread and log K when everything sits on one mode; with no
high-quality sample at all it is reported as log K, the value of total
collapse.
"""

from __future__ import annotations

import math

import torch

__all__ = ["mixture_metrics"]


def mixture_metrics(samples: torch.Tensor, centres: torch.Tensor, std: float, threshold: float = 3.0) -> dict:
    samples = samples.detach().to("cpu", torch.float64)
    centres = centres.detach().to("cpu", torch.float64)
    n, k = samples.shape[0], centres.shape[0]
    dist = torch.cdist(samples, centres)
    nearest_dist, nearest = dist.min(dim=1)
    finite = torch.isfinite(samples).all(dim=1)
    good = finite & (nearest_dist / std < threshold)
    counts = torch.bincount(nearest[good], minlength=k).to(torch.float64)
    n_good = int(good.sum())
    if n_good:
        p = counts / n_good
        nz = p > 0
        reverse_kl = float((p[nz] * torch.log(p[nz] * k)).sum())
    else:
        reverse_kl = math.log(k)
    return {
        "modes_covered": int((counts > 0).sum()),
        "n_modes": k,
        "high_quality": 100.0 * n_good / n,
        "reverse_kl": reverse_kl,
        "n_samples": n,
    }
