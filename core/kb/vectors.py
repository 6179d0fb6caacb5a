"""The vector side of a knowledge base: its chunks, their embeddings and metadata, in one Chroma collection.

Chroma's default embedding function downloads a model at first use, so collections are opened with
`embedding_function=None` and every write and query passes vectors. The collection's metadata records
the embedding model that built it; opening it with another model is refused, because mixing vector
spaces silently returns nonsense (`reindex` is the way to switch).

Chroma is imported and opened only when chunks are read or written: a re-ingest that finds nothing
changed answers from the manifest alone, in about a second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import cached_property, partial
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import numpy as np

from core.datadir import DataDir
from core.documents import Chunk, Source
from core.errors import ConfigError, EmbeddingMismatchError, StorageError, ZhikuError
from core.kb.shared_chroma import DirectChroma, EmbeddedChroma
from core.registry import Registry
from core.settings import VectorStoreSettings

if TYPE_CHECKING:
    import chromadb

T = TypeVar("T")
PAGE = 500  # chunks read or deleted per Chroma call when walking a whole collection or document

Client = Callable[[VectorStoreSettings, DataDir], "chromadb.ClientAPI"]
CLIENTS: Registry[Client] = Registry("vector store mode", "vectorstore.mode")


def _chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def embedded_client(store: VectorStoreSettings, data_dir: DataDir) -> chromadb.ClientAPI:
    """Chroma inside this process, in the data dir."""
    import chromadb

    data_dir.root.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(data_dir.chroma), settings=_chroma_settings())


def http_client(store: VectorStoreSettings, data_dir: DataDir) -> chromadb.ClientAPI:
    """A Chroma server (`chroma run`) shared by several app instances."""
    import chromadb

    headers = {"Authorization": f"Bearer {store.token}"} if store.token else None
    where = f"{'https' if store.ssl else 'http'}://{store.host}:{store.port}"
    try:
        return chromadb.HttpClient(
            host=store.host, port=store.port, ssl=store.ssl, headers=headers, settings=_chroma_settings()
        )
    except Exception as exc:  # connection refused, TLS, auth: all mean the same to the user
        raise ConfigError(f"cannot reach the Chroma server at {where} (vectorstore.*): {exc}") from exc


CLIENTS.register("embedded", embedded_client)
CLIENTS.register("http", http_client)


def open_client(data_dir: DataDir, store: VectorStoreSettings) -> chromadb.ClientAPI:
    return CLIENTS.get(store.mode)(store, data_dir)


def mismatch(kb: str, built_with: str | None, configured: str) -> EmbeddingMismatchError:
    return EmbeddingMismatchError(
        f"knowledge base {kb!r} was built with embedding model {built_with!r}, but the configuration uses "
        f"{configured!r}. Set embedding.provider back, run `python -m ingest reindex`, or ingest into a new --kb."
    )


class Neighbour(NamedTuple):
    """A stored chunk near a vector: near-duplicate checks compare its text, not only its score."""

    chunk_id: str
    similarity: float  # cosine
    text: str
    heading: str


class VectorStore:
    """One knowledge base's collection. `collection` is its name (a reindex switches to a new one).

    Every call goes through the data dir's shared client (`shared_chroma.py`), which keeps this process's view
    of the collection coherent with what other processes wrote. `follow()` names the collection the knowledge
    base uses now, with its model (the manifest's): a reindex by another process switches it. `check_model=False`
    reads a collection built by another model (the old one, during a reindex)."""

    def __init__(
        self, kb: str, model: str, collection: str, data_dir: DataDir, settings: VectorStoreSettings,
        check_model: bool = True, follow: Callable[[], tuple[str, str]] | None = None,
    ) -> None:  # fmt: skip
        self.kb, self.model, self.name = kb, model, collection
        self.data_dir, self.settings, self.check_model, self.follow = data_dir, settings, check_model, follow

    @property
    def may_hold_vectors(self) -> bool:
        """False only when nothing was ever stored here, so Chroma need not even be imported (a server may
        hold vectors already: asked)."""
        return self.settings.mode != "embedded" or self.data_dir.chroma.exists()

    @cached_property
    def _shared(self) -> EmbeddedChroma | DirectChroma:
        def connect() -> chromadb.ClientAPI:
            return open_client(self.data_dir, self.settings)

        if self.settings.mode == "embedded":
            return EmbeddedChroma.of(self.data_dir, connect)
        return DirectChroma(connect)

    def other(self, name: str, model: str, check_model: bool = True) -> VectorStore:
        """Another collection of the same store (a reindex writes the new one while reading the old)."""
        return VectorStore(self.kb, model, name, self.data_dir, self.settings, check_model)

    def _open(self, client: chromadb.ClientAPI) -> Any:
        return client.get_or_create_collection(
            name=self.name,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"zhiku_kb": self.kb, "embedding_model": self.model},
            embedding_function=None,
        )

    def _checked(self, collection: Any) -> Any:
        built_with = (collection.metadata or {}).get("embedding_model")
        if self.check_model and built_with != self.model:
            raise mismatch(self.kb, built_with, self.model)
        return collection

    def _read(self, op: Callable[[Any], T]) -> T:
        return self._shared.read(self._followed(), self._open, lambda c: op(self._checked(c)))

    def _write(self, op: Callable[[Any], T]) -> T:
        """A write Chroma refuses (its store full, its files unwritable) is a StorageError: not the document's
        fault, so an ingestion stops on it instead of failing every file after."""
        try:
            return self._shared.write(self._followed(), self._open, lambda c: op(self._checked(c)))
        except ZhikuError:
            raise
        except Exception as exc:
            raise StorageError(f"Chroma refused a write ({type(exc).__name__}: {str(exc)[:160]})") from exc

    def _followed(self) -> str:
        """Reads and writes go to the collection the manifest names, even if another process switched it."""
        name, model = self.follow() if self.follow else ("", "")
        if name and name != self.name:
            if self.check_model and model != self.model:
                raise mismatch(self.kb, model, self.model)
            self.name = name
        return self.name

    @property
    def collection(self) -> Any:
        """The Chroma collection itself, for benchmarks that compare with it; the product calls the methods."""
        return self._read(lambda c: c)

    def switch_to(self, name: str, model: str) -> None:
        """After a reindex: the new collection, built with `model`, is the one read and written from now on."""
        self.name, self.model = name, model

    def count(self) -> int:
        return int(self._read(lambda c: c.count()))

    def upsert(self, ids: Sequence[str], texts: Sequence[str], metas: Sequence[Any], vectors: np.ndarray) -> None:
        rows = {"ids": list(ids), "documents": list(texts), "metadatas": list(metas)}
        self._write(lambda c: c.upsert(**rows, embeddings=np.asarray(vectors, np.float32)))

    def add(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        self.upsert([c.id for c in chunks], [c.text for c in chunks], [c.metadata() for c in chunks], vectors)

    def nearest(self, vectors: np.ndarray, k: int) -> list[list[Neighbour]]:
        """The `k` stored chunks closest to each vector, best first, with the text their embedding was made
        from (heading path and text), so a caller can tell a copy from a look-alike; [] in an empty KB."""

        def query(collection: Any) -> dict[str, Any] | None:
            stored = collection.count() if len(vectors) else 0
            if stored == 0:
                return None
            return collection.query(
                query_embeddings=np.asarray(vectors, dtype=np.float32),
                n_results=min(k, stored),
                include=["distances", "documents", "metadatas"],
            )

        res = self._read(query)
        if res is None:
            return [[] for _ in range(len(vectors))]
        found = zip(res["ids"], res["distances"], res["documents"], res["metadatas"], strict=True)
        return [
            [
                Neighbour(cid, 1.0 - float(dist), text, str(meta.get("heading", "")))
                for cid, dist, text, meta in zip(ids, dists, texts, metas, strict=True)
            ]
            for ids, dists, texts, metas in found
        ]

    def texts(self, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """Stored chunks' (text, heading) by id; ids not stored are left out."""
        found: dict[str, tuple[str, str]] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), PAGE):
            got = self._read(partial(_get, ids=unique[start : start + PAGE], include=["documents", "metadatas"]))
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                found[cid] = (text, str(meta.get("heading", "")))
        return found

    def delete(self, ids: Sequence[str]) -> None:
        """By id, in slices: as fast in a KB of a million chunks as in one of ten."""
        for start in range(0, len(ids), PAGE):
            self._write(partial(_delete, ids=list(ids[start : start + PAGE])))

    def set_source(self, ids: Sequence[str], source: str) -> None:
        for start in range(0, len(ids), PAGE):
            self._write(partial(_cite, ids=list(ids[start : start + PAGE]), source=source))

    def walk(self, include: list[str]) -> Iterator[dict[str, Any]]:
        """Every chunk, a page at a time (each page read on its own: a walk never holds the store)."""
        offset = 0
        while True:
            batch = self._read(partial(_get, limit=PAGE, offset=offset, include=include))
            if not batch["ids"]:
                return
            yield batch
            offset += len(batch["ids"])

    def sample(self, limit: int) -> dict[str, Any]:
        """Up to `limit` chunks' texts and metadata in the store's own order: a bounded look at what it holds."""
        return self._read(partial(_get, limit=limit, offset=0, include=["documents", "metadatas"]))

    def ids(self) -> set[str]:
        return {i for batch in self.walk(include=[]) for i in batch["ids"]}

    def query(self, vector: np.ndarray, k: int, doc_ids: Sequence[str] | None = None) -> list[Source]:
        """Nearest chunks by cosine, best first; `doc_ids` restricts the search to those documents."""
        res = self._read(
            lambda c: c.query(
                query_embeddings=[np.asarray(vector, dtype=np.float32)],
                n_results=k,
                where={"doc_id": {"$in": list(doc_ids)}} if doc_ids is not None else None,
                include=["documents", "metadatas", "distances"],
            )
        )
        return [
            Source.from_chroma(cid, text, meta, 1.0 - float(dist))
            for cid, text, meta, dist in zip(
                res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True
            )
        ]

    def fetch(self, chunk_ids: Sequence[str], vector: np.ndarray) -> list[Source]:
        """Chunks by id, scored by cosine against `vector`: keyword hits get the same score as vector hits."""
        if not chunk_ids:
            return []
        got = self._read(lambda c: c.get(ids=list(chunk_ids), include=["documents", "metadatas", "embeddings"]))
        if not got["ids"]:  # none stored (the keyword index is a step ahead of a delete): nothing to score
            return []
        sims = np.asarray(got["embeddings"], dtype=np.float32) @ np.asarray(vector, dtype=np.float32)
        found = {
            cid: Source.from_chroma(cid, text, meta, float(sim))
            for cid, text, meta, sim in zip(got["ids"], got["documents"], got["metadatas"], sims, strict=True)
        }
        return [found[c] for c in chunk_ids if c in found]

    def collection_names(self) -> set[str]:
        return self._shared.read_client(lambda client: {c.name for c in client.list_collections()})

    def drop(self, name: str) -> None:
        def drop(client: chromadb.ClientAPI) -> None:
            if name in {c.name for c in client.list_collections()}:
                client.delete_collection(name)

        self._shared.write_client(name, drop)


def _get(collection: Any, **how: Any) -> dict[str, Any]:
    return collection.get(**how)


def _delete(collection: Any, ids: list[str]) -> None:
    collection.delete(ids=ids)


def _cite(collection: Any, ids: list[str], source: str) -> None:
    """The name chunks are cited by (a moved file, a copy whose first name went): metadata only, no embedding."""
    found = collection.get(ids=ids, include=["metadatas"])
    if found["ids"]:
        named = {"source": source, "title": PurePath(source).stem}  # as ingest/parse.py names a new document
        collection.update(ids=found["ids"], metadatas=[{**m, **named} for m in found["metadatas"]])
