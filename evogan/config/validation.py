"""Checking a config: every field's type and range (from its metadata), then the keys that only make sense together.

Plain Python (no torch), so a bad config is one line before anything heavy loads.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from typing import Any, get_args, get_origin, get_type_hints

from ..errors import ConfigError
from ..populations.topology import topology

__all__ = ["suggest", "validate", "check_combinations"]


def suggest(name: str, options, label: str, prefix: str = "") -> str:
    """``did you mean 'x'?`` when one option is close to ``name`` (a typo), else ``<label>: a, b, c``."""
    options = list(options)  # in the caller's order (a registry's: registration order)
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.75)
    if close and len(options) > 12:
        return f"did you mean {prefix + close[0]!r}? (`evogan config --reference` lists all {len(options)})"
    if close:
        return f"did you mean {prefix + close[0]!r}? ({label}: {', '.join(options)})"
    return f"{label}: {', '.join(options)}"



def _field_types(cls) -> dict[str, Any]:
    return get_type_hints(cls)


def _check_value(key: str, value: Any, typ: Any, meta: dict) -> Any:
    """Return ``value`` coerced to ``typ`` or raise a ConfigError naming ``key``."""
    if typ is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ConfigError(f"{key}: expected a finite number, got {value!r}")
    elif typ is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
    elif typ is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {value!r}")
    elif typ is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string, got {value!r}")
    elif get_origin(typ) is list and get_args(typ) == (int,):
        if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise ConfigError(f"{key}: expected a list of integers, got {value!r}")
        if any(v < 1 for v in value):
            raise ConfigError(f"{key}: {value!r} is out of range; allowed: integers >= 1")
        return sorted(value)
    elif typ is list or get_origin(typ) is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{key}: expected a list of strings, got {value!r}")
        if not value and not meta.get("empty"):
            raise ConfigError(f"{key}: expected at least one entry, got []")
        value = list(value)
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None or hi is not None:
        too_low = lo is not None and (value <= lo if meta["lo_open"] else value < lo)
        too_high = hi is not None and (value >= hi if meta["hi_open"] else value > hi)
        if too_low or too_high:
            raise ConfigError(f"{key}: {value!r} is out of range; allowed: {_range_text(meta)}")
    choices = meta.get("choices")
    if choices and value not in choices:
        raise ConfigError(f"{key}: {value!r} is not valid; {suggest(str(value), map(str, choices), 'choose one of')}")
    return value


def _range_text(meta: dict) -> str:
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and hi is not None:
        return f"{'(' if meta['lo_open'] else '['}{lo}, {hi}{')' if meta['hi_open'] else ']'}"
    if lo is not None:
        return f"{'>' if meta['lo_open'] else '>='} {lo}"
    return f"{'<' if meta['hi_open'] else '<='} {hi}"


def validate(obj, prefix: str = "") -> None:
    """Type- and range-check every field of a config dataclass in place."""
    types = _field_types(type(obj))
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(types[f.name]):
            if isinstance(value, dict):  # Config(model={"hidden": 16}) from Python
                setattr(obj, f.name, _from_dict(types[f.name], value, prefix + f.name + "."))
            elif not isinstance(value, types[f.name]):
                raise ConfigError(f"{prefix}{f.name}: expected a table, got {value!r}")
            continue  # sections are validated below, once their own fields are in place
        setattr(obj, f.name, _check_value(prefix + f.name, value, types[f.name], f.metadata))
    for f in dataclasses.fields(obj):
        sub = getattr(obj, f.name)
        if dataclasses.is_dataclass(sub):
            validate(sub, prefix + f.name + ".")


def check_combinations(obj) -> None:
    """The checks that read several keys of a whole config together."""
    if obj.schedule.warmup and obj.schedule.warmup >= obj.generations:
        raise ConfigError(f"schedule.warmup: {obj.schedule.warmup} is not below generations = {obj.generations}: the "
                          "run would end before its learning rate reached lr")
    if obj.dyngan.enabled and obj.pack > 1:
        raise ConfigError(f"dyngan.enabled: DynGAN's collapse detector reads D's logit of each real sample, and with "
                          f"pack = {obj.pack} D judges packs: a sample packed with one of a missing mode is flagged "
                          "too (measured on the grid: 105 false flags against 119 true ones); use pack = 1")
    if obj.max_cpu_seconds and "ray" in (obj.parallel.backend, obj.islands.backend if obj.islands.count > 1 else ""):
        raise ConfigError("max_cpu_seconds: a CPU budget counts this process's CPU time, and Ray's workers train in "
                          "other processes; use max_seconds (wall time) with Ray, or an in-process backend")
    if obj.update != "alternating":
        _check_one_child(obj)
    if obj.islands.count > 1:
        _check_islands(obj)


def _check_one_child(config) -> None:
    """The simultaneous and same-latents steps share one child's latents between one G and one D step: one child of
    one parent, one step each."""
    why = {"simultaneous": "takes one G and one D gradient at the same point",
           "same_latents": "trains D and then G on one child's latents"}[config.update]
    needs = {"population_size": (config.population_size, 1), "d_steps": (config.d_steps, 1),
             "g_steps": (config.g_steps, 1), "p_cross": (config.p_cross, 0.0), "mutations": (len(config.mutations), 1),
             "adversary": (config.adversary, "standard")}
    for key, (value, wanted) in needs.items():
        if value != wanted:
            shown = config.mutations if key == "mutations" else value
            raise ConfigError(f"update: {config.update!r} {why}, so it needs "
                              f"{key} = {wanted!r}{' loss' if key == 'mutations' else ''}; got {shown!r}")


def _check_islands(config) -> None:
    """The islands' keys against each other and the rest (the topology itself is checked in evogan.populations.islands)."""
    islands = config.islands
    neighbours = topology(islands.topology, islands.count, islands.rows)
    most = max(len(senders) for senders in neighbours)
    if islands.policy == "neighbourhood":
        if islands.migrants > config.population_size:
            raise ConfigError(f"islands.migrants: {islands.migrants} > population_size = {config.population_size}: an "
                              f"island cannot send more generators than it has; allowed: 0 to {config.population_size}")
        if config.adversary != "standard":
            raise ConfigError(f"islands.policy: 'neighbourhood' scores children against copies of the neighbours' "
                              f"discriminators, which needs the standard family; adversary is {config.adversary!r}")
    elif islands.migrants * most >= config.population_size:
        raise ConfigError(f"islands.migrants: {islands.migrants} from each of up to {most} neighbours would replace "
                          f"{islands.migrants * most} of population_size = {config.population_size} generators; "
                          f"allowed: migrants x neighbours < population_size")
    if islands.asynchronous and islands.backend != "ray":
        raise ConfigError("islands.asynchronous: islands in this process evolve one after another, so there is no "
                          "barrier to drop; set islands.backend = 'ray'")
    if islands.asynchronous and (islands.policy != "replace_worst" or islands.discriminators):
        raise ConfigError("islands.asynchronous: asynchronous islands migrate generators only (policy = "
                          "'replace_worst', discriminators = false)")
    if config.dyngan.enabled:
        raise ConfigError("islands.count: islands and dyngan.enabled do not combine yet; use one of them")
    if islands.discriminators and config.adversary != "standard":
        raise ConfigError(f"islands.discriminators: choosing among discriminators needs the standard family's L_D; "
                          f"adversary is {config.adversary!r}")
    if config.parallel.backend != "inprocess":
        raise ConfigError(f"islands.count: islands train their children in process for now; parallel.backend is "
                          f"{config.parallel.backend!r}, set it to 'inprocess'")


def _from_dict(cls, data: dict, prefix: str = ""):
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix.rstrip('.')}: expected a table, got {data!r}")
    types = _field_types(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in data.items():
        if key not in known:
            where = f" in [{prefix.rstrip('.')}]" if prefix else ""
            raise ConfigError(f"unknown config key {prefix + key!r}; {suggest(key, sorted(known), f'valid keys{where}', prefix)}")
        if dataclasses.is_dataclass(types[key]):
            kwargs[key] = _from_dict(types[key], value, prefix + key + ".")
        else:
            kwargs[key] = value
    obj = cls.__new__(cls)  # skip __post_init__: the whole tree is validated once, below
    for f in dataclasses.fields(cls):
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        setattr(obj, f.name, kwargs.get(f.name, default))
    if prefix == "":  # the class's own checks (Config: every field, then the keys together)
        post = getattr(obj, "__post_init__", None)
        post() if post is not None else validate(obj)
    return obj
