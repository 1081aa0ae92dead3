"""Reading and writing configs: TOML files and presets, ``--set`` overrides and sweeps, dicts, and which changed keys
a resumed run may accept."""

from __future__ import annotations

import dataclasses
import difflib
import itertools
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import tomli_w

from ..errors import ConfigError
from .schema import Config
from .validation import _from_dict

__all__ = ["PRESETS", "DEFAULT_EXPERIMENT", "presets", "resolve_config_path", "load_config", "apply_overrides",
           "parse_override", "parse_sweeps", "config_from_dict", "config_to_dict", "config_to_toml", "flat_config",
           "RESUME_SAFE", "changed_keys", "unsafe_to_resume", "is_plugin_file"]


def config_from_dict(data: dict) -> Config:
    return _from_dict(Config, data)


def config_to_dict(config) -> dict:
    return dataclasses.asdict(config)


def config_to_toml(config) -> str:
    return tomli_w.dumps(config_to_dict(config))


def flat_config(data: dict, prefix: str = "") -> dict[str, Any]:
    """A config dict (``config_to_dict``) as ``{"section.key": value}``."""
    flat = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(flat_config(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


#: keys a resumed run may change: they extend, observe or place a run, never change what it computes
#: (the Ray backend gives the in-process result bit for bit whatever its worker settings; so do synchronous
#: islands on Ray, whatever their CPUs: a run started on a laptop continues on a cluster)
RESUME_SAFE = ("name", "generations", "max_seconds", "max_cpu_seconds", "metrics.every", "log.", "parallel.workers",
               "parallel.cpus_per_worker", "parallel.threads_per_worker", "parallel.address", "parallel.object_store_mb",
               "parallel.dashboard", "parallel.max_restarts", "parallel.start_timeout",
               "islands.backend", "islands.cpus_per_island")


def changed_keys(before: dict, after: dict) -> list[str]:
    """Dotted keys whose values differ between two config dicts (a key missing on one side counts as changed)."""
    old, new = flat_config(before), flat_config(after)
    return sorted(key for key in old.keys() | new.keys() if old.get(key, ...) != new.get(key, ...))


def unsafe_to_resume(before: dict, after: dict) -> list[str]:
    """The changed keys that would make a resumed run another run (see ``RESUME_SAFE``). A key that ``before`` (a
    checkpoint of an older evogan) lacks counts at its default: a key added later, left at its default, changes
    nothing."""
    now = flat_config(after)
    old = {**{k: v for k, v in flat_config(config_to_dict(Config())).items() if k in now}, **flat_config(before)}
    return [key for key in changed_keys(old, now)
            if not any(key == safe or (safe.endswith(".") and key.startswith(safe)) for safe in RESUME_SAFE)]


def parse_override(text: str) -> tuple[list[str], Any]:
    """``KEY=VALUE`` → (key path, value). VALUE is read as TOML, else as a plain string."""
    if "=" not in text:
        raise ConfigError(f"--set expects KEY=VALUE, got {text!r}")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key:
        raise ConfigError(f"--set expects KEY=VALUE, got {text!r}")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    except RecursionError:
        raise ConfigError(f"--set {key}: the value is nested too deeply") from None
    return key.split("."), value


def _split_values(raw: str) -> list[str]:
    """``0,0.25,[1, 2],'a,b'`` → ['0', '0.25', '[1, 2]', "'a,b'"]: commas inside brackets or quotes do not split."""
    parts, depth, quote, current = [], 0, None, ""
    for char in raw:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += char
    parts.append(current.strip())
    return parts


def parse_sweeps(sweeps) -> list[list[tuple[str, str]]]:
    """``["KEY=V1,V2", ...]`` → one list of (key, raw value) per point of the Cartesian product."""
    axes, keys = [], set()
    for text in sweeps:
        if "=" not in text:
            raise ConfigError(f"--sweep expects KEY=V1,V2,..., got {text!r}")
        key, raw = (part.strip() for part in text.split("=", 1))
        values = _split_values(raw)
        if not key or not all(values):
            raise ConfigError(f"--sweep {text!r}: give a key and at least one value, e.g. p_cross=0,0.5")
        if key in keys:
            raise ConfigError(f"--sweep: {key!r} is swept twice; give all its values in one --sweep")
        keys.add(key)
        for value in values:
            parse_override(f"{key}={value}")
        axes.append([(key, value) for value in values])
    return [list(point) for point in itertools.product(*axes)]


def apply_overrides(data: dict, overrides: list[str]) -> dict:
    """Apply ``--set`` overrides to a raw config dict (validation happens afterwards)."""
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    for text in overrides:
        path, value = parse_override(text)
        node = data
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"--set {text!r}: {part!r} is not a section")
        node[path[-1]] = value
    return data


def _presets_folder() -> Path:
    """The experiment files: an installed wheel ships the repository's ``runs/`` as ``evogan/presets``; a source
    checkout (an editable install, the tests) reads ``runs/`` itself."""
    installed = Path(__file__).parents[1] / "presets"
    return installed if installed.is_dir() else Path(__file__).resolve().parents[2] / "runs"


#: the experiment files shipped with the package (``evogan config --presets``), run by name: ``evogan run ring_gan``
PRESETS = _presets_folder()
#: the experiment ``evogan run`` runs without a file: the best ring strategy measured (benchmarks/mode_collapse.py)
DEFAULT_EXPERIMENT = PRESETS / "default.toml"


def presets() -> dict[str, str]:
    """Preset name → the first line of its description (the file's leading comment)."""
    described = {}
    for path in sorted(PRESETS.glob("*.toml")):
        first = next((line for line in path.read_text().splitlines() if line.startswith("#")), "#")
        described[path.stem] = first.lstrip("# ").strip()
    return described


def resolve_config_path(path: str | Path) -> Path:
    """An existing file as given, else the preset of that name (``ring_gan``, ``ring_gan.toml``, or a clone's
    older ``runs/ring_gan.toml``)."""
    path = Path(path)
    if path.is_file():
        return path
    preset = PRESETS / f"{path.stem}.toml"
    if path.parent in (Path("."), Path("runs")) and path.suffix in ("", ".toml") and preset.is_file():
        return preset
    close = difflib.get_close_matches(path.stem, list(presets()), n=1, cutoff=0.75)
    hint = f"did you mean the preset {close[0]!r}?" if close else "`evogan config --presets` lists the built-in presets"
    raise ConfigError(f"config file not found: {path}; {hint}")


def load_config(path: str | Path | None = None, overrides: list[str] = ()) -> Config:
    """Read a TOML file (or the built-in default experiment when ``path`` is None), apply overrides, validate.

    The built-in default is ``DEFAULT_EXPERIMENT``, a run file on top of the :class:`Config` defaults.
    """
    data: dict = {}
    path = DEFAULT_EXPERIMENT if path is None else path
    if path is not None:
        path = resolve_config_path(path)
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"{path}: malformed TOML: {err}") from None
        except RecursionError:  # the parser recurses once per level of nesting
            raise ConfigError(f"{path}: nested too deeply to be a config (an evogan config has two levels)") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{path}: not a UTF-8 text file") from None
    data = apply_overrides(data, list(overrides))
    config = config_from_dict(data)
    if not config.name:
        config.name = path.stem if path is not None else "default"
    # a plugin file is relative to the TOML that names it; stored absolute, so that any process finds it
    config.plugins = [str((path.parent / p).resolve()) if is_plugin_file(p) else p for p in config.plugins]
    return config


def is_plugin_file(name: str) -> bool:
    return name.endswith(".py") or "/" in name or "\\" in name
