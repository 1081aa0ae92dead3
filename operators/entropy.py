"""EM-GAN's entropy maximisation (papers/em-gan-entropy-maximization.txt, eq. in 3.3.1).

The paper adds -lambda * H(p_g) to the generator's loss and estimates H on
each mini-batch at O(N log N) cost, without saying how. We read that as the
Kozachenko-Leonenko k-nearest-neighbour estimator, differentiable in the
samples:

    H_hat = psi(N) - psi(k) + log V_d + (d / N) * sum_i log r_i

with r_i the distance from sample i to its k-th nearest neighbour in the batch
and V_d = pi^(d/2) / Gamma(d/2 + 1) the volume of the unit d-ball. It is
consistent (H_hat -> H as N grows) for any density, in nats. Here the
distances come from all pairs (``torch.cdist``, O(N^2 d), cheaper than a
k-d tree at mini-batch sizes), computed directly on centred samples (exact
in float32 for a tight cluster far from the origin). ``log r_i`` is computed as
``0.5 * log(r_i^2 + eps^2)``: nearly coincident samples get a large, finite
push apart, and exactly coincident ones (none between them, by symmetry)
give no NaN.

The estimate runs on the samples themselves (``entropy_space = "samples"``,
images flattened) or on the discriminator's penultimate features
(``"features"``). The loss term is -lambda * H_hat / d, the entropy per
dimension: maximising it maximises H (d is fixed), and dividing by d keeps the
paper's lambda = 0.1 on the same scale for 2-D points and 784-D images, where
H_hat itself grows with d.
"""

from __future__ import annotations

import math

import torch

from .registry import MODIFIERS

__all__ = ["knn_entropy", "entropy_bonus"]

_EPS = 1e-6


def knn_entropy(x: torch.Tensor, k: int = 3) -> torch.Tensor:
    """Kozachenko-Leonenko entropy estimate (nats) of the rows of ``x`` (N samples, any shape after N)."""
    x = x.flatten(1)
    n, d = x.shape
    if not 1 <= k < n:
        raise ValueError(f"entropy_neighbours: k = {k} needs 1 <= k < batch size ({n})")
    # centred, and without cdist's matrix-product shortcut (used above 25 rows): |a|^2 + |b|^2 - 2ab cancels
    # catastrophically in float32 for a tight cluster away from the origin, exactly the collapsed case
    x = x - x.mean(0, keepdim=True).detach()
    squared = torch.cdist(x, x, compute_mode="donot_use_mm_for_euclid_dist").square()
    squared = squared + torch.diag(torch.full((n,), math.inf, device=x.device, dtype=x.dtype))  # not itself
    kth = squared.topk(k, dim=1, largest=False).values[:, -1]
    log_r = 0.5 * torch.log(kth + _EPS**2)
    log_unit_ball = (d / 2) * math.log(math.pi) - math.lgamma(d / 2 + 1)
    digamma_n_minus_k = sum(1.0 / j for j in range(k, n))  # psi(n) - psi(k), exactly, for integers
    return digamma_n_minus_k + log_unit_ball + d * log_r.mean()


@MODIFIERS.register("entropy")
def entropy_bonus(fake: torch.Tensor, *, adversary, config, rng=None, data=None) -> torch.Tensor:
    """-lambda * H_hat(fakes) / d: added to a base loss (``heuristic+entropy``), it rewards spread-out batches."""
    points = (adversary.features(fake) if config.entropy_space == "features" else fake).flatten(1)
    return -config.entropy_weight * knn_entropy(points, config.entropy_neighbours) / points.shape[1]
