"""The naive LangChain pipeline's pieces, shared by the benchmarks that compare against it (evaluation only)."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

from core.embeddings import Embedder


class ZhikuEmbeddings(Embeddings):
    """The project's embedder as a LangChain `Embeddings`; batches like LangChain's HuggingFaceEmbeddings
    (sentence-transformers encodes 32 at a time), because `Chroma.add_texts` passes every text in one call."""

    def __init__(self, embedder: Embedder, batch_size: int) -> None:
        self.embedder, self.batch_size = embedder, batch_size

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        step = self.batch_size
        return [
            v.tolist() for i in range(0, len(texts), step) for v in self.embedder.embed_documents(texts[i : i + step])
        ]

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text).tolist()
