"""Loading Inception v3 weights from a local file (a random network saved in the standard format)."""

from __future__ import annotations

import pytest
import torch
import torchvision
from PIL import Image

from evogan import Config, ConfigError
from evogan.data import DATASETS
from evogan.models import load_inception


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory):
    """Same layout as the FID weights file: torchvision inception_v3, 1008 classes, no auxiliary head."""
    torch.manual_seed(0)
    network = torchvision.models.inception_v3(weights=None, num_classes=1008, aux_logits=False, init_weights=True)
    for module in network.modules():  # calibrate BatchNorm on one batch so the random features have a sane scale
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = None
    with torch.no_grad():
        network.train()(torch.rand(4, 3, 299, 299) * 2 - 1)
    path = tmp_path_factory.mktemp("weights") / "pt_inception-random.pth"
    torch.save(network.state_dict(), path)
    return path


def test_loads_and_gives_pool_features_and_logits(weights_file):
    model = load_inception(weights_file)
    features, logits = model(torch.rand(2, 3, 32, 32) * 2 - 1)
    assert features.shape == (2, 2048) and logits.shape == (2, 1008)
    assert torch.isfinite(features).all() and float(features.min()) >= 0.0  # after ReLU and average pooling
    grey, _ = model(torch.zeros(1, 1, 28, 28))
    assert grey.shape == (1, 2048)


def test_inception_metrics_on_an_image_folder(weights_file, tmp_path):
    for i in range(6):
        Image.new("RGB", (40, 40), (40 * i, 255 - 40 * i, 128)).save(tmp_path / f"{i}.png")
    config = Config(dataset="image_folder", data={"root": str(tmp_path), "image_size": 32},
                    metrics={"inception_weights": str(weights_file), "samples": 6})
    data = DATASETS.get("image_folder")(config, "cpu")
    real = data.metrics(data.reference(6))
    assert real["fid"] == pytest.approx(0.0, abs=1e-3)  # the reference itself
    assert real["n_samples"] == 6 and real["fid_real_samples"] == 6
    assert 1.0 <= real["inception_score"] <= 1008
    noise = data.metrics(torch.rand(6, 3, 32, 32) * 2 - 1)
    assert noise["fid"] > real["fid"] + 1e-3


def test_wrong_files_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_inception(tmp_path / "missing.pth")
    torch.save({"conv.weight": torch.zeros(1)}, tmp_path / "other.pth")
    with pytest.raises(ConfigError, match="not an Inception v3 state dict"):
        load_inception(tmp_path / "other.pth")
    torch.save({"fc.weight": torch.zeros(10, 2048), "fc.bias": torch.zeros(10)}, tmp_path / "partial.pth")
    with pytest.raises(ConfigError, match="does not fit"):
        load_inception(tmp_path / "partial.pth")
