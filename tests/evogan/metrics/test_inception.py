"""The standard FID Inception from a local file, checked against the field's libraries with the same random weights.

pytorch-fid's own network (its ``InceptionV3``, which would download the weights) is built here with the random
weights handed to its loader instead, so both networks hold the same numbers; torch-fidelity and pytorch-fid give
the reference FID, KID and Inception Score on fixed features.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from pytorch_fid import inception as pytorch_fid_inception
from pytorch_fid.fid_score import calculate_frechet_distance
from torch_fidelity.metric_isc import isc_features_to_metric
from torch_fidelity.metric_kid import kid_features_to_metric

from evogan import Config, ConfigError
from evogan.data import DATASETS
from evogan.metrics import (feature_statistics, frechet_distance, inception_score_splits,
                            kernel_inception_distance)
from evogan.models import load_inception
from evogan.models.inception import FID_WEIGHTS_URL, fid_inception_v3


@pytest.fixture(scope="module")
def random_state():
    """A random FID Inception in the weights file's layout, BatchNorm calibrated on one batch (sane feature scale)."""
    torch.manual_seed(0)
    network = fid_inception_v3()
    for module in network.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = None
    with torch.no_grad():
        network.train()(torch.rand(4, 3, 299, 299) * 2 - 1)
        network.fc.bias.normal_()  # non-zero, so that logits with and without it differ
    return network.state_dict()


@pytest.fixture(scope="module")
def weights_file(random_state, tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "pt_inception-random.pth"
    torch.save(random_state, path)
    return path


def test_features_equal_pytorch_fid_networks_with_the_same_weights(random_state, weights_file, monkeypatch):
    monkeypatch.setattr(pytorch_fid_inception, "load_state_dict_from_url", lambda *a, **k: random_state)
    library = pytorch_fid_inception.InceptionV3([3]).eval()  # resizes to 299, maps [0, 1] to [-1, 1]
    ours = load_inception(weights_file)
    images = torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(1)) * 2 - 1
    with torch.no_grad():
        expected = library((images + 1) / 2)[0].flatten(1)
        features, logits = ours(images)
    assert features.shape == (3, 2048) and float(expected.abs().max()) > 1e-3
    torch.testing.assert_close(features, expected, rtol=1e-4, atol=1e-5)
    # the Inception Score's logits are the pool features times fc's weights, without the bias
    torch.testing.assert_close(logits, features @ random_state["fc.weight"].T, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(logits, logits + random_state["fc.bias"], atol=1e-3)
    grey, _ = ours(torch.zeros(1, 1, 28, 28))
    assert grey.shape == (1, 2048)


def test_fid_kid_and_inception_score_equal_the_libraries_on_fixed_features():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(300, 8))
    fake = rng.normal(size=(300, 8)) * 1.3 + 0.2
    expected = calculate_frechet_distance(*feature_statistics(real), *feature_statistics(fake))
    assert frechet_distance(*feature_statistics(real), *feature_statistics(fake)) == pytest.approx(expected, rel=1e-9)
    # one subset of all rows: both draw a permutation, and the MMD does not depend on the order
    library = kid_features_to_metric(torch.from_numpy(real), torch.from_numpy(fake), kid_subsets=1,
                                     kid_subset_size=300, verbose=False)
    kid, kid_std, size = kernel_inception_distance(real, fake, subsets=1, subset_size=1000)
    assert size == 300 and kid_std == 0.0
    assert kid == pytest.approx(library["kernel_inception_distance_mean"], rel=1e-9)
    logits = torch.from_numpy(rng.normal(size=(200, 12)) * 3)
    library = isc_features_to_metric(logits, splits=10, shuffle=False)
    mean, std = inception_score_splits(torch.softmax(logits, dim=1).numpy(), splits=10)
    assert mean == pytest.approx(library["inception_score_mean"], rel=1e-9)
    assert std == pytest.approx(library["inception_score_std"], rel=1e-9)


def test_kid_by_hand():
    # d = 1, kernel (x y + 1)^3; x = {1, 2}, y = {0, 1}:
    # within x (off-diagonal) 2 * 27, within y 2 * 1, over m (m - 1) = 2: 28; across 1 + 8 + 1 + 27 = 37, 2 * 37 / 4
    kid, _, size = kernel_inception_distance([[1.0], [2.0]], [[0.0], [1.0]], subsets=3)
    assert size == 2 and kid == pytest.approx(28 - 18.5, rel=1e-12)
    # unbiased: two samples of one distribution give about 0 (either sign), a shift by 0.5 gives clearly more
    a, b = (np.random.default_rng(seed).normal(size=(400, 4)) for seed in (1, 2))
    same = kernel_inception_distance(a, b, subsets=5, subset_size=200)[0]
    shifted = kernel_inception_distance(a, b + 0.5, subsets=5, subset_size=200)[0]
    assert abs(same) < 0.05 * shifted and 0.5 < shifted < 2.0


def test_inception_metrics_on_an_image_folder(weights_file, tmp_path):
    for i in range(6):
        Image.new("RGB", (40, 40), (40 * i, 255 - 40 * i, 128)).save(tmp_path / f"{i}.png")
    config = Config(dataset="image_folder", data={"root": str(tmp_path), "image_size": 32},
                    metrics={"inception_weights": str(weights_file), "samples": 6, "kid_subsets": 4,
                             "prdc_k": 2})
    data = DATASETS.get("image_folder")(config, "cpu")
    real = data.metrics(data.reference(6))
    assert real["fid"] == pytest.approx(0.0, abs=1e-3)  # the reference itself
    assert real["n_samples"] == 6 and real["fid_real_samples"] == 6 and real["fid_features"] == "inception-v3-fid"
    assert real["kid_subsets"] == 4 and real["kid_subset_size"] == 6 and real["prdc_k"] == 2
    assert real["inception_score_splits"] == 6 and 1.0 <= real["inception_score"] <= 1008
    assert real["precision"] == pytest.approx(1.0) and real["coverage"] == pytest.approx(1.0)
    noise = data.metrics(torch.rand(6, 3, 32, 32) * 2 - 1)
    assert noise["fid"] > real["fid"] + 1e-3 and noise["kid"] > real["kid"]


def test_wrong_files_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found; download " + FID_WEIGHTS_URL):
        load_inception(tmp_path / "missing.pth")
    torch.save({"conv.weight": torch.zeros(1)}, tmp_path / "other.pth")
    with pytest.raises(ConfigError, match="not an Inception v3 state dict"):
        load_inception(tmp_path / "other.pth")
    torch.save({"fc.weight": torch.zeros(1000, 2048), "fc.bias": torch.zeros(1000)}, tmp_path / "torchvision.pth")
    with pytest.raises(ConfigError, match="not the FID Inception .* 1008 classes; this file has 1000"):
        load_inception(tmp_path / "torchvision.pth")
    torch.save({"fc.weight": torch.zeros(1008, 2048), "fc.bias": torch.zeros(1008)}, tmp_path / "partial.pth")
    with pytest.raises(ConfigError, match="does not fit"):
        load_inception(tmp_path / "partial.pth")
