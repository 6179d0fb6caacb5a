"""A knowledge base is one Chroma collection, always filled with our own embeddings.

Chroma's default embedding function downloads a model at first use, so collections are opened with
`embedding_function=None` and every write and query passes vectors. The collection's metadata records
the embedding model that built it; opening it with another model is refused, because mixing vector
spaces silently returns nonsense.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings

from core.documents import Chunk, Source
from core.embeddings import Embedder
from core.errors import EmbeddingMismatchError, ZhikuError

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,60}[A-Za-z0-9]$|^[A-Za-z0-9]$")


def collection_name(kb: str) -> str:
    """Chroma allows only [A-Za-z0-9._-] names; a KB may be called "工艺卡", so such names are hashed."""
    if not kb.strip():
        raise ZhikuError("a knowledge base name cannot be empty")
    if _SAFE_NAME.match(kb):
        return f"kb-{kb}"
    return "kb-" + hashlib.sha256(kb.encode("utf-8")).hexdigest()[:24]


def open_client(data_dir: Path) -> chromadb.ClientAPI:
    data_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(
        path=str(data_dir / "chroma"), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    )


class KnowledgeBase:
    def __init__(self, client: chromadb.ClientAPI, kb: str, embedder: Embedder) -> None:
        self.name = kb
        self.embedder = embedder
        self._collection = client.get_or_create_collection(
            name=collection_name(kb),
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"zhiku_kb": kb, "embedding_model": embedder.name, "embedding_dim": embedder.dim},
            embedding_function=None,
        )
        built_with = (self._collection.metadata or {}).get("embedding_model")
        if built_with != embedder.name:
            raise EmbeddingMismatchError(
                f"knowledge base {kb!r} was built with embedding model {built_with!r}, but the configuration "
                f"uses {embedder.name!r}. Set embedding.provider back, or ingest into a new --kb."
            )

    @classmethod
    def open(cls, data_dir: Path, kb: str, embedder: Embedder) -> KnowledgeBase:
        return cls(open_client(data_dir), kb, embedder)

    def count(self) -> int:
        return self._collection.count()

    def is_complete(self, source: str, doc_sha256: str) -> bool:
        """True when every chunk of this exact file content is stored (a crash mid-write leaves it False)."""
        where = {"$and": [{"source": source}, {"doc_sha256": doc_sha256}]}
        found = self._collection.get(where=where, include=["metadatas"])
        if not found["ids"]:
            return False
        expected = int(found["metadatas"][0].get("n_chunks", -1))
        return len(found["ids"]) == expected

    def delete_source(self, source: str) -> None:
        self._collection.delete(where={"source": source})

    def add(self, chunks: Sequence[Chunk], vectors: np.ndarray, n_chunks: int) -> None:
        if not chunks:
            return
        self._collection.upsert(
            ids=[c.id for c in chunks],
            documents=[c.text for c in chunks],
            metadatas=[{**c.metadata(), "n_chunks": n_chunks} for c in chunks],
            embeddings=np.asarray(vectors, dtype=np.float32),
        )

    def sources(self) -> list[str]:
        """Distinct documents in the KB, for listings; fine at first-cut scale (the manifest replaces it)."""
        metas = self._collection.get(include=["metadatas"])["metadatas"] or []
        return sorted({str(m["source"]) for m in metas})

    def query(self, vector: np.ndarray, k: int) -> list[Source]:
        if self.count() == 0:
            return []
        res = self._collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=k,
            include=["documents", "metadatas", "distances"],
        )
        return [
            Source.from_chroma(text, meta, dist)
            for text, meta, dist in zip(res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True)
        ]
