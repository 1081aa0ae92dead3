"""Sample metrics: the mixture protocol, FID / Inception Score / mode counts for images, and precision / recall /
density / coverage in any feature space."""

from .images import (entropy_score, feature_statistics, frechet_distance, inception_score, inception_score_splits,
                     kernel_inception_distance, label_metrics)
from .mixtures import mixture_metrics
from .prdc import precision_recall_density_coverage

#: keys of a metrics row that describe the run or its sampling rather than measure the generator
DESCRIPTIVE_KEYS = frozenset({"n_modes", "n_samples", "fid_real_samples", "generation", "first_all_modes_generation",
                              "first_all_modes_wall_time", "sample_from", "stopped_by_time", "interrupted",
                              "prdc_k", "prdc_samples", "fid_features", "kid_subset_size", "kid_subsets",
                              "inception_score_splits", "inception_score_std", "kid_std", "mode_counts"})

__all__ = [
    "DESCRIPTIVE_KEYS",
    "mixture_metrics",
    "frechet_distance",
    "feature_statistics",
    "inception_score",
    "inception_score_splits",
    "kernel_inception_distance",
    "entropy_score",
    "label_metrics",
    "precision_recall_density_coverage",
]
