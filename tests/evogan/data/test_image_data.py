"""Image datasets: the bundled MNIST sample, IDX files, stacked digits, image folders, clear errors."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import torch
from PIL import Image

from evogan import Config, ConfigError
from evogan.data import DATASETS, bundled_mnist


def write_idx_mnist(root, images: np.ndarray, labels: np.ndarray) -> None:
    """Write the four MNIST IDX files torchvision expects under root/MNIST/raw/ (test files = training files)."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for split in ("train", "t10k"):
        with open(raw / f"{split}-images-idx3-ubyte", "wb") as f:
            f.write(struct.pack(">IIII", 0x803, len(images), 28, 28) + images.astype(np.uint8).tobytes())
        with open(raw / f"{split}-labels-idx1-ubyte", "wb") as f:
            f.write(struct.pack(">II", 0x801, len(labels)) + labels.astype(np.uint8).tobytes())


def digit_images(n: int) -> np.ndarray:
    """n distinguishable 28 x 28 images: image i is filled with the value 10 * i + 5."""
    return np.stack([np.full((28, 28), 10 * i + 5, dtype=np.uint8) for i in range(n)])


def config(**data) -> Config:
    return Config(data=data)


def test_bundled_mnist_sample_shape_and_labels():
    images, labels = bundled_mnist()
    assert images.shape == (5000, 1, 28, 28) and images.dtype == torch.uint8
    assert int(labels.min()) == 0 and int(labels.max()) == 9
    assert torch.bincount(labels).tolist() == [500] * 10
    assert 0 < float(images.float().mean()) < 80  # dark background, bright strokes


def test_mnist_default_is_the_bundled_sample_in_minus_one_one():
    data = DATASETS.get("mnist")(config(), "cpu")
    assert data.kind == "image" and data.shape == (1, 28, 28) and len(data) == 5000
    batch = data.sample(64, torch.Generator().manual_seed(0))
    again = data.sample(64, torch.Generator().manual_seed(0))
    assert batch.shape == (64, 1, 28, 28) and torch.equal(batch, again)
    assert float(batch.min()) == pytest.approx(-1.0) and float(batch.max()) == pytest.approx(1.0)


def test_mnist_from_idx_files_in_a_root(tmp_path):
    images, labels = digit_images(6), np.arange(6) % 10
    write_idx_mnist(tmp_path, images, labels)
    data = DATASETS.get("mnist")(config(root=str(tmp_path)), "cpu")
    assert len(data) == 6
    assert torch.equal(data.images[:, 0], torch.from_numpy(images))
    assert data.labels.tolist() == labels.tolist()


def test_stacked_mnist_stacks_three_random_digits(tmp_path):
    write_idx_mnist(tmp_path, digit_images(10), np.arange(10))
    data = DATASETS.get("stacked_mnist")(config(root=str(tmp_path)), "cpu")
    assert data.shape == (3, 28, 28)
    batch = data.sample(500, torch.Generator().manual_seed(1))
    values = torch.round((batch[:, :, 0, 0] + 1) * 127.5)  # each channel is one constant digit image
    assert torch.all((values - 5) % 10 == 0)
    assert torch.equal(batch, batch.amax(dim=(2, 3), keepdim=True).expand_as(batch))
    triples = {tuple(row) for row in values.long().tolist()}
    assert len(triples) > 300  # three independent draws, not one digit copied thrice
    assert not torch.equal(values[:, 0], values[:, 1])


def test_mnist_resized_to_32_pixels():
    data = DATASETS.get("mnist")(config(image_size=32), "cpu")
    assert data.shape == (1, 32, 32)


def test_image_folder_reads_pngs_recursively_and_resizes(tmp_path):
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    (tmp_path / "sub").mkdir()
    for i, colour in enumerate(colours):
        folder = tmp_path / "sub" if i == 2 else tmp_path
        Image.new("RGB", (80, 60), colour).save(folder / f"img{i}.png")
    (tmp_path / "notes.txt").write_text("not an image")
    data = DATASETS.get("image_folder")(config(root=str(tmp_path), image_size=32), "cpu")
    assert data.images.shape == (3, 3, 32, 32)
    assert data.images[:, :, 16, 16].tolist() == [list(c) for c in colours]
    default = DATASETS.get("image_folder")(config(root=str(tmp_path), max_images=2), "cpu")
    assert default.images.shape == (2, 3, 64, 64)


@pytest.mark.parametrize(
    "name, make_root, expected",
    [
        ("mnist", True, "train-images-idx3-ubyte"),
        ("cifar10", True, "cifar-10-batches-py"),
        ("celeba", True, "img_align_celeba"),
        ("image_folder", True, "no image files"),
        ("cifar10", False, "needs a local folder"),
    ],
)
def test_missing_data_gives_a_clear_error(tmp_path, name, make_root, expected):
    root = str(tmp_path) if make_root else ""
    with pytest.raises(ConfigError, match="data.root") as err:
        DATASETS.get(name)(config(root=root), "cpu")
    assert expected in str(err.value)


def test_nonexistent_root_is_named(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        DATASETS.get("mnist")(config(root=str(tmp_path / "nowhere")), "cpu")


def test_image_size_must_be_a_dcgan_size():
    with pytest.raises(ConfigError, match="data.image_size: 30 is not valid; choose one of: 0, 28, 32, 64"):
        config(image_size=30)
