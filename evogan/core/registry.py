"""Name → function registries (losses, fitness, selection, datasets, ...).

Looking up an unknown name raises a :class:`~evogan.config.ConfigError` that
lists the valid names, so a typo in a TOML file is one clear line.
"""

from __future__ import annotations

from typing import Callable, Iterator

from ..config import ConfigError, suggest

__all__ = ["Registry", "UnknownNameError"]


class UnknownNameError(ConfigError, KeyError):
    def __str__(self):  # KeyError would quote the message
        return self.args[0]


class Registry:
    """A named mapping of plain functions (or classes) that users may extend."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, Callable] = {}

    def register(self, name: str, fn: Callable | None = None):
        """``REG.register("x", fn)`` or ``@REG.register("x")``; re-registering replaces."""
        if fn is None:
            return lambda f: self.register(name, f)
        if not name or not isinstance(name, str):
            raise ValueError(f"{self.kind} names must be non-empty strings, got {name!r}")
        self._items[name] = fn
        return fn

    def unregister(self, name: str) -> Callable:
        """Remove ``name`` (e.g. a test's temporary entry); returns what it held. Unknown names raise as ``get`` does."""
        fn = self.get(name)
        del self._items[name]
        return fn

    def get(self, name: str, key: str | None = None) -> Callable:
        try:
            return self._items[name]
        except (KeyError, TypeError):
            where = f"{key}: " if key else ""
            raise UnknownNameError(
                f"{where}unknown {self.kind} {name!r}; {suggest(str(name), self.names(), 'valid names')}"
            ) from None

    def names(self) -> list[str]:
        return list(self._items)

    def __contains__(self, name) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, name: str) -> Callable:
        return self.get(name)

    def __repr__(self):
        return f"Registry({self.kind}: {', '.join(self.names())})"
