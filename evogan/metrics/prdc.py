"""Precision and recall (Kynkäänniemi et al., 2019) and density and coverage (Naeem et al., 2020): k-NN manifold
metrics in a feature space, which tell quality (precision, density) apart from coverage (recall, coverage).

Each sample's neighbourhood is the ball reaching its k-th nearest neighbour within its own set (itself excluded).
precision: share of fake samples inside some real ball; recall: share of real samples inside some fake ball;
density: fake samples inside real balls, counted with multiplicity, over k x (fake samples); coverage: share of real
balls that hold at least one fake sample.
"""

from __future__ import annotations

import torch

__all__ = ["precision_recall_density_coverage"]

_CHUNK = 1024  # rows of the distance matrix at a time: 1024 x 10,000 float64 is 80 MB


def _pairwise(a: torch.Tensor, b: torch.Tensor):
    for start in range(0, len(a), _CHUNK):
        yield start, torch.cdist(a[start:start + _CHUNK], b)


def _kth_neighbour_radii(points: torch.Tensor, k: int) -> torch.Tensor:
    """Distance of every point to its k-th nearest neighbour in ``points`` (the point itself, at 0, not counted)."""
    return torch.cat([torch.kthvalue(d, k + 1, dim=1).values for _, d in _pairwise(points, points)])


def precision_recall_density_coverage(real, fake, k: int = 5) -> dict:
    """The four metrics of ``fake`` against ``real`` features (arrays or tensors of shape (n, d)), in float64."""
    real = torch.as_tensor(real, dtype=torch.float64)
    fake = torch.as_tensor(fake, dtype=torch.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"real and fake features must be (n, d) with the same d; got {tuple(real.shape)} and "
                         f"{tuple(fake.shape)}")
    if not 1 <= k < min(len(real), len(fake)):
        raise ValueError(f"k = {k} must be at least 1 and below both sample counts ({len(real)} real, {len(fake)} fake)")
    real_radii, fake_radii = _kth_neighbour_radii(real, k), _kth_neighbour_radii(fake, k)
    in_real_balls = torch.zeros(len(fake), dtype=torch.float64)  # per fake sample: how many real balls hold it
    covered = torch.zeros(len(real), dtype=torch.bool)
    recalled = torch.zeros(len(real), dtype=torch.bool)
    for start, d in _pairwise(real, fake):  # d[i, j]: real i to fake j
        rows = slice(start, start + len(d))
        inside = d <= real_radii[rows, None]
        in_real_balls += inside.sum(dim=0)
        covered[rows] = inside.any(dim=1)
        recalled[rows] = (d <= fake_radii[None, :]).any(dim=1)
    return {"precision": float((in_real_balls > 0).double().mean()), "recall": float(recalled.double().mean()),
            "density": float(in_real_balls.sum() / (k * len(fake))), "coverage": float(covered.double().mean()),
            "prdc_k": k}
