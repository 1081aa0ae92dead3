"""Old import paths of modules that moved into evogan's role packages, kept working.

``import evogan.checkpoint`` (or ``from evogan import checkpoint``, or unpickling an object saved under an old
path) gives the module at its new place, the very same module object: monkeypatching, private names and
``isinstance`` checks all behave as before. One finder for every old path, instead of a shim file each, so the
package folder shows the roles.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

#: old module -> where it lives now
MOVED = {
    **{f"evogan.{name}": f"evogan.core.{name}" for name in (
        "individual", "algorithms", "deme", "strategy", "seeding", "adam", "registry", "schedule", "sampling")},
    **{f"evogan.{name}": f"evogan.populations.{name}" for name in ("islands", "topology", "niches")},
    **{f"evogan.{name}": f"evogan.io.{name}" for name in (
        "checkpoint", "logfiles", "outputs", "export", "provenance", "results", "tensorboard", "plots", "figures",
        "run_figures", "progress", "locking")},
    "evogan.adversary": "evogan.adversaries",
    "evogan.began": "evogan.adversaries.began",
    "evogan.coevolution": "evogan.adversaries.neighbourhood",
}


class MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old path and loads it as the module at the new one."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module):
        pass  # the module at the new path is already executed


def install() -> None:
    if not any(isinstance(finder, MovedModules) for finder in sys.meta_path):
        sys.meta_path.insert(0, MovedModules())
