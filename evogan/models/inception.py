"""The standard FID Inception network, from a local weights file (nothing is downloaded).

The network is TensorFlow's 2015-12-05 Inception v3 graph as pytorch-fid
ports it: torchvision's ``inception_v3`` with pytorch-fid's patched blocks
(average pools that exclude padding, a max pool in the last block's pool
branch), 1008 classes and the weights ``pt_inception-2015-12-05-6726825d.pth``
from pytorch-fid's releases. Its pool features are the ones published FIDs are
computed on; torchvision's own Inception gives other features from the same
weights. Images go in as the generator makes them, in [-1, 1], resized to
299 × 299 bilinearly (pytorch-fid's resize); grey images are repeated over
three channels.

The class logits are the pool features times the last layer's weights without
its bias, as the original Inception Score code computes them (torch-fidelity
calls them ``logits_unbiased``).
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
import torchvision
from pytorch_fid.inception import FIDInceptionA, FIDInceptionC, FIDInceptionE_1, FIDInceptionE_2
from torch import nn

from ..config import ConfigError

__all__ = ["FID_WEIGHTS_FILE", "FID_WEIGHTS_URL", "InceptionFeatures", "default_inception_weights",
           "fid_inception_v3", "load_inception"]

FID_WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth"
FID_WEIGHTS_URL = f"https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/{FID_WEIGHTS_FILE}"
FID_CLASSES = 1008


def default_inception_weights() -> Path:
    """Where pytorch-fid (through torch.hub) keeps the weights: ``<torch hub dir>/checkpoints/<file>``."""
    return Path(torch.hub.get_dir()) / "checkpoints" / FID_WEIGHTS_FILE


def fid_inception_v3() -> torchvision.models.Inception3:
    """The FID Inception architecture with untrained weights (pytorch-fid's blocks in torchvision's network)."""
    network = torchvision.models.inception_v3(weights=None, num_classes=FID_CLASSES, aux_logits=False,
                                              transform_input=False, init_weights=False)
    network.Mixed_5b = FIDInceptionA(192, pool_features=32)
    network.Mixed_5c = FIDInceptionA(256, pool_features=64)
    network.Mixed_5d = FIDInceptionA(288, pool_features=64)
    network.Mixed_6b = FIDInceptionC(768, channels_7x7=128)
    network.Mixed_6c = FIDInceptionC(768, channels_7x7=160)
    network.Mixed_6d = FIDInceptionC(768, channels_7x7=160)
    network.Mixed_6e = FIDInceptionC(768, channels_7x7=192)
    network.Mixed_7b = FIDInceptionE_1(1280)
    network.Mixed_7c = FIDInceptionE_2(2048)
    return network


class InceptionFeatures(nn.Module):
    """(N, C, H, W) images in [-1, 1] → (2048 pool features, 1008 unbiased class logits)."""

    feature_dim = 2048
    name = "inception-v3-fid"  # recorded next to every FID computed on these features

    def __init__(self, network: torchvision.models.Inception3):
        super().__init__()
        self.head_weight = nn.Parameter(network.fc.weight.detach().clone(), requires_grad=False)
        network.fc = nn.Identity()  # the network now ends at the (flattened) average pool
        self.network = network

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
        features = self.network(x)
        return features, features @ self.head_weight.T


def _missing(path: Path) -> ConfigError:
    return ConfigError(f"metrics.inception_weights: {path} not found; download {FID_WEIGHTS_URL} and put it there "
                       f"(or in {default_inception_weights().parent}/)")


def load_inception(path: str | Path | None = None, device="cpu") -> InceptionFeatures:
    """The FID Inception with the weights in ``path`` (default: the torch.hub cache), in eval mode on ``device``."""
    path = Path(path).expanduser() if path else default_inception_weights()
    if not path.is_file():
        raise _missing(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 -- any unreadable file gets the same clear message
        raise ConfigError(f"metrics.inception_weights: cannot read {path}: {err}") from None
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    if not isinstance(state, dict) or "fc.weight" not in state:
        raise ConfigError(f"metrics.inception_weights: {path} is not an Inception v3 state dict (no fc.weight)")
    if tuple(state["fc.weight"].shape) != (FID_CLASSES, 2048):
        raise ConfigError(f"metrics.inception_weights: {path} is not the FID Inception ({FID_WEIGHTS_FILE}: "
                          f"{FID_CLASSES} classes; this file has {state['fc.weight'].shape[0]})")
    network = fid_inception_v3()
    try:
        network.load_state_dict(state)
    except RuntimeError as err:
        raise ConfigError(f"metrics.inception_weights: {path} does not fit the FID Inception: {err}") from None
    return InceptionFeatures(network).to(device).eval()
