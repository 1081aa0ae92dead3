"""One flat-ish config with documented defaults and strict overrides.

The package: ``schema`` (the dataclasses), ``validation`` (types, ranges, keys together), ``loading`` (files,
presets, overrides, resume rules) and ``reference`` (the generated table); everything is importable from here.

Top-level keys describe the evolutionary strategy; a few sections group the
rest (``[data]``, ``[model]``, ``[metrics]``, ``[log]``, ``[parallel]``, ``[dyngan]``, ``[islands]``). Every field
carries its documentation and its allowed range in ``metadata``; the manual's
config reference is generated from it (``evogan config``). Unknown keys, wrong
types and out-of-range values raise :class:`ConfigError` naming the key.
Names that refer to registries (losses, datasets, ...) are checked when the
strategy is built, before any training, against the live registries, so that
user-registered names are accepted.
"""

from ..errors import ConfigError  # re-exported: ConfigError has always been importable from here
from .loading import (DEFAULT_EXPERIMENT, PRESETS, RESUME_SAFE, apply_overrides, changed_keys, config_from_dict,
                      config_to_dict, config_to_toml, flat_config, is_plugin_file, load_config, parse_override,
                      parse_sweeps, presets, resolve_config_path, unsafe_to_resume)
from .reference import config_reference
from .schema import (Config, DataConfig, DynganConfig, IslandsConfig, LogConfig, MetricsConfig, ModelConfig,
                     ParallelConfig, ScheduleConfig)
from .validation import suggest, validate

__all__ = [
    "parse_sweeps",
    "PRESETS",
    "presets",
    "resolve_config_path",
    "Config",
    "ConfigError",
    "DataConfig",
    "ModelConfig",
    "MetricsConfig",
    "LogConfig",
    "ParallelConfig",
    "DynganConfig",
    "IslandsConfig",
    "ScheduleConfig",
    "load_config",
    "DEFAULT_EXPERIMENT",
    "apply_overrides",
    "parse_override",
    "config_to_dict",
    "config_to_toml",
    "config_reference",
    "config_from_dict",
    "flat_config",
    "changed_keys",
    "unsafe_to_resume",
    "RESUME_SAFE",
    "is_plugin_file",
    "suggest",
    "validate",
]
