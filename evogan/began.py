"""Old import path of :mod:`evogan.adversaries.began`, kept so that existing code works."""

from .adversaries.began import *  # noqa: F401,F403
from .adversaries.began import __all__  # noqa: F401
