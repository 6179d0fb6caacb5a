"""Embedding providers behind one interface, chosen by `embedding.provider` in the settings."""

from __future__ import annotations

from functools import cached_property, lru_cache

import numpy as np

from core.embeddings.base import Embedder
from core.errors import ConfigError
from core.settings import EmbeddingSettings

__all__ = ["Embedder", "make_embedder"]


def _load(provider: str, model: str, threads: int) -> Embedder:
    if provider == "e5":
        from core.embeddings.e5 import E5Embedder

        return E5Embedder(threads)
    if provider == "use":
        from core.embeddings.use import UseEmbedder

        return UseEmbedder()
    if provider == "sentence-transformers":
        from core.embeddings.st import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(model)
    raise ConfigError(f"unknown embedding provider {provider!r} (expected e5, use or sentence-transformers)")


def model_name(provider: str, model: str) -> str:
    """The name a knowledge base records, known without loading the model."""
    if provider == "e5":
        from core.embeddings.e5 import E5Embedder

        return E5Embedder.name
    if provider == "use":
        from core.embeddings.use import UseEmbedder

        return UseEmbedder.name
    if provider == "sentence-transformers":
        from core.embeddings.st import label

        return f"sentence-transformers:{label(model)}"
    raise ConfigError(f"unknown embedding provider {provider!r} (expected e5, use or sentence-transformers)")


class LazyEmbedder:
    """Loads the model on first use: a re-ingest that finds nothing changed never pays for it."""

    def __init__(self, provider: str, model: str, threads: int) -> None:
        self.provider, self.model, self.threads = provider, model, threads
        self.name = model_name(provider, model)

    @cached_property
    def _impl(self) -> Embedder:
        return _load(self.provider, self.model, self.threads)

    @property
    def dim(self) -> int:
        return self._impl.dim

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self._impl.embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self._impl.embed_query(text)


@lru_cache(maxsize=4)
def _build(provider: str, model: str, threads: int) -> LazyEmbedder:
    return LazyEmbedder(provider, model, threads)


def make_embedder(settings: EmbeddingSettings) -> Embedder:
    """Models are loaded once per process (and only when used): the CLI's JSON Lines mode and the server reuse them."""
    return _build(settings.provider, settings.model, settings.threads)
