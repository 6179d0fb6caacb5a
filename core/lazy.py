"""The one way Zhiku loads something expensive on first use (an embedding model, an LLM).

Why lazily: a re-ingest that finds nothing changed never pays for the embedder, a search never pays for the
LLM, and one model is shared by every knowledge base a server opens. Thread-safe: two first requests at once
load it once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Lazy(Generic[T]):
    def __init__(self, load: Callable[[], T]) -> None:
        self._load = load
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._load()
        return self._value
