"""Metric evaluators for image datasets: a feature network, the real data's statistics, the metric math.

``DigitMetrics`` (mnist, stacked_mnist) uses evogan's digit classifier on each
channel: FID on the concatenated 64-d features of the channels, the
Inception Score on the joint label distribution (10 classes per channel, so
1,000 for Stacked MNIST, assuming channels independent given the image; one
split), and the label metrics (modes, KL to uniform, entropy score) on the
predicted digit (triple). ``InceptionMetrics`` (colour datasets) uses the
standard FID Inception (:mod:`evogan.models.inception`): FID and KID on its
pool features, the Inception Score on its logits over 10 splits, as papers
report them.

Both also report precision, recall, density and coverage in the same feature
space (``metrics.prdc_k`` neighbours, 5 by default as in Naeem et al.), on the
first ``metrics.prdc_samples`` real and generated samples at most: the k-NN
search grows with the square of the count.

Every result names its feature network (``fid_features``) and carries
``n_samples`` (generated), ``fid_real_samples``, ``prdc_k`` and ``prdc_samples``.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .images import (feature_statistics, frechet_distance, inception_score, inception_score_splits,
                     kernel_inception_distance, label_metrics)
from .prdc import precision_recall_density_coverage

__all__ = ["DigitMetrics", "InceptionMetrics", "PRDC_SAMPLES", "digit_features_and_probabilities"]

#: default cap on the samples of precision / recall / density / coverage (``metrics.prdc_samples``)
PRDC_SAMPLES = 5000


@torch.no_grad()
def _run_in_chunks(network, images: torch.Tensor, chunk: int) -> tuple[np.ndarray, np.ndarray]:
    """(features, softmax probabilities) of ``images`` as float64 arrays."""
    device = next(network.parameters()).device
    features, probabilities = [], []
    for part in images.split(chunk):
        f, logits = network(part.to(device))
        features.append(f.double().cpu())
        probabilities.append(torch.softmax(logits.double(), dim=1).cpu())
    return torch.cat(features).numpy(), torch.cat(probabilities).numpy()


def digit_features_and_probabilities(classifier, images: torch.Tensor, chunk: int = 500):
    """Per-channel digit-classifier features, concatenated, and the joint (outer-product) label probabilities over
    the channels: 10 labels for MNIST, 1,000 digit triples for Stacked MNIST (label = argmax)."""
    if images.shape[-1] != 28:
        images = F.interpolate(images, size=(28, 28), mode="bilinear", antialias=True, align_corners=False)
    features, joint = [], None
    for c in range(images.shape[1]):
        f, p = _run_in_chunks(classifier, images[:, c:c + 1], chunk)
        features.append(f)
        joint = p if joint is None else (joint[:, :, None] * p[:, None, :]).reshape(len(p), -1)
    return np.concatenate(features, axis=1), joint


class _FeatureMetrics:
    """FID against a fixed real reference, computed once when the evaluator is built."""

    chunk = 500
    feature_name = "digit-classifier"

    def __init__(self, network, reference: torch.Tensor, prdc_k: int = 5, prdc_samples: int = PRDC_SAMPLES):
        self.network = network.eval()
        self.prdc_k, self.prdc_samples = prdc_k, prdc_samples
        real_features, _ = self.features_and_probabilities(reference)
        self.real_mu, self.real_sigma = feature_statistics(real_features)
        self.real_features = real_features
        self.n_real = len(reference)

    @staticmethod
    def options(config) -> dict:
        return {"prdc_k": config.metrics.prdc_k, "prdc_samples": config.metrics.prdc_samples}

    def features_and_probabilities(self, images: torch.Tensor):
        raise NotImplementedError

    @staticmethod
    def reference(config, data) -> torch.Tensor:
        """The real images the FID statistics are computed on (as many as the generated samples)."""
        return data.reference(data.metric_samples or config.metrics.samples, seed=config.seed)

    def fid(self, features: np.ndarray) -> float:
        mu, sigma = feature_statistics(features)
        return frechet_distance(mu, sigma, self.real_mu, self.real_sigma)

    def prdc(self, features: np.ndarray) -> dict:
        """Precision, recall, density and coverage against the real reference (see :mod:`evogan.metrics.prdc`)."""
        n = min(len(features), len(self.real_features), self.prdc_samples)
        if n <= self.prdc_k:
            return {}
        return {**precision_recall_density_coverage(self.real_features[:n], features[:n], k=self.prdc_k),
                "prdc_samples": n}

    def common(self, samples: torch.Tensor, features: np.ndarray) -> dict:
        """FID, precision / recall / density / coverage, and what they were computed on."""
        return {"fid": self.fid(features), **self.prdc(features), "fid_features": self.feature_name,
                "n_samples": len(samples), "fid_real_samples": self.n_real}


class DigitMetrics(_FeatureMetrics):
    """FID, Inception Score, modes, KL and entropy score of 1- or 3-channel digit images."""

    @classmethod
    def from_config(cls, config, data) -> "DigitMetrics":
        from ..models.classifier import load_classifier

        classifier = load_classifier(config.metrics.classifier or None, device=data.device)
        return cls(classifier, cls.reference(config, data), **cls.options(config))

    def features_and_probabilities(self, images: torch.Tensor):
        return digit_features_and_probabilities(self.network, images, self.chunk)

    def __call__(self, samples: torch.Tensor) -> dict:
        features, probabilities = self.features_and_probabilities(samples)
        n_classes = probabilities.shape[1]
        return {
            **self.common(samples, features),
            "inception_score": inception_score(probabilities),
            **label_metrics(probabilities.argmax(axis=1), n_classes),
            "n_modes": n_classes,
        }


class InceptionMetrics(_FeatureMetrics):
    """FID and KID on the FID Inception's pool features, the Inception Score of its predictions (10 splits)."""

    chunk = 100
    feature_name = "inception-v3-fid"
    score_splits = 10

    def __init__(self, network, reference: torch.Tensor, kid_subsets: int = 100, kid_subset_size: int = 1000,
                 seed: int = 0, **options):
        super().__init__(network, reference, **options)
        self.kid_subsets, self.kid_subset_size, self.seed = kid_subsets, kid_subset_size, seed

    @classmethod
    def from_config(cls, config, data) -> "InceptionMetrics":
        from ..models.inception import load_inception

        network = load_inception(config.metrics.inception_weights or None, device=data.device)
        return cls(network, cls.reference(config, data), kid_subsets=config.metrics.kid_subsets,
                   kid_subset_size=config.metrics.kid_subset_size, seed=config.seed, **cls.options(config))

    def features_and_probabilities(self, images: torch.Tensor):
        return _run_in_chunks(self.network, images, self.chunk)

    def __call__(self, samples: torch.Tensor) -> dict:
        features, probabilities = self.features_and_probabilities(samples)
        splits = min(self.score_splits, len(samples))
        score, score_std = inception_score_splits(probabilities, splits)
        kid, kid_std, kid_size = kernel_inception_distance(self.real_features, features, self.kid_subsets,
                                                           self.kid_subset_size, seed=self.seed)
        return {
            **self.common(samples, features),
            "inception_score": score,
            "inception_score_std": score_std,
            "inception_score_splits": splits,
            "kid": kid,
            "kid_std": kid_std,
            "kid_subsets": self.kid_subsets,
            "kid_subset_size": kid_size,
        }
