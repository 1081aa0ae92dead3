"""Training data: the 2-D mixtures and the image datasets, by name in ``DATASETS``.

Register more with ``DATASETS.register(name, factory)``, where
``factory(config, device)`` returns an object with ``kind``,
``sample(n, generator)`` and ``metrics(samples)``.
"""

from .images import IMAGE_EXTENSIONS, ImageData, bundled_mnist, load_mnist, resize_images
from .mixtures import GaussianMixture, grid, ring
from .registry import DATASETS

__all__ = [
    "DATASETS",
    "GaussianMixture",
    "ring",
    "grid",
    "ImageData",
    "bundled_mnist",
    "load_mnist",
    "resize_images",
    "IMAGE_EXTENSIONS",
]
