"""Embedding providers behind one interface, chosen by `embedding.provider` from a registry.

A new provider is a module here with an embedder class and a `PROVIDER` (`base.Provider`), plus one line in
`PROVIDERS` below (docs/decisions/architecture.md).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from core.embeddings.base import Embedder, Provider
from core.lazy import Lazy
from core.registry import Registry
from core.settings import EmbeddingSettings

__all__ = ["PROVIDERS", "Embedder", "make_embedder"]

PROVIDERS: Registry[Provider] = Registry(
    "embedding provider",
    "embedding.provider",
    {
        "e5": "core.embeddings.e5:PROVIDER",
        "use": "core.embeddings.use:PROVIDER",
        "sentence-transformers": "core.embeddings.st:PROVIDER",
    },
)


class LazyEmbedder:
    """Loads the model on first use: a re-ingest that finds nothing changed never pays for it."""

    def __init__(self, provider: Provider, settings: EmbeddingSettings) -> None:
        self.name = provider.model_name(settings)
        self._model = Lazy(lambda: provider.load(settings))

    @property
    def dim(self) -> int:
        return self._model.get().dim

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self._model.get().embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self._model.get().embed_query(text)


@lru_cache(maxsize=4)
def _build(provider: Provider, name: str, model: str, threads: int) -> LazyEmbedder:
    settings = EmbeddingSettings.model_validate({"provider": name, "model": model, "threads": threads})
    return LazyEmbedder(provider, settings)


def make_embedder(settings: EmbeddingSettings) -> Embedder:
    """Models are loaded once per process (and only when used): the CLI's JSON Lines mode and the server reuse them.
    Keyed by the registered provider too, so a test's fake never outlives its test."""
    return _build(PROVIDERS.get(settings.provider), settings.provider, settings.model, settings.threads)
