"""The shipped digit classifier: small, loads, and classifies the held-out bundled digits."""

from __future__ import annotations

import pytest
import torch

from evogan import ConfigError
from evogan.data import bundled_mnist
from evogan.models import SHIPPED_CLASSIFIER, load_classifier, train_classifier
from evogan.models.classifier import classifier_accuracy, heldout_split


def test_shipped_classifier_is_small_and_accurate_on_held_out_digits():
    assert SHIPPED_CLASSIFIER.stat().st_size < 1_000_000
    images, labels = bundled_mnist()
    _, heldout = heldout_split(labels)
    assert len(heldout) == 1000 and torch.bincount(labels[heldout]).tolist() == [100] * 10
    accuracy = classifier_accuracy(load_classifier(), images[heldout], labels[heldout])
    assert 0.95 <= accuracy <= 1.0
    meta = torch.load(SHIPPED_CLASSIFIER, weights_only=True)["meta"]
    assert meta["heldout_accuracy"] == pytest.approx(accuracy, abs=0.005)
    assert meta["train_size"] == 4000


def test_split_is_disjoint_and_seeded():
    _, labels = bundled_mnist()
    train, heldout = heldout_split(labels, seed=0)
    assert len(set(train.tolist()) & set(heldout.tolist())) == 0 and len(train) + len(heldout) == 5000
    assert torch.equal(heldout_split(labels, seed=0)[1], heldout)
    assert not torch.equal(heldout_split(labels, seed=1)[1], heldout)


def test_training_is_deterministic_and_learns():
    images, labels = bundled_mnist()  # sorted by digit: take a random subset
    subset = torch.randperm(5000, generator=torch.Generator().manual_seed(0))
    train, test = subset[:600], subset[4500:]
    a = train_classifier(images[train], labels[train], epochs=6, seed=3, log=lambda _: None)
    b = train_classifier(images[train], labels[train], epochs=6, seed=3, log=lambda _: None)
    for (name, pa), (_, pb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(pa, pb), name
    assert classifier_accuracy(a, images[test], labels[test]) > 0.6  # chance is 0.1


def test_missing_classifier_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="evogan train-classifier"):
        load_classifier(tmp_path / "none.pt")
    (tmp_path / "bad.pt").write_bytes(b"not a file")
    with pytest.raises(ConfigError, match="not a digit classifier"):
        load_classifier(tmp_path / "bad.pt")
