"""Asking while it ingests (issue 20): a document is searchable by keywords as soon as its text is extracted, and by
vectors as its chunks are embedded.

The writer stores a document's words in the keyword index right after marking it `writing`, with each chunk's text
and metadata in the index's `pending` table (`KnowledgeBase.index_ahead`); each embedded batch then goes to Chroma
and leaves `pending`. Readers fuse what exists: a keyword hit not in Chroma yet is read from `pending` and embedded
while the question waits (the best `PENDING_SCORED`), so it is scored by cosine like every other passage and the
relevance floor means the same thing. Its passages carry `Source.embedding` until the document is ready.

Crash safety is the manifest's, unchanged: everything indexed ahead belongs to a `writing` document, which the next
writer removes by doc id (`recover`), keyword rows and pending rows included.

These are the knowledge base's reading functions that know about the pending half; `KnowledgeBase` delegates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, Protocol

import numpy as np

from core.documents import Source, chunk_id, doc_id_of, embedding_text
from core.embeddings import Embedder
from core.kb.lexical import LexicalIndex
from core.kb.manifest import DocStatus, FileEntry, FileStatus, Manifest
from core.kb.vectors import VectorStore


class KnowledgeBase(Protocol):
    """What these functions read of `core.kb.knowledge_base.KnowledgeBase` (which imports this module)."""

    manifest: Manifest
    vectors: VectorStore
    embedder: Embedder
    pending_vectors: dict[str, np.ndarray]  # keyword hits embedded here while their document is being embedded

    @property
    def lexical(self) -> LexicalIndex: ...

    def document_count(self) -> int: ...

    def chunk_ids(self) -> set[str]: ...


# Keyword hits not embedded yet are embedded while the question waits, the best this many by BM25: the passages a
# question shows (`retrieval.top_k`), at a bounded cost. On 2 cores loaded by others, 10 made a question take 9-11 s
# instead of 1 (e5, 400-character Chinese chunks), 5 took 4-6 s; each is embedded once per process (`PENDING_KEPT`).
PENDING_SCORED = 5
PENDING_KEPT = 4096  # vectors kept for the next questions (1.5 MiB at 384 dimensions); all dropped past it


def fetch(kb: KnowledgeBase, chunk_ids: Sequence[str], vector: np.ndarray) -> list[Source]:
    """Keyword hits as passages scored by cosine. Pending rows are read before Chroma: a chunk embedded in between
    is then found in Chroma, never lost."""
    pending = kb.lexical.pending(chunk_ids) if chunk_ids else {}
    stored = kb.vectors.fetch(chunk_ids, vector) if kb.document_count() or kb.vectors.may_hold_vectors else []
    found = {s.chunk_id: s for s in stored}
    waiting = [c for c in chunk_ids if c not in found and c in pending][:PENDING_SCORED]
    if new := [c for c in waiting if c not in kb.pending_vectors]:
        texts = [embedding_text(pending[c][0], str(pending[c][1].get("heading", ""))) for c in new]
        if len(kb.pending_vectors) + len(new) > PENDING_KEPT:
            kb.pending_vectors.clear()
        kb.pending_vectors.update(zip(new, kb.embedder.embed_documents(texts), strict=True))
    for cid in waiting:
        sim = float(kb.pending_vectors[cid] @ np.asarray(vector, dtype=np.float32))
        found[cid] = Source.from_chroma(cid, pending[cid][0], pending[cid][1], sim)
    return [found[c] for c in chunk_ids if c in found]


def embedding(kb: KnowledgeBase) -> dict[str, float]:
    """Documents being written now -> the share of their chunks embedded (0.0: searchable by keywords only). One
    manifest read when none is. A document a killed writer left is listed until the next writer undoes it."""
    writing = [d for d in kb.manifest.unfinished() if d["status"] == DocStatus.WRITING]
    if not writing:
        return {}
    pending = kb.lexical.pending_by_document()
    return {d["doc_id"]: 1.0 - pending.get(d["doc_id"], 0) / d["n_chunks"] if d["n_chunks"] else 1.0 for d in writing}


def embedding_state(share: float) -> str:
    """A document's state as the CLI and the page show it: searchable by keywords, then embedding n %, then ready."""
    if share >= 1.0:
        return "ready"
    return "searchable (keywords)" if share <= 0.0 else f"embedding {int(share * 100)} %"


def embedding_status(kb: KnowledgeBase) -> list[dict[str, Any]]:
    """Documents being embedded, named by the path their chunks cite (no file names them until they are ready)."""
    rows = []
    for doc_id, share in embedding(kb).items():
        doc = kb.manifest.document(doc_id)
        if doc is None:
            continue
        some = kb.lexical.pending([chunk_id(doc_id, i) for i in range(min(doc["n_chunks"], 50))])
        source = next((str(meta.get("source", "")) for _, meta in some.values()), "")
        rows.append({
            "path": source, "doc_id": doc_id, "status": "embedding", "chunks": doc["n_chunks"], "pages": doc["pages"],
            "state": embedding_state(share), "embedded": round(share, 3),
        })  # fmt: skip
    return rows


def listing(kb: KnowledgeBase) -> list[dict[str, Any]]:
    """Every file with its document's figures, tags and `state` ("ready", "failed"), then each document being
    embedded (status "embedding", state "searchable (keywords)" or "embedding 37 %", `embedded` its share)."""
    tags = kb.manifest.tags_of
    files = [
        {**asdict(f), "tags": tags(f.doc_id) if f.doc_id else [], "state": _file_state(f)} for f in kb.manifest.files()
    ]
    blank = asdict(FileEntry("", None, 0, 0, FileStatus.INGESTED, "", ""))  # the same keys for every row
    return files + [{**blank, **row, "tags": []} for row in embedding_status(kb)]


def _file_state(entry: FileEntry) -> str:
    return "ready" if entry.status == FileStatus.INGESTED and entry.doc_id else str(entry.status)


def check(kb: KnowledgeBase) -> list[str]:
    """Problems where the manifest, Chroma and the keyword index disagree; empty when they agree exactly. Chunks
    indexed ahead of their embedding are left out of the comparison, and must belong to a document being written."""
    problems = []
    expected: set[str] = set()
    ready: set[str] = set()  # a document being written has some chunks in Chroma and counts none stored yet
    documents = kb.manifest.documents()
    for doc in documents:
        ids = {chunk_id(doc["doc_id"], i) for i in range(doc["n_chunks"])}
        if doc["status"] != DocStatus.READY:
            problems.append(f"document {doc['doc_id']} is {doc['status']} (run ingest again to finish it)")
        else:
            ready |= ids
        expected |= ids
    dropped = kb.manifest.count_dropped()
    stored = kb.chunk_ids()
    if extra := stored - expected:
        problems.append(f"{len(extra)} chunks in Chroma belong to no document, e.g. {sorted(extra)[:3]}")
    ready_stored = sum(d["n_stored"] for d in documents if d["status"] == DocStatus.READY)
    if len(stored & ready) != ready_stored:
        problems.append(f"manifest counts {ready_stored} stored chunks, Chroma holds {len(stored & ready)}")
    pending = kb.lexical.pending_ids()
    # Over ready documents: a writing one killed between storing a batch in Chroma and clearing its pending
    # marks holds chunks in both states (its next run finishes it), and is reported above.
    if stored and (indexed := (kb.lexical.chunk_ids() - pending) & ready) != stored & ready:
        problems.append(f"keyword index holds {len(indexed)} embedded chunks, Chroma {len(stored & ready)}")
    writing = {d["doc_id"] for d in documents if d["status"] == DocStatus.WRITING}
    if stray := {c for c in pending if doc_id_of(c) not in writing}:
        problems.append(f"{len(stray)} chunks wait for embedding in no document being written")
    if len(expected) and dropped > len(expected):
        problems.append(f"{dropped} dropped near-duplicates for {len(expected)} chunk ids")
    return problems
