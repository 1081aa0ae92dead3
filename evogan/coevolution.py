"""Old import path of :mod:`evogan.adversaries.neighbourhood`, kept so that existing code works."""

from .adversaries.neighbourhood import *  # noqa: F401,F403
from .adversaries.neighbourhood import __all__  # noqa: F401
