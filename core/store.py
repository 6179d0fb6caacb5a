"""A knowledge base: one Chroma collection of chunks plus its manifest of documents and files.

Chroma's default embedding function downloads a model at first use, so collections are opened with
`embedding_function=None` and every write and query passes vectors. The collection's metadata records
the embedding model that built it; opening it with another model is refused, because mixing vector
spaces silently returns nonsense (`reindex` is the way to switch).

Chroma is imported and opened only when chunks are read or written: a re-ingest that finds nothing
changed answers from the manifest alone, in about a second.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.documents import Chunk, Source, chunk_id, embedding_text, keyword_text
from core.embeddings import Embedder, make_embedder
from core.errors import ConfigError, EmbeddingMismatchError, ZhikuError
from core.lexical import Hit, LexicalIndex
from core.manifest import Manifest
from core.settings import Settings, VectorStoreSettings
from core.tokens import index_text

if TYPE_CHECKING:
    import chromadb

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,60}[A-Za-z0-9]$|^[A-Za-z0-9]$")
_PAGE = 500  # chunks read per Chroma call when walking a whole collection


def collection_name(kb: str) -> str:
    """Chroma allows only [A-Za-z0-9._-] names; a KB may be called "工艺卡", so such names are hashed."""
    if not kb.strip():
        raise ZhikuError("a knowledge base name cannot be empty")
    if _SAFE_NAME.match(kb):
        return f"kb-{kb}"
    return "kb-" + hashlib.sha256(kb.encode("utf-8")).hexdigest()[:24]


def open_client(data_dir: Path, store: VectorStoreSettings | None = None) -> chromadb.ClientAPI:
    """Embedded Chroma in the data dir, or a Chroma server (`chroma run`) shared by several app instances."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if store is not None and store.mode == "http":
        headers = {"Authorization": f"Bearer {store.token}"} if store.token else None
        where = f"{'https' if store.ssl else 'http'}://{store.host}:{store.port}"
        try:
            return chromadb.HttpClient(
                host=store.host, port=store.port, ssl=store.ssl, headers=headers, settings=chroma_settings
            )
        except Exception as exc:  # connection refused, TLS, auth: all mean the same to the user
            raise ConfigError(f"cannot reach the Chroma server at {where} (vectorstore.*): {exc}") from exc
    data_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(data_dir / "chroma"), settings=chroma_settings)


@dataclass(frozen=True)
class KBInfo:
    """Who a knowledge base belongs to. `owner` is "" for one made without sign-in (the CLI, sign-in off):
    shared. A private one is for its owner only; the answering side enforces it (app/services.py)."""

    name: str
    owner: str = ""
    private: bool = False


def _info(manifest: Manifest, fallback: str) -> KBInfo:
    name, owner = manifest.get_meta("name") or fallback, manifest.get_meta("owner")
    return KBInfo(name, owner, manifest.get_meta("private") == "1")


def manifest_path(data_dir: Path, kb: str) -> Path:
    return data_dir / "manifests" / f"{collection_name(kb)}.sqlite3"


def kb_exists(data_dir: Path, kb: str) -> bool:
    """Without opening anything: reads must not create a knowledge base, nor open every manifest to find one."""
    return manifest_path(data_dir, kb).is_file()


def knowledge_bases(data_dir: Path) -> list[KBInfo]:
    """The knowledge bases in a data dir, by name (one manifest each)."""
    found = []
    for path in sorted((data_dir / "manifests").glob("kb-*.sqlite3")):
        manifest = Manifest(path)
        try:
            found.append(_info(manifest, path.stem.removeprefix("kb-")))
        finally:
            manifest.close()
    return sorted(found, key=lambda info: info.name)


class KnowledgeBase:
    def __init__(
        self, data_dir: Path, kb: str, embedder: Embedder, *, check_model: bool = True,
        store: VectorStoreSettings | None = None,
    ) -> None:  # fmt: skip
        """`check_model=False` only for `reindex`, which exists to change the model. `store`: where the
        vectors live (default: embedded Chroma in `data_dir`); the manifest and keyword index stay in `data_dir`."""
        self.name = kb
        self.data_dir = data_dir
        self.embedder = embedder
        self.store = store or VectorStoreSettings()
        self.manifest = Manifest(manifest_path(data_dir, kb))
        built_with = self.manifest.get_meta("embedding_model")
        if check_model and built_with and built_with != embedder.name:
            raise mismatch(kb, built_with, embedder.name)
        if self.manifest.get_meta("name") != kb:
            self.manifest.set_meta("name", kb)  # listed by its own name: the file's is hashed for "工艺卡"

    @classmethod
    def open(cls, data_dir: Path, kb: str, embedder: Embedder) -> KnowledgeBase:
        return cls(data_dir, kb, embedder)

    @classmethod
    def from_settings(cls, settings: Settings, kb: str | None = None, check_model: bool = True) -> KnowledgeBase:
        """The knowledge base as configured: its embedding model and where its vectors live."""
        embedder = make_embedder(settings.embedding)
        return cls(settings.data_dir, kb or settings.kb, embedder, check_model=check_model, store=settings.vectorstore)

    def info(self) -> KBInfo:
        return _info(self.manifest, self.name)

    def claim(self, owner: str, private: bool) -> KBInfo:
        """The first user to create a knowledge base owns it; an owned one keeps its owner and privacy."""
        with self.manifest.transaction():
            if not self.manifest.get_meta("owner"):
                self.manifest.set_meta("owner", owner)
                self.manifest.set_meta("private", "1" if private else "")
        return self.info()

    @cached_property
    def lexical(self) -> LexicalIndex:
        """The keyword index (data_dir/keywords); a knowledge base from before it existed is indexed once."""
        index = LexicalIndex(self.data_dir / "keywords" / f"{collection_name(self.name)}.sqlite3")
        if index.get_meta("complete") != "1":
            if self.manifest.document_count() and self._chroma_exists():
                for batch in self.walk(["documents", "metadatas"]):
                    index.add(lexical_rows(batch["ids"], batch["documents"], batch["metadatas"]))
            index.set_meta("complete", "1")
        return index

    # -- the Chroma side -------------------------------------------------------------------------------
    @cached_property
    def _client(self) -> chromadb.ClientAPI:
        return open_client(self.data_dir, self.store)

    @cached_property
    def _collection(self) -> Any:
        name = self.manifest.get_meta("collection") or collection_name(self.name)
        collection = self._open_collection(name)
        built_with = (collection.metadata or {}).get("embedding_model")
        if built_with != self.embedder.name:
            raise mismatch(self.name, built_with, self.embedder.name)
        return collection

    def _open_collection(self, name: str, embedder: Embedder | None = None) -> Any:
        embedder = embedder or self.embedder
        return self._client.get_or_create_collection(
            name=name,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"zhiku_kb": self.name, "embedding_model": embedder.name},
            embedding_function=None,
        )

    def count(self) -> int:
        return 0 if self._nothing_stored() else self._collection.count()

    def _nothing_stored(self) -> bool:
        return not self.manifest.document_count() and not self._chroma_exists()

    def _chroma_exists(self) -> bool:
        """False only when nothing was ever stored here, so Chroma need not even be imported (a server may
        hold vectors already: asked)."""
        return self.store.mode == "http" or (self.data_dir / "chroma").exists()

    def add(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        if not chunks:
            return
        self._collection.upsert(
            ids=[c.id for c in chunks],
            documents=[c.text for c in chunks],
            metadatas=[c.metadata() for c in chunks],
            embeddings=np.asarray(vectors, dtype=np.float32),
        )
        self.lexical.add((c.id, c.doc_id, c.words or index_text(c.keyword_text())) for c in chunks)

    @property
    def version(self) -> str:
        """Changes whenever the contents may have: answers cached for an older version are not reused."""
        return self.manifest.get_meta("version")

    def _new_version(self) -> None:
        self.manifest.set_meta("version", uuid.uuid4().hex)

    def nearest(self, vectors: np.ndarray) -> list[tuple[str, float]]:
        """(id, cosine similarity) of the stored chunk closest to each vector; ("", -1) in an empty KB."""
        if len(vectors) == 0 or self._collection.count() == 0:
            return [("", -1.0)] * len(vectors)
        res = self._collection.query(
            query_embeddings=np.asarray(vectors, dtype=np.float32), n_results=1, include=["distances"]
        )
        return [(ids[0], 1.0 - float(d[0])) for ids, d in zip(res["ids"], res["distances"], strict=True)]

    def delete_chunks(self, doc_id: str, n_chunks: int) -> None:
        """By id, in slices: as fast in a KB of a million chunks as in one of ten."""
        ids = [chunk_id(doc_id, i) for i in range(n_chunks)]
        for start in range(0, len(ids), _PAGE):
            self._collection.delete(ids=ids[start : start + _PAGE])
        self.lexical.delete_document(doc_id)

    def set_source(self, doc_id: str, n_chunks: int, source: str) -> None:
        """When a document's cited name is deleted but another name remains, cite the remaining one."""
        ids = [chunk_id(doc_id, i) for i in range(n_chunks)]
        for start in range(0, len(ids), _PAGE):
            found = self._collection.get(ids=ids[start : start + _PAGE], include=["metadatas"])
            if found["ids"]:
                metas = [{**m, "source": source} for m in found["metadatas"]]
                self._collection.update(ids=found["ids"], metadatas=metas)

    def chunk_ids(self) -> set[str]:
        return {i for batch in self.walk(include=[]) for i in batch["ids"]}

    def walk(self, include: list[str], collection: Any = None) -> Iterator[dict[str, Any]]:
        collection = collection if collection is not None else self._collection
        offset = 0
        while True:
            batch = collection.get(limit=_PAGE, offset=offset, include=include)
            if not batch["ids"]:
                return
            yield batch
            offset += len(batch["ids"])

    def sources(self) -> list[str]:
        return [f.path for f in self.manifest.files() if f.status == "ingested"]

    def query(self, vector: np.ndarray, k: int, doc_ids: Sequence[str] | None = None) -> list[Source]:
        """Nearest chunks by cosine, best first; `doc_ids` restricts the search to those documents."""
        # Not `count()`: asking Chroma for its size is one more round trip on every question, and an empty
        # collection answers a query with nothing anyway.
        if self._nothing_stored() or (doc_ids is not None and not doc_ids):
            return []
        res = self._collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=k,
            where={"doc_id": {"$in": list(doc_ids)}} if doc_ids is not None else None,
            include=["documents", "metadatas", "distances"],
        )
        return [
            Source.from_chroma(cid, text, meta, 1.0 - float(dist))
            for cid, text, meta, dist in zip(
                res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True
            )
        ]

    def keyword_search(self, query: str, k: int, doc_ids: Sequence[str] | None = None) -> list[Hit]:
        return self.lexical.search(query, k, doc_ids)

    def fetch(self, chunk_ids: Sequence[str], vector: np.ndarray) -> list[Source]:
        """Chunks by id, scored by cosine against `vector`: keyword hits get the same score as vector hits."""
        if not chunk_ids:
            return []
        got = self._collection.get(ids=list(chunk_ids), include=["documents", "metadatas", "embeddings"])
        sims = np.asarray(got["embeddings"], dtype=np.float32) @ np.asarray(vector, dtype=np.float32)
        found = {
            cid: Source.from_chroma(cid, text, meta, float(sim))
            for cid, text, meta, sim in zip(got["ids"], got["documents"], got["metadatas"], sims, strict=True)
        }
        return [found[c] for c in chunk_ids if c in found]

    # -- documents: the manifest and Chroma together ---------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[KnowledgeBase]:
        """One writer per knowledge base at a time; unfinished work of a killed writer is undone first."""
        lock_path = self.manifest.path.with_suffix(".lock")
        with lock_path.open("w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ZhikuError(f"another ingestion into knowledge base {self.name!r} is running") from None
            self._refuse_legacy()
            if not self.manifest.get_meta("collection"):
                self.manifest.set_meta("collection", collection_name(self.name))
                self.manifest.set_meta("embedding_model", self.embedder.name)
            self._new_version()  # on entry too: a writer killed half-way has changed the contents
            try:
                self.recover()
                yield self
            finally:
                self._new_version()

    def _refuse_legacy(self) -> None:
        """Zhiku 0.1 kept no manifest; writing new ids beside its chunks would duplicate every document."""
        if not self.manifest.get_meta("collection") and self._chroma_exists() and self._collection.count():
            raise ZhikuError(
                f"knowledge base {self.name!r} was built by an older Zhiku without a manifest: "
                f"ingest into a new --kb, or delete {self.data_dir} and ingest again"
            )

    def recover(self) -> int:
        """Finish removing documents a killed run left half-written or half-deleted; returns how many."""
        unfinished = self.manifest.unfinished()
        for doc in unfinished:
            self.delete_document(doc["doc_id"])
        return len(unfinished)

    def delete_document(self, doc_id: str) -> None:
        """Marked first, then chunks by id, then the row: a kill at any point is finished by `recover`."""
        doc = self.manifest.document(doc_id)
        if doc is None:
            return
        self.manifest.mark_deleting(doc_id)
        self.delete_chunks(doc_id, doc["n_chunks"])
        self._restore_twins(doc_id)
        self.manifest.remove_document(doc_id)

    def _restore_twins(self, doc_id: str) -> None:
        """Near-duplicates of other documents were skipped because this one held their twin: store them now."""
        twins = self.manifest.dropped_twins_of(doc_id)
        for start in range(0, len(twins), 64):
            batch = twins[start : start + 64]
            texts = [embedding_text(t.text, t.metadata.get("heading", "")) for t in batch]
            self._collection.upsert(
                ids=[t.chunk_id for t in batch],
                documents=[t.text for t in batch],
                metadatas=[t.metadata for t in batch],
                embeddings=self.embedder.embed_documents(texts),
            )
            ids, metas = [t.chunk_id for t in batch], [t.metadata for t in batch]
            self.lexical.add(lexical_rows(ids, [t.text for t in batch], metas))
            self.manifest.restored([t.chunk_id for t in batch])

    def names_of(self, target: str) -> list[str]:
        """A path as `list` shows it, or a document id (all of its names): what `delete` removes."""
        return [target] if self.manifest.file(target) else self.manifest.paths_of(target)

    def listing(self) -> list[dict[str, Any]]:
        """Every file with its document's figures and tags: `ingest list --json` and `GET .../documents`."""
        tags = self.manifest.tags_of
        return [{**asdict(f), "tags": tags(f.doc_id) if f.doc_id else []} for f in self.manifest.files()]

    def forget_file(self, path: str) -> None:
        """Remove one name; its document goes too when no other name has the same content."""
        entry = self.manifest.file(path)
        self.manifest.forget_file(path)
        if entry is None or entry.doc_id is None:
            return
        remaining = self.manifest.paths_of(entry.doc_id)
        if not remaining:
            self.delete_document(entry.doc_id)
        else:
            self.set_source(entry.doc_id, entry_chunks(self.manifest, entry.doc_id), remaining[0])

    def check(self) -> list[str]:
        """Problems where the manifest and Chroma disagree; empty when they agree exactly."""
        problems = []
        expected: set[str] = set()
        for doc in self.manifest.documents():
            if doc["status"] != "ready":
                problems.append(f"document {doc['doc_id']} is {doc['status']} (run ingest again to finish it)")
            expected |= {chunk_id(doc["doc_id"], i) for i in range(doc["n_chunks"])}
        dropped = self.manifest.count_dropped()
        stored = self.chunk_ids() if self._chroma_exists() else set()
        if extra := stored - expected:
            problems.append(f"{len(extra)} chunks in Chroma belong to no document, e.g. {sorted(extra)[:3]}")
        ready_stored = sum(d["n_stored"] for d in self.manifest.documents() if d["status"] == "ready")
        if len(stored & expected) != ready_stored:
            problems.append(f"manifest counts {ready_stored} stored chunks, Chroma holds {len(stored & expected)}")
        if stored and self.lexical.chunk_ids() != stored:
            problems.append(f"keyword index holds {self.lexical.count()} chunks, Chroma {len(stored)}")
        if len(expected) and dropped > len(expected):
            problems.append(f"{dropped} dropped near-duplicates for {len(expected)} chunk ids")
        return problems

    def reindex(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Re-embed every stored chunk with the configured model into a new collection, then switch to it.

        The old collection stays readable until the switch, so a crash leaves the KB as it was.
        """
        old_name = self.manifest.get_meta("collection") or collection_name(self.name)
        exists = old_name in {c.name for c in self._client.list_collections()}
        old = self._client.get_collection(old_name) if exists else None
        new_name = "kb-" + hashlib.sha256(f"{self.name}\0{self.embedder.name}\0{old_name}".encode()).hexdigest()[:24]
        if new_name == old_name:
            new_name = new_name[:-1] + ("0" if new_name[-1] != "0" else "1")
        self._drop_collection(new_name)
        new = self._open_collection(new_name)
        total = old.count() if old is not None else 0
        done = 0
        for batch in self.walk(["documents", "metadatas"], old) if old is not None else []:
            pairs = zip(batch["documents"], batch["metadatas"], strict=True)
            vectors = self.embedder.embed_documents([embedding_text(t, m.get("heading", "")) for t, m in pairs])
            new.upsert(ids=batch["ids"], documents=batch["documents"], metadatas=batch["metadatas"], embeddings=vectors)
            done += len(batch["ids"])
            if progress:
                progress(done, total)
        with self.manifest.transaction():
            self.manifest.set_meta("collection", new_name)
            self.manifest.set_meta("embedding_model", self.embedder.name)
            self.manifest.set_embedding_model(self.embedder.name)
        self._drop_collection(old_name)
        self.__dict__.pop("_collection", None)
        return done

    def _drop_collection(self, name: str) -> None:
        if name in {c.name for c in self._client.list_collections()}:
            self._client.delete_collection(name)


def lexical_rows(ids: Sequence[str], texts: Sequence[str], metas: Sequence[Any]) -> list[tuple[str, str, str]]:
    return [
        (cid, str(m.get("doc_id") or cid.rsplit("-", 1)[0]), index_text(keyword_text(t, str(m.get("heading", "")))))
        for cid, t, m in zip(ids, texts, metas, strict=True)
    ]


def mismatch(kb: str, built_with: str | None, configured: str) -> EmbeddingMismatchError:
    return EmbeddingMismatchError(
        f"knowledge base {kb!r} was built with embedding model {built_with!r}, but the configuration uses "
        f"{configured!r}. Set embedding.provider back, run `python -m ingest reindex`, or ingest into a new --kb."
    )


def entry_chunks(manifest: Manifest, doc_id: str) -> int:
    doc = manifest.document(doc_id)
    return int(doc["n_chunks"]) if doc else 0
