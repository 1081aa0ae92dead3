"""Metric evaluators for image datasets: a feature network, the real data's statistics, the metric math.

``DigitMetrics`` (mnist, stacked_mnist) uses evogan's digit classifier on each
channel: FID on the concatenated 64-d features of the channels, the
Inception Score on the joint label distribution (10 classes per channel, so
1,000 for Stacked MNIST, assuming channels independent given the image),
and the label metrics (modes, KL to uniform, entropy score) on the predicted
digit (triple). ``InceptionMetrics`` (colour datasets) uses Inception v3
pool features for FID and its logits for the Inception Score.

Both also report precision, recall, density and coverage (k = 5, Naeem et al.'s choice) in the same feature space,
on the first ``PRDC_SAMPLES`` real and generated samples at most: the k-NN search grows with the square of the count.

Every result carries ``n_samples`` (generated), ``fid_real_samples``, ``prdc_k`` and ``prdc_samples``.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .images import feature_statistics, frechet_distance, inception_score, label_metrics
from .prdc import precision_recall_density_coverage

__all__ = ["DigitMetrics", "InceptionMetrics", "PRDC_SAMPLES"]

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


class _FeatureMetrics:
    """FID against a fixed real reference, computed once when the evaluator is built."""

    chunk = 500

    def __init__(self, network, reference: torch.Tensor):
        self.network = network.eval()
        real_features, _ = self.features_and_probabilities(reference)
        self.real_mu, self.real_sigma = feature_statistics(real_features)
        self.real_features = real_features[:PRDC_SAMPLES]
        self.n_real = len(reference)

    def features_and_probabilities(self, images: torch.Tensor):
        raise NotImplementedError

    @staticmethod
    def reference(config, data) -> torch.Tensor:
        """The real images the FID statistics are computed on (as many as the generated samples)."""
        return data.reference(data.metric_samples or config.metrics.samples, seed=config.seed)

    def fid(self, features: np.ndarray) -> float:
        mu, sigma = feature_statistics(features)
        return frechet_distance(mu, sigma, self.real_mu, self.real_sigma)

    def prdc(self, features: np.ndarray, k: int = 5) -> dict:
        """Precision, recall, density and coverage against the real reference (see :mod:`evogan.metrics.prdc`)."""
        fake = features[:PRDC_SAMPLES]
        n = min(len(fake), len(self.real_features))
        if n <= k:
            return {}
        return {**precision_recall_density_coverage(self.real_features[:n], fake[:n], k=k), "prdc_samples": n}


class DigitMetrics(_FeatureMetrics):
    """FID, Inception Score, modes, KL and entropy score of 1- or 3-channel digit images."""

    def __init__(self, classifier, reference: torch.Tensor):
        self.channels = reference.shape[1]
        super().__init__(classifier, reference)

    @classmethod
    def from_config(cls, config, data) -> "DigitMetrics":
        from ..models.classifier import load_classifier

        classifier = load_classifier(config.metrics.classifier or None, device=data.device)
        return cls(classifier, cls.reference(config, data))

    def features_and_probabilities(self, images: torch.Tensor):
        """Per-channel classifier features, concatenated, and the joint (outer-product) label probabilities."""
        if images.shape[-1] != 28:
            images = F.interpolate(images, size=(28, 28), mode="bilinear", antialias=True, align_corners=False)
        features, joint = [], None
        for c in range(self.channels):
            f, p = _run_in_chunks(self.network, images[:, c:c + 1], self.chunk)
            features.append(f)
            joint = p if joint is None else (joint[:, :, None] * p[:, None, :]).reshape(len(p), -1)
        return np.concatenate(features, axis=1), joint

    def __call__(self, samples: torch.Tensor) -> dict:
        features, probabilities = self.features_and_probabilities(samples)
        n_classes = probabilities.shape[1]
        return {
            "fid": self.fid(features),
            "inception_score": inception_score(probabilities),
            **label_metrics(probabilities.argmax(axis=1), n_classes),
            **self.prdc(features),
            "n_modes": n_classes,
            "n_samples": len(samples),
            "fid_real_samples": self.n_real,
        }


class InceptionMetrics(_FeatureMetrics):
    """FID on Inception v3 pool features and the Inception Score of its predictions."""

    chunk = 100

    @classmethod
    def from_config(cls, config, data) -> "InceptionMetrics":
        from ..models.inception import load_inception

        network = load_inception(config.metrics.inception_weights, device=data.device)
        return cls(network, cls.reference(config, data))

    def features_and_probabilities(self, images: torch.Tensor):
        return _run_in_chunks(self.network, images, self.chunk)

    def __call__(self, samples: torch.Tensor) -> dict:
        features, probabilities = self.features_and_probabilities(samples)
        return {
            "fid": self.fid(features),
            "inception_score": inception_score(probabilities),
            **self.prdc(features),
            "n_samples": len(samples),
            "fid_real_samples": self.n_real,
        }
