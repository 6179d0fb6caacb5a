"""A knowledge base: its documents' lifecycle over three stores kept in step.

- the manifest (SQLite): documents, the files that name them, tags, near-duplicates not stored;
- the vectors (Chroma, `core/kb/vectors.py`): the chunks and their embeddings;
- the keyword index (SQLite FTS5, `core/kb/lexical.py`): the chunks' words, mirroring Chroma chunk for chunk,
  plus those of a document still being embedded (stored first, so it is searchable by keywords at once).

Every change goes through here, under one writer lock per knowledge base, in an order a kill at any moment
can be finished from (`recover`). Ingestion decides *what* to store; this class decides *how*, so no other
module writes the manifest, Chroma or the keyword index.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

import core.kb.ahead as ahead
import core.kb.subjects as subjects
from core.datadir import DataDir
from core.documents import Chunk, Source, chunk_id, doc_id_of, embedding_text, keyword_text
from core.embeddings import Embedder, make_embedder
from core.errors import ZhikuError
from core.kb.catalog import KBInfo, collection_name, read_info
from core.kb.lexical import Hit, LexicalIndex
from core.kb.manifest import Dropped, FileEntry, FileStatus, Manifest
from core.kb.reindex import reindexed
from core.kb.vectors import Neighbour, VectorStore, mismatch
from core.kb.verified import VerifiedStore
from core.kb.writer_lock import writer_lock
from core.settings import Settings, VectorStoreSettings
from core.tokens import index_text

_TWIN_BATCH = 64  # near-duplicates re-embedded per call when their twin's document goes


class KnowledgeBase:
    def __init__(
        self, data_dir: Path, kb: str, embedder: Embedder, *, check_model: bool = True,
        store: VectorStoreSettings | None = None, writer_wait_s: float = 0.0,
    ) -> None:  # fmt: skip
        """`check_model=False` only for `reindex`, which changes the model. `store`: where the vectors live
        (default: Chroma in the data dir). `writer_wait_s`: how long a write waits for another (`writing`)."""
        self.name = kb
        self.writer_wait_s = writer_wait_s
        self.on_wait: Callable[[], None] | None = None  # told once when a write has to wait its turn
        self.dirs = DataDir(data_dir)
        self.embedder = embedder
        self.manifest = Manifest(self.dirs.manifest(collection_name(kb)))
        built_with = self.manifest.get_meta("embedding_model")
        if check_model and built_with and built_with != embedder.name:
            raise mismatch(kb, built_with, embedder.name)
        if self.manifest.get_meta("name") != kb:
            self.manifest.set_meta("name", kb)  # listed by its own name: the file's is hashed for "工艺卡"
        collection = self.manifest.get_meta("collection") or collection_name(kb)
        self._counted: tuple[str | None, int] = (None, 0)  # (version, chunks), see `_chunk_total`
        self._shape: tuple[str | None, subjects.Shape | None] = (None, None)  # (version, shape), see `subjects`
        self.pending_vectors: dict[str, np.ndarray] = {}  # `core/kb/ahead.py`: chunks embedded by a reader
        self.vectors = VectorStore(
            kb, embedder.name, collection, self.dirs, store or VectorStoreSettings(),
            follow=lambda: (self.manifest.get_meta("collection"), self.manifest.get_meta("embedding_model")),
        )  # fmt: skip

    @cached_property
    def verified(self) -> VerifiedStore:
        """Its verified answers (`core/kb/verified.py`), flagged here when a document they rest on goes."""
        return VerifiedStore(self.manifest.path)

    # -- who owns it -----------------------------------------------------------------------------------
    def info(self) -> KBInfo:
        return read_info(self.manifest, self.name)

    def claim(self, owner: str, private: bool) -> KBInfo:
        """The first user to create a knowledge base owns it; an owned one keeps its owner and privacy."""
        with self.manifest.transaction():
            if not self.manifest.get_meta("owner"):
                self.manifest.set_meta("owner", owner)
                self.manifest.set_meta("private", "1" if private else "")
        return self.info()

    # -- reading ---------------------------------------------------------------------------------------
    @cached_property
    def lexical(self) -> LexicalIndex:
        """The keyword index; a knowledge base from before it existed is indexed once."""
        index = LexicalIndex(self.dirs.keywords(collection_name(self.name)))
        if index.get_meta("complete") != "1":
            if self.manifest.document_count() and self.vectors.may_hold_vectors:
                for batch in self.vectors.walk(["documents", "metadatas"]):
                    index.add(lexical_rows(batch["ids"], batch["documents"], batch["metadatas"]))
            index.set_meta("complete", "1")
        return index

    @property
    def version(self) -> str:
        """Changes whenever the contents may have: answers cached for an older version are not reused."""
        return self.manifest.get_meta("version")

    def _nothing_stored(self) -> bool:
        return not self.manifest.document_count() and not self.vectors.may_hold_vectors

    def count(self) -> int:
        """Chunks stored."""
        return 0 if self._nothing_stored() else self.vectors.count()

    def document_count(self) -> int:
        return self.manifest.document_count()

    def chunk_ids(self) -> set[str]:
        return self.vectors.ids() if self.vectors.may_hold_vectors else set()

    def query(self, vector: np.ndarray, k: int, doc_ids: Sequence[str] | None = None) -> list[Source]:
        """Nearest chunks by cosine, best first; `doc_ids` restricts the search to those documents."""
        # Not `count()`: asking Chroma for its size is one more round trip on every question, and an empty
        # collection answers a query with nothing anyway.
        if self._nothing_stored() or (doc_ids is not None and not doc_ids):
            return []
        return self.vectors.query(vector, k, doc_ids)

    def keyword_search(self, words: Sequence[str], k: int, doc_ids: Sequence[str] | None = None) -> list[Hit]:
        return self.lexical.search(words, k, doc_ids)

    def fetch(self, chunk_ids: Sequence[str], vector: np.ndarray) -> list[Source]:
        """Keyword hits scored by cosine, those of a document still being embedded too (`core/kb/ahead.py`)."""
        return ahead.fetch(self, chunk_ids, vector)

    def embedding(self) -> dict[str, float]:
        """Documents being embedded -> the share of their chunks embedded."""
        return ahead.embedding(self)

    def rarity(self, words: Sequence[str]) -> dict[str, float]:
        """Each word's smoothed inverse chunk frequency in the knowledge base (a word no chunk holds weighs most)."""
        total = self._chunk_total()
        return {w: math.log((total + 1) / (n + 0.5)) for w, n in self.lexical.chunk_frequency(words).items()}

    def subjects(self, words: Sequence[str], max_chunks: int) -> dict[str, float]:
        """doc_id -> how much the document is about the question's words (`core/kb/subjects.py`); the documents'
        sizes and file names are read once per version of the contents."""
        version, (seen, shape) = self.version, self._shape
        if shape is None or seen != version:
            shape = subjects.Shape.read(self.lexical, self.manifest.paths_by_document())
            self._shape = (version, shape)
        return subjects.scores(self.lexical, shape, words, max_chunks)

    def _chunk_total(self) -> int:
        """Chunks in the keyword index, counted once per version of the contents: a COUNT over every chunk on
        each question costs milliseconds in a knowledge base of a million."""
        version = self.version
        if self._counted[0] != version:
            self._counted = (version, self.lexical.count())
        return self._counted[1]

    def stored_words(self, chunk_ids: Sequence[str]) -> dict[str, str]:
        """The words the keyword index stored for these chunks: reranking reuses them instead of jieba."""
        return self.lexical.words_of(chunk_ids)

    def doc_ids_matching(self, documents: Sequence[str], file_types: Sequence[str], tags: Sequence[str]) -> list[str]:
        return self.manifest.doc_ids_matching(documents, file_types, tags)

    def also_in(self, src: Source) -> tuple[str, ...]:
        """Other files holding this passage: copies of its document, and those whose near-duplicate was not stored."""
        paths = self.manifest.paths_of(src.doc_id) + self.manifest.twin_paths((src.chunk_id, *src.joined))
        return tuple(dict.fromkeys(p for p in paths if p != src.source))

    def sample(self, limit: int) -> list[tuple[str, dict[str, Any]]]:
        """Up to `limit` stored chunks (text, metadata) in the store's own order: a bounded look at what the KB
        holds (the first screen's example questions); none from an empty one, whose Chroma is never opened."""
        if not self.document_count():
            return []
        found = self.vectors.sample(limit)
        return list(zip(found["documents"], found["metadatas"], strict=True))

    def files(self) -> list[FileEntry]:
        return self.manifest.files()

    def paths_of(self, doc_id: str) -> list[str]:
        return self.manifest.paths_of(doc_id)

    def has_ready(self, doc_id: str | None) -> bool:
        """The document is stored whole, by this KB's embedding model."""
        return self.manifest.is_ready(doc_id, self.embedder.name)

    def unchanged_document(self, path: str, size: int, mtime_ns: int) -> str | None:
        """The document `path` names when the file is recorded as ingested with this size and mtime and its
        document is stored whole: an unchanged file, skipped without being read."""
        entry = self.manifest.file(path)
        if entry is None or entry.doc_id is None or entry.status != FileStatus.INGESTED:
            return None
        same = (entry.size, entry.mtime_ns) == (size, mtime_ns)
        return entry.doc_id if same and self.has_ready(entry.doc_id) else None

    def names_of(self, target: str) -> list[str]:
        """A path as `list` shows it, or a document id (all of its names): what `delete` removes."""
        return [target] if self.manifest.file(target) else self.manifest.paths_of(target)

    def listing(self) -> list[dict[str, Any]]:
        """Every file, then every document being embedded, with its state: `ingest list --json`, `GET .../documents`."""
        return ahead.listing(self)

    # -- writing: one writer at a time -----------------------------------------------------------------
    @contextmanager
    def writing(self, wait_s: float | None = None) -> Iterator[KnowledgeBase]:
        """One writer per knowledge base at a time, in any thread or process: another waits its turn up to
        `wait_s` (default `writer_wait_s`), then BusyError. Unfinished work of a killed writer is undone first."""
        wait_s = self.writer_wait_s if wait_s is None else wait_s
        with writer_lock(self.manifest.path.with_suffix(".lock"), self.name, wait_s, self.on_wait):
            self._refuse_legacy()
            if not self.manifest.get_meta("collection"):
                self.manifest.set_meta("collection", self.vectors.name)
                self.manifest.set_meta("embedding_model", self.embedder.name)
            self._new_version()  # on entry too: a writer killed half-way has changed the contents
            try:
                self.recover()
                yield self
            finally:
                self._new_version()

    def _new_version(self) -> None:
        self.manifest.set_meta("version", uuid.uuid4().hex)

    def _refuse_legacy(self) -> None:
        """Zhiku 0.1 kept no manifest; writing new ids beside its chunks would duplicate every document."""
        if not self.manifest.get_meta("collection") and self.vectors.may_hold_vectors and self.vectors.count():
            raise ZhikuError(
                f"knowledge base {self.name!r} was built by an older Zhiku without a manifest: "
                f"ingest into a new --kb, or delete {self.dirs.root} and ingest again"
            )

    def recover(self) -> int:
        """Finish removing documents a killed run left half-written or half-deleted; returns how many."""
        unfinished = self.manifest.unfinished()
        for doc in unfinished:
            self.delete_document(doc["doc_id"])
        return len(unfinished)

    def add(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Chunks into Chroma and the keyword index together; those indexed ahead (`index_ahead`) only leave
        the index's pending list."""
        if not chunks:
            return
        self.vectors.add(chunks, vectors)
        staged = set(self.lexical.pending([c.id for c in chunks]))
        self.lexical.embedded(sorted(staged))
        self.lexical.add(
            (c.id, c.doc_id, c.words or index_text(c.keyword_text())) for c in chunks if c.id not in staged
        )

    def index_ahead(self, chunks: Sequence[Chunk]) -> None:
        """A document's chunks into the keyword index before they are embedded, with their texts: it is
        searchable by keywords from now on (`fetch` shows them), by vectors batch by batch. Only between
        `begin_document` and `finish_document`: a killed run's are undone with the document, by doc id."""
        self.lexical.add_pending(
            (c.id, c.doc_id, c.words or index_text(c.keyword_text()), c.text, c.metadata()) for c in chunks
        )

    def nearest(self, vectors: np.ndarray, k: int) -> list[list[Neighbour]]:
        """The `k` stored chunks nearest each vector, with their texts (near-duplicate checks)."""
        return self.vectors.nearest(vectors, k)

    def begin_document(self, doc_id: str, sha256: str, n_chunks: int, pages: int, replacing: str) -> None:
        """Marked `writing` before its first chunk is stored. The document `replacing` named until now goes
        first when no other file names it, so its chunks are not taken for near-duplicates of the new ones."""
        entry = self.manifest.file(replacing)
        self.manifest.begin_document(doc_id, sha256, n_chunks, pages, self.embedder.name)
        if entry and entry.doc_id and entry.doc_id != doc_id and self.manifest.paths_of(entry.doc_id) == [replacing]:
            self.delete_document(entry.doc_id)

    def drop_twin(self, chunk: Chunk, kept_id: str) -> None:
        """A near-duplicate of stored chunk `kept_id` is not stored; kept to be restored if its twin goes."""
        self.manifest.add_dropped(chunk.id, chunk.doc_id, kept_id, chunk.text, chunk.metadata())
        self.lexical.delete_chunks([chunk.id])  # indexed ahead, not stored after all

    def finish_document(self, doc_id: str, n_stored: int, path: str, size: int, mtime_ns: int, tags: list[str]) -> None:
        """Ready, and named by `path`, in one transaction."""
        with self.manifest.transaction():
            self.manifest.finish_document(doc_id, n_stored)
            self.name_file(path, doc_id, size, mtime_ns, tags)

    def name_file(self, path: str, doc_id: str, size: int, mtime_ns: int, tags: list[str]) -> None:
        """`path` now names the stored document `doc_id`; the document it named before is released."""
        entry = self.manifest.file(path)
        self.manifest.record_file(path, doc_id, size, mtime_ns, FileStatus.INGESTED)
        self.manifest.add_tags(doc_id, tags)
        if entry and entry.doc_id and entry.doc_id != doc_id:
            self.release(entry.doc_id)

    def tag(self, doc_id: str, tags: list[str]) -> None:
        self.manifest.add_tags(doc_id, tags)

    def record_failure(self, path: str, error: str, size: int = 0, mtime_ns: int = 0) -> None:
        """The failure is recorded; an older version of the file, if any, stays searchable."""
        entry = self.manifest.file(path)
        self.manifest.record_file(path, entry.doc_id if entry else None, size, mtime_ns, FileStatus.FAILED, error)

    def delete(self, targets: Sequence[str]) -> dict[str, list[str]]:
        """Each target (a path as listed, or a document id: all of its names) -> the paths removed; an empty
        list for a target the knowledge base does not hold. Under the writer lock."""
        removed: dict[str, list[str]] = {}
        with self.writing():
            for target in targets:
                removed[target] = self.names_of(target)
                for path in removed[target]:
                    self.forget_file(path)
        return removed

    def forget_file(self, path: str) -> None:
        """Remove one name; its document goes too when no other name has the same content."""
        entry = self.manifest.file(path)
        self.manifest.forget_file(path)
        if entry is not None and entry.doc_id is not None:
            self.release(entry.doc_id)

    def release(self, doc_id: str) -> None:
        """A name of `doc_id` is gone: delete the document if it has no other name, else cite the remaining one."""
        remaining = self.manifest.paths_of(doc_id)
        if not remaining:
            self.delete_document(doc_id)
        else:
            self.vectors.set_source(self._chunk_ids(doc_id), remaining[0])

    def _chunk_ids(self, doc_id: str) -> list[str]:
        doc = self.manifest.document(doc_id)
        return [chunk_id(doc_id, i) for i in range(int(doc["n_chunks"]) if doc else 0)]

    def delete_document(self, doc_id: str) -> None:
        """Marked first, then chunks by id, then the row: a kill at any point is finished by `recover`."""
        if self.manifest.document(doc_id) is None:
            return
        self.verified.flag_documents([doc_id], "the document changed or was deleted")  # before it goes
        self.manifest.mark_deleting(doc_id)
        self.vectors.delete(self._chunk_ids(doc_id))
        self.lexical.delete_document(doc_id)
        self.restore_dropped(self.manifest.dropped_twins_of(doc_id))  # their twin is gone: store them now
        self.manifest.remove_document(doc_id)

    def restore_dropped(self, twins: Sequence[Dropped]) -> None:
        """Store chunks left out as near-duplicates after all (embedded now, in batches)."""
        for start in range(0, len(twins), _TWIN_BATCH):
            batch = twins[start : start + _TWIN_BATCH]
            ids, texts, metas = [t.chunk_id for t in batch], [t.text for t in batch], [t.metadata for t in batch]
            vectors = self.embedder.embed_documents(
                [embedding_text(t.text, t.metadata.get("heading", "")) for t in batch]
            )
            self.vectors.upsert(ids, texts, metas, vectors)
            self.lexical.add(lexical_rows(ids, texts, metas))
            self.manifest.restored(ids)

    def rejudge_dropped(self, rule: str, same: Callable[[Dropped, str, str], bool]) -> int:
        """Chunks left out under an older near-duplicate rule than `rule` are judged again, once: those that
        `same(dropped, kept text, kept heading)` no longer finds the same as their twin are stored."""
        if self.manifest.get_meta("dropped_rule") == rule:
            return 0
        dropped = self.manifest.all_dropped()
        kept = self.vectors.texts([d.kept_id for d in dropped]) if dropped else {}
        distinct = [d for d in dropped if d.kept_id not in kept or not same(d, *kept[d.kept_id])]
        self.restore_dropped(distinct)
        self.manifest.set_meta("dropped_rule", rule)
        return len(distinct)

    # -- maintenance -----------------------------------------------------------------------------------
    def check(self) -> list[str]:
        """Problems where the manifest, Chroma and the keyword index disagree; empty when they agree exactly."""
        return ahead.check(self)

    def reindex(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Re-embed every stored chunk with the configured model into a new collection, then switch to it; the
        old one stays readable until the switch, so a crash leaves the KB as it was (`core/kb/reindex.py`)."""
        return reindexed(self, progress)


def lexical_rows(ids: Sequence[str], texts: Sequence[str], metas: Sequence[Any]) -> list[tuple[str, str, str]]:
    return [
        (cid, str(m.get("doc_id") or doc_id_of(cid)), index_text(keyword_text(t, str(m.get("heading", "")))))
        for cid, t, m in zip(ids, texts, metas, strict=True)
    ]


def open_kb(settings: Settings, kb: str | None = None, check_model: bool = True) -> KnowledgeBase:
    """The one way to open a knowledge base as configured: its embedding model and where its vectors live.
    `check_model=False` only to reindex or to list files (which reads the manifest alone)."""
    embedder = make_embedder(settings.embedding)
    name = kb or settings.kb
    return KnowledgeBase(
        settings.data_dir, name, embedder, check_model=check_model, store=settings.vectorstore,
        writer_wait_s=settings.ingest.writer_wait_s,
    )  # fmt: skip
