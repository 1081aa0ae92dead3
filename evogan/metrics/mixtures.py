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

Two diagnostics explain a low ``high_quality``: ``gap_mass``, the percentage
of samples more than 10 sigma from every centre (mass between the modes),
and the near-mode spread of the samples within 10 sigma of their nearest
centre, the root-mean-square offset in units of sigma along the radial
direction (from the centres' mean to the mode) and the tangential one
(``spread_radial``, ``spread_tangential``): a perfect sample scores 1.0 in
each, a spread of 3 puts much of the mode outside the 3-sigma disc.
"""

from __future__ import annotations

import math

import torch

__all__ = ["mixture_metrics"]


def _directions(centres: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit radial (from the centres' mean outward) and tangential vectors of each 2-D centre."""
    outward = centres - centres.mean(0)
    norm = outward.norm(dim=1, keepdim=True)
    # a mode at the centres' mean (the grid's middle one) has no outward direction: take the x axis
    radial = torch.where(norm > 1e-9, outward / norm.clamp_min(1e-12), torch.tensor([1.0, 0.0], dtype=centres.dtype))
    return radial, torch.stack([-radial[:, 1], radial[:, 0]], dim=1)


def mixture_metrics(samples: torch.Tensor, centres: torch.Tensor, std: float, threshold: float = 3.0,
                    gap: float = 10.0) -> dict:
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
    near = finite & (nearest_dist / std < gap)
    spread_radial = spread_tangential = None  # undefined: no sample near any mode
    if centres.shape[1] == 2 and bool(near.any()):
        radial, tangential = _directions(centres)
        offsets = samples[near] - centres[nearest[near]]
        spread_radial = float((offsets * radial[nearest[near]]).sum(1).pow(2).mean().sqrt()) / std
        spread_tangential = float((offsets * tangential[nearest[near]]).sum(1).pow(2).mean().sqrt()) / std
    return {
        "modes_covered": int((counts > 0).sum()),
        "n_modes": k,
        "high_quality": 100.0 * n_good / n,
        "reverse_kl": reverse_kl,
        "n_samples": n,
        "gap_mass": 100.0 * float((~near).sum()) / n,
        "spread_radial": spread_radial,
        "spread_tangential": spread_tangential,
    }
