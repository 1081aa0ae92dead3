"""Sample metrics: the mixture protocol, and FID / Inception Score / mode counts for images."""

from .images import entropy_score, feature_statistics, frechet_distance, inception_score, label_metrics
from .mixtures import mixture_metrics

__all__ = [
    "mixture_metrics",
    "frechet_distance",
    "feature_statistics",
    "inception_score",
    "entropy_score",
    "label_metrics",
]
