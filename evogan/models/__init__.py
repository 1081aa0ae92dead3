"""Networks: the family registry (``mlp``, ``dcgan``, ``unrolled_dcgan``), the digit classifier and Inception v3 features."""

from .classifier import DigitClassifier, SHIPPED_CLASSIFIER, load_classifier, train_classifier
from .dcgan import dcgan_discriminator, dcgan_generator, dcgan_models
from .inception import InceptionFeatures, load_inception
from .mlp import MLP, mlp_discriminator, mlp_generator, mlp_models
from .registry import DEFAULT_FAMILY, MODELS, build_models
from .unrolled import unrolled_discriminator, unrolled_generator, unrolled_models

__all__ = [
    "MODELS",
    "DEFAULT_FAMILY",
    "build_models",
    "MLP",
    "mlp_generator",
    "mlp_discriminator",
    "mlp_models",
    "dcgan_generator",
    "dcgan_discriminator",
    "dcgan_models",
    "unrolled_generator",
    "unrolled_discriminator",
    "unrolled_models",
    "DigitClassifier",
    "SHIPPED_CLASSIFIER",
    "load_classifier",
    "train_classifier",
    "InceptionFeatures",
    "load_inception",
]
