"""Old import path of :mod:`evogan.adversaries` (the discriminator families), kept so that existing code works."""

from .adversaries import *  # noqa: F401,F403
from .adversaries import __all__  # noqa: F401
