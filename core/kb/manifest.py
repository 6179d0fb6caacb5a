"""The manifest: what a knowledge base holds, in SQLite beside Chroma, one file per knowledge base.

Chroma stores chunks; the manifest stores documents and files. A *document* is one content (sha256) and
owns the chunk ids `<doc_id>-0 … <doc_id>-(n_chunks-1)`; a *file* is a path as the user gave it, pointing at
the document its content is. Two paths with the same bytes point at one document, stored once.

Crash safety rests on the document status. A document is `writing` from before its first chunk is stored
until its last one is, and `deleting` from before its first chunk is removed; `recover()` finishes the
removal of any document left in either state, so a kill -9 at any moment leaves no orphans and no half
documents, and the next run re-ingests what it lost.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from core import sqlite
from core.documents import doc_id_of


class DocStatus(StrEnum):
    WRITING = "writing"
    READY = "ready"
    DELETING = "deleting"


class FileStatus(StrEnum):
    INGESTED = "ingested"
    FAILED = "failed"


SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    status TEXT NOT NULL,              -- writing | ready | deleting
    n_chunks INTEGER NOT NULL,         -- chunk ids are doc_id-0 .. doc_id-(n_chunks-1)
    n_stored INTEGER NOT NULL DEFAULT 0,  -- fewer than n_chunks when near-duplicates were not stored
    pages INTEGER NOT NULL DEFAULT 0,
    embedding_model TEXT NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    doc_id TEXT,                       -- NULL when the file never ingested
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    status TEXT NOT NULL,              -- ingested | failed
    error TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS files_doc ON files (doc_id);
CREATE TABLE IF NOT EXISTS dropped (  -- near-duplicate chunks not stored, kept to restore if their twin goes
    chunk_id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL,
    kept_id TEXT NOT NULL,
    kept_doc TEXT NOT NULL,
    text TEXT NOT NULL,
    metadata TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dropped_kept ON dropped (kept_doc);
CREATE INDEX IF NOT EXISTS dropped_doc ON dropped (doc_id);
CREATE INDEX IF NOT EXISTS dropped_kept_id ON dropped (kept_id);
CREATE TABLE IF NOT EXISTS tags (      -- labels given at ingestion (`--tag`), for restricting questions
    doc_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (doc_id, tag)
);
"""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class FileEntry:
    """One row of `python -m ingest list`: a file and the document its content is."""

    path: str
    doc_id: str | None
    size: int
    mtime_ns: int
    status: FileStatus
    error: str
    updated_at: str
    sha256: str = ""
    chunks: int = 0
    pages: int = 0
    embedding_model: str = ""
    ingested_at: str = ""


@dataclass(frozen=True)
class Dropped:
    chunk_id: str
    doc_id: str
    text: str
    metadata: dict[str, Any]
    kept_id: str = ""  # the stored chunk it was judged the same as


class Manifest:
    def __init__(self, path: Path) -> None:
        self.path = path
        # synchronous=FULL: a committed state survives kill -9 and power loss
        self._db = sqlite.connect(path, SCHEMA, "synchronous=FULL")

    def close(self) -> None:
        self._db.close()

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return sqlite.transaction(self._db)

    # -- meta ------------------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str = "") -> str:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- files -----------------------------------------------------------------------------------------
    def file(self, path: str) -> FileEntry | None:
        row = self._db.execute(_FILE_QUERY + " WHERE f.path = ?", (path,)).fetchone()
        return _entry(row) if row else None

    def files(self) -> list[FileEntry]:
        return [_entry(r) for r in self._db.execute(_FILE_QUERY + " ORDER BY f.path")]

    def paths_of(self, doc_id: str) -> list[str]:
        rows = self._db.execute("SELECT path FROM files WHERE doc_id = ? ORDER BY path", (doc_id,))
        return [r["path"] for r in rows]

    def paths_by_document(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for r in self._db.execute("SELECT path, doc_id FROM files WHERE doc_id IS NOT NULL ORDER BY path"):
            out.setdefault(r["doc_id"], []).append(r["path"])
        return out

    def record_file(
        self, path: str, doc_id: str | None, size: int, mtime_ns: int, status: FileStatus, error: str = ""
    ) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO files (path, doc_id, size, mtime_ns, status, error, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (path, doc_id, size, mtime_ns, status, error, now()),
        )

    def forget_file(self, path: str) -> None:
        self._db.execute("DELETE FROM files WHERE path = ?", (path,))

    # -- documents -------------------------------------------------------------------------------------
    def document(self, doc_id: str) -> sqlite3.Row | None:
        return self._db.execute("SELECT * FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()

    def is_ready(self, doc_id: str | None, embedding_model: str) -> bool:
        doc = self.document(doc_id) if doc_id else None
        return doc is not None and doc["status"] == DocStatus.READY and doc["embedding_model"] == embedding_model

    def begin_document(self, doc_id: str, sha256: str, n_chunks: int, pages: int, embedding_model: str) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO documents (doc_id, sha256, status, n_chunks, pages, embedding_model, ingested_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (doc_id, sha256, DocStatus.WRITING, n_chunks, pages, embedding_model, now()),
        )

    def finish_document(self, doc_id: str, n_stored: int) -> None:
        self._db.execute(
            "UPDATE documents SET status = ?, n_stored = ?, ingested_at = ? WHERE doc_id = ?",
            (DocStatus.READY, n_stored, now(), doc_id),
        )

    def mark_deleting(self, doc_id: str) -> None:
        self._db.execute("UPDATE documents SET status = ? WHERE doc_id = ?", (DocStatus.DELETING, doc_id))

    def remove_document(self, doc_id: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
            db.execute("DELETE FROM dropped WHERE doc_id = ?", (doc_id,))
            db.execute("DELETE FROM tags WHERE doc_id = ?", (doc_id,))
            db.execute("UPDATE files SET doc_id = NULL WHERE doc_id = ?", (doc_id,))

    def unfinished(self) -> list[sqlite3.Row]:
        return list(self._db.execute("SELECT * FROM documents WHERE status != ?", (DocStatus.READY,)))

    def document_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM documents").fetchone()[0])

    def documents(self) -> list[sqlite3.Row]:
        return list(self._db.execute("SELECT * FROM documents ORDER BY doc_id"))

    def set_embedding_model(self, model: str) -> None:
        self._db.execute("UPDATE documents SET embedding_model = ?", (model,))

    def add_tags(self, doc_id: str, tags: list[str]) -> None:
        self._db.executemany("INSERT OR IGNORE INTO tags (doc_id, tag) VALUES (?, ?)", [(doc_id, t) for t in tags])

    def tags_of(self, doc_id: str) -> list[str]:
        return [r["tag"] for r in self._db.execute("SELECT tag FROM tags WHERE doc_id = ? ORDER BY tag", (doc_id,))]

    def doc_ids_matching(self, documents: Sequence[str], file_types: Sequence[str], tags: Sequence[str]) -> list[str]:
        """Ready documents that pass every given condition: named (by id, by any of its paths, or by a file
        name alone), of one of the file types (any of its names), carrying one of the tags."""
        rows = self._db.execute("SELECT doc_id FROM documents WHERE status = ?", (DocStatus.READY,))
        ready = {r["doc_id"] for r in rows}
        names = [(r["path"], r["doc_id"]) for r in self._db.execute("SELECT path, doc_id FROM files")]
        if documents:
            wanted = set(documents)
            ready &= {d for p, d in names if p in wanted or Path(p).name in wanted} | wanted
        if file_types:
            suffixes = tuple(t.lower() if t.startswith(".") else f".{t.lower()}" for t in file_types)
            ready &= {d for p, d in names if p.lower().endswith(suffixes)}
        if tags:
            marks = ",".join("?" * len(tags))
            ready &= {r[0] for r in self._db.execute(f"SELECT doc_id FROM tags WHERE tag IN ({marks})", list(tags))}
        return sorted(ready)

    # -- near-duplicates -------------------------------------------------------------------------------
    def add_dropped(self, chunk_id: str, doc_id: str, kept_id: str, text: str, metadata: dict[str, Any]) -> None:
        kept_doc = doc_id_of(kept_id)
        self._db.execute(
            "INSERT OR REPLACE INTO dropped (chunk_id, doc_id, kept_id, kept_doc, text, metadata)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (chunk_id, doc_id, kept_id, kept_doc, text, json.dumps(metadata, ensure_ascii=False)),
        )

    def dropped_twins_of(self, doc_id: str) -> list[Dropped]:
        """Chunks of *other* documents that were not stored because this document holds their twin."""
        rows = self._db.execute(
            "SELECT * FROM dropped WHERE kept_doc = ? AND doc_id != ? ORDER BY chunk_id", (doc_id, doc_id)
        )
        return [Dropped(r["chunk_id"], r["doc_id"], r["text"], json.loads(r["metadata"])) for r in rows]

    def all_dropped(self) -> list[Dropped]:
        """Every chunk left out as a near-duplicate, with its twin: to judge them again under a new rule."""
        rows = self._db.execute("SELECT * FROM dropped ORDER BY chunk_id")
        return [Dropped(r["chunk_id"], r["doc_id"], r["text"], json.loads(r["metadata"]), r["kept_id"]) for r in rows]

    def restored(self, chunk_ids: list[str]) -> None:
        self._db.executemany("DELETE FROM dropped WHERE chunk_id = ?", [(c,) for c in chunk_ids])
        for doc_id in {doc_id_of(c) for c in chunk_ids}:
            self._db.execute(
                "UPDATE documents SET n_stored = n_stored + ? WHERE doc_id = ?",
                (sum(1 for c in chunk_ids if doc_id_of(c) == doc_id), doc_id),
            )

    def twin_paths(self, chunk_ids: Sequence[str]) -> list[str]:
        """Files holding a near-duplicate of these stored chunks (not stored themselves, cited through them):
        one query for a source and the neighbours joined to it."""
        marks = ",".join("?" * len(chunk_ids))
        rows = self._db.execute(
            f"SELECT DISTINCT f.path FROM dropped d JOIN files f ON f.doc_id = d.doc_id WHERE d.kept_id IN ({marks})"
            " ORDER BY f.path",
            tuple(chunk_ids),
        )
        return [r["path"] for r in rows]

    def count_dropped(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM dropped").fetchone()[0])


_FILE_QUERY = (
    "SELECT f.*, d.sha256, d.n_stored, d.pages, d.embedding_model, d.ingested_at"
    " FROM files f LEFT JOIN documents d ON d.doc_id = f.doc_id"
)


def _entry(row: sqlite3.Row) -> FileEntry:
    return FileEntry(
        path=row["path"],
        doc_id=row["doc_id"],
        size=row["size"],
        mtime_ns=row["mtime_ns"],
        status=FileStatus(row["status"]),
        error=row["error"],
        updated_at=row["updated_at"],
        sha256=row["sha256"] or "",
        chunks=row["n_stored"] or 0,
        pages=row["pages"] or 0,
        embedding_model=row["embedding_model"] or "",
        ingested_at=row["ingested_at"] or "",
    )
