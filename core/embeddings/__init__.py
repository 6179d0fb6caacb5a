"""Embedding providers behind one interface, chosen by `embedding.provider` in the settings."""

from __future__ import annotations

from functools import lru_cache

from core.embeddings.base import Embedder
from core.errors import ConfigError
from core.settings import EmbeddingSettings

__all__ = ["Embedder", "make_embedder"]


@lru_cache(maxsize=4)
def _build(provider: str, model: str) -> Embedder:
    if provider == "e5":
        from core.embeddings.e5 import E5Embedder

        return E5Embedder()
    if provider == "use":
        from core.embeddings.use import UseEmbedder

        return UseEmbedder()
    if provider == "sentence-transformers":
        from core.embeddings.st import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(model)
    raise ConfigError(f"unknown embedding provider {provider!r} (expected e5, use or sentence-transformers)")


def make_embedder(settings: EmbeddingSettings) -> Embedder:
    """Models are loaded once per process: the CLI's JSON Lines mode and the server reuse them."""
    return _build(settings.provider, settings.model)
