"""Components chosen by name from the settings: one registry per kind, instead of an if-chain per kind.

Each name points at "module:attribute"; the module is imported only when that name is asked for, so
choosing the e5 embedder never imports sentence-transformers, and a provider module never has to import
the registry (no cycle). `register` adds an entry directly (one defined beside its registry, a plugin, a
test's fake). An unknown name is a ConfigError listing the known ones, worded once here for every kind.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from core.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str, setting: str, builtin: dict[str, str] | None = None) -> None:
        self.kind, self.setting = kind, setting
        self._paths = dict(builtin or {})
        self._entries: dict[str, T] = {}

    def register(self, name: str, entry: T) -> None:
        self._entries[name] = entry

    @contextmanager
    def replaced(self, name: str, entry: T) -> Iterator[None]:
        """`name` resolves to `entry` inside the block, to what it was after: how the quick tests put a small
        fake where a real model would load."""
        before = self._entries.get(name)
        self._entries[name] = entry
        try:
            yield
        finally:
            if before is None:
                del self._entries[name]
            else:
                self._entries[name] = before

    @property
    def names(self) -> list[str]:
        return sorted(set(self._paths) | set(self._entries))

    def get(self, name: str) -> T:
        if name not in self._entries:
            if name not in self._paths:
                known = ", ".join(self.names)
                raise ConfigError(f"unknown {self.kind} {name!r} in {self.setting} (expected one of: {known})")
            module, _, attribute = self._paths[name].partition(":")
            self._entries[name] = getattr(importlib.import_module(module), attribute)
        return self._entries[name]
