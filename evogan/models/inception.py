"""Inception v3 pool features for FID / Inception Score on colour images, from a local weights file.

The architecture is torchvision's ``inception_v3``; the file is a state dict
for it, e.g. the standard FID weights ``pt_inception-2015-12-05-6726825d.pth``
(1008 classes, no auxiliary head; released with pytorch-fid) or torchvision's
own ImageNet weights ``inception_v3_google-0cc3c7bd.pth`` (1000 classes).
Both are ports of Google's network and take inputs in [-1, 1], so images go in
as the generator makes them, resized to 299 × 299. Nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from ..config import ConfigError

__all__ = ["load_inception", "InceptionFeatures"]


class InceptionFeatures(nn.Module):
    """(N, C, H, W) images in [-1, 1] → (2048 pool features, class logits)."""

    feature_dim = 2048

    def __init__(self, network: torchvision.models.Inception3):
        super().__init__()
        self.head = network.fc
        network.fc = nn.Identity()  # the network now ends at the (flattened) average pool
        self.network = network

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
        features = self.network(x)
        return features, self.head(features)


def load_inception(path: str | Path, device="cpu") -> InceptionFeatures:
    """The torchvision Inception v3 with the state dict in ``path``, in eval mode on ``device``."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ConfigError(f"metrics.inception_weights: {path} not found (see the README for where to get the file)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 -- any unreadable file gets the same clear message
        raise ConfigError(f"metrics.inception_weights: cannot read {path}: {err}") from None
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    if not isinstance(state, dict) or "fc.weight" not in state:
        raise ConfigError(f"metrics.inception_weights: {path} is not an Inception v3 state dict (no fc.weight)")
    network = torchvision.models.inception_v3(
        weights=None,
        num_classes=state["fc.weight"].shape[0],
        aux_logits=any(key.startswith("AuxLogits.") for key in state),
        transform_input=False,
        init_weights=False,
    )
    try:
        network.load_state_dict(state)
    except RuntimeError as err:
        raise ConfigError(f"metrics.inception_weights: {path} does not fit torchvision's inception_v3: {err}") from None
    return InceptionFeatures(network).to(device).eval()
