"""Sample metrics of the Gaussian-mixture benchmarks (PacGAN protocol, generalised).

On N samples (2,500 by default) and K mode centres with standard deviation
sigma: a sample is *high quality* when its distance to the nearest centre is
below 3 sigma; a mode is *covered* when at least one high-quality sample is
nearest to it; ``high_quality`` is the percentage of high-quality samples;
``reverse_kl`` is KL(p_gen || p_data) of the histogram of high-quality
samples over the modes, sum_k p_k log(p_k / w_k) with the data's mode weights
w_k (1/K for PacGAN's equal-weight mixtures: sum_k p_k log(K p_k)), with
0 log 0 = 0. It is 0 for a spread that matches the data's and log K when
everything sits on one mode of an equal mixture; with no high-quality sample
at all it is reported as log K, the value of total collapse (PacGAN's code
gives NaN there).

Beyond PacGAN's isotropic 2-D mixtures: with a standard deviation per mode
and axis, distances are measured in those units (the nearest mode is the one
nearest in them); in D dimensions the high-quality radius is the one holding
the mass that PacGAN's 3-sigma disc holds in 2-D (1 - exp(-4.5) = 98.9 % of a
mode's samples; 4.79 sigma in 10-D), so a perfect generator scores the same
in any dimension.

Two diagnostics explain a low ``high_quality``: ``gap_mass``, the percentage
of samples more than 10 sigma from every centre (mass between the modes),
and the near-mode spread of the samples within 10 sigma of their nearest
centre, the root-mean-square offset in units of sigma along the radial
direction (from the centres' mean to the mode) and the tangential one
(``spread_radial``, ``spread_tangential``; 2-D only): a perfect sample scores
1.0 in each, a spread of 3 puts much of the mode outside the 3-sigma disc.
"""

from __future__ import annotations

import math

import torch

__all__ = ["mixture_metrics", "high_quality_radius"]

#: the share of a mode's samples inside PacGAN's 3-sigma disc in 2-D
PACGAN_MASS = 1.0 - math.exp(-4.5)


def high_quality_radius(dim: int) -> float:
    """Radius, in sigma, of the ball holding PACGAN_MASS of a standard normal in ``dim`` dimensions (3 in 2-D)."""
    if dim == 2:
        return 3.0  # PacGAN's own threshold, exactly
    lo, hi = 0.0, 10.0 + 2.0 * math.sqrt(dim)
    shape = torch.tensor(dim / 2.0, dtype=torch.float64)
    for _ in range(60):  # bisection on the chi-square CDF, regularised lower incomplete gamma
        mid = (lo + hi) / 2.0
        if float(torch.special.gammainc(shape, torch.tensor(mid * mid / 2.0, dtype=torch.float64))) < PACGAN_MASS:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0


def _directions(centres: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit radial (from the centres' mean outward) and tangential vectors of each 2-D centre."""
    outward = centres - centres.mean(0)
    norm = outward.norm(dim=1, keepdim=True)
    # a mode at the centres' mean (the grid's middle one) has no outward direction: take the x axis
    radial = torch.where(norm > 1e-9, outward / norm.clamp_min(1e-12), torch.tensor([1.0, 0.0], dtype=centres.dtype))
    return radial, torch.stack([-radial[:, 1], radial[:, 0]], dim=1)


def _scaled_distances(samples: torch.Tensor, centres: torch.Tensor, std) -> torch.Tensor:
    """(N, K) distances in units of sigma: one sigma for all (PacGAN's case, computed as PacGAN does) or per mode/axis."""
    if not torch.is_tensor(std) or std.dim() == 0:
        return torch.cdist(samples, centres) / float(std)
    return ((samples[:, None, :] - centres[None]) / std[None]).norm(dim=2)


def mixture_metrics(samples: torch.Tensor, centres: torch.Tensor, std, threshold: float | None = None,
                    gap: float = 10.0, weights: torch.Tensor | None = None) -> dict:
    """The PacGAN metrics of ``samples`` against K ``centres``: ``std`` one sigma for all or (K, D) per mode and axis;
    ``weights`` the modes' true weights (None: equal); ``threshold`` in sigma (None: ``high_quality_radius(D)``)."""
    samples = samples.detach().to("cpu", torch.float64)
    centres = centres.detach().to("cpu", torch.float64)
    if torch.is_tensor(std):
        std = std.detach().to("cpu", torch.float64)
    n, k = samples.shape[0], centres.shape[0]
    threshold = high_quality_radius(centres.shape[1]) if threshold is None else threshold
    nearest_dist, nearest = _scaled_distances(samples, centres, std).min(dim=1)
    finite = torch.isfinite(samples).all(dim=1)
    good = finite & (nearest_dist < threshold)
    counts = torch.bincount(nearest[good], minlength=k).to(torch.float64)
    n_good = int(good.sum())
    if n_good:
        p = counts / n_good
        nz = p > 0
        if weights is None:
            reverse_kl = float((p[nz] * torch.log(p[nz] * k)).sum())
        else:
            w = weights.detach().to("cpu", torch.float64)
            reverse_kl = float((p[nz] * torch.log(p[nz] / (w[nz] / w.sum()))).sum())
    else:
        reverse_kl = math.log(k)
    near = finite & (nearest_dist < gap)
    spread_radial = spread_tangential = None  # undefined: no sample near any mode
    if centres.shape[1] == 2 and bool(near.any()):
        radial, tangential = _directions(centres)
        offsets = samples[near] - centres[nearest[near]]
        scale = std[nearest[near]] if torch.is_tensor(std) and std.dim() else float(std)
        offsets = offsets / scale
        spread_radial = float((offsets * radial[nearest[near]]).sum(1).pow(2).mean().sqrt())
        spread_tangential = float((offsets * tangential[nearest[near]]).sum(1).pow(2).mean().sqrt())
    return {
        "modes_covered": int((counts > 0).sum()),
        "n_modes": k,
        "high_quality": 100.0 * n_good / n,
        "reverse_kl": reverse_kl,
        "n_samples": n,
        "gap_mass": 100.0 * float((~near).sum()) / n,
        "spread_radial": spread_radial,
        "spread_tangential": spread_tangential,
        "mode_counts": [int(c) for c in counts],  # high-quality samples nearest each mode (modes.png)
    }
