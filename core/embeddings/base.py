"""The one interface every embedding provider implements, and what a provider registers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from core.settings import EmbeddingSettings


class Embedder(Protocol):
    """Turns text into L2-normalised float32 vectors.

    Documents and queries are separate calls because some models (E5) embed them with different
    prefixes; `name` identifies the model so a knowledge base can refuse vectors from another one.
    """

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


@dataclass(frozen=True)
class Provider:
    """What `embedding.provider` names: the model's name, known without loading it (a knowledge base records
    it and refuses another), and how to load it."""

    model_name: Callable[[EmbeddingSettings], str]
    load: Callable[[EmbeddingSettings], Embedder]


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Cosine search in Chroma assumes unit vectors; not every library returns them."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
