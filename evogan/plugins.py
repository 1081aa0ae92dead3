"""Plugins: user modules that register operators (losses, fitness functions, datasets, ...) before names resolve.

A plugin is a module or a ``.py`` file; importing it runs its ``register``
calls. Three ways to name one, all imported in the main process, in every
Ray worker and in every Ray task of ``evogan compare`` before a name is
resolved:

- ``plugins = ["my_losses", "path/to/hinge.py"]`` in the experiment TOML;
- ``evogan run --import MODULE_OR_FILE`` (repeatable; added to ``plugins``,
  so a resumed run imports them again);
- the ``evogan.plugins`` entry-point group of an installed package (always).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from importlib.metadata import entry_points
from pathlib import Path

from .config import ConfigError
from .config import is_plugin_file as _is_file

__all__ = ["load_plugins", "resolve_plugin_paths"]

_ENTRY_POINT_GROUP = "evogan.plugins"
_loaded: set[str] = set()


def resolve_plugin_paths(names: list[str]) -> list[str]:
    """File plugins as absolute paths (Ray workers and tasks run in other folders); modules as given."""
    return [str(Path(n).resolve()) if _is_file(n) else n for n in names]


def _import_file(path: str) -> None:
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"plugins: {path}: no such file")
    # one module name per file, stable across processes, so that pickled references resolve in Ray workers
    name = f"evogan_plugin_{file.stem}_{hashlib.sha1(str(file.resolve()).encode()).hexdigest()[:8]}"
    if name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(name, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise


def load_plugins(names: list[str] = ()) -> None:
    """Import the ``evogan.plugins`` entry points and ``names`` (modules or .py files), each once per process."""
    for entry in entry_points(group=_ENTRY_POINT_GROUP):
        key = f"entry point {entry.name}"
        if key not in _loaded:
            try:
                entry.load()
            except (Exception, SystemExit) as err:  # noqa: BLE001 -- an installed package's broken plugin: one line, not a traceback
                raise ConfigError(f"plugins: the {_ENTRY_POINT_GROUP} entry point {entry.name!r} "
                                  f"({entry.value}) fails to import: {type(err).__name__}: {err}") from None
            _loaded.add(key)
    for name in names:
        if name in _loaded:
            continue
        try:
            _import_file(name) if _is_file(name) else importlib.import_module(name)
        except ConfigError:
            raise
        except ModuleNotFoundError as err:
            raise ConfigError(f"plugins: cannot import {name!r}: {err} (a module on the Python path, or a .py "
                              "file)") from None
        except SystemExit as err:  # a plugin must not end evogan silently with its own exit status
            raise ConfigError(f"plugins: importing {name!r} called sys.exit({err.code!r}); a plugin module "
                              "must only define and register operators") from None
        except Exception as err:  # noqa: BLE001 -- the plugin's own error, named in one line
            raise ConfigError(f"plugins: importing {name!r} failed: {type(err).__name__}: {err}") from None
        _loaded.add(name)
