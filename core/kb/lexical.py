"""Keyword search: Okapi BM25 over jieba words, in SQLite FTS5, one file per knowledge base.

Why FTS5 and not an in-memory BM25 library (bm25s, rank-bm25): those rebuild their index to add or remove a
document, so a knowledge base of a million chunks would be re-indexed by every ingestion and loaded whole into
every process. FTS5 adds and deletes rows in place, persists by itself, answers a query without loading the
index, and ranks with the same Okapi BM25 formula (`bm25()`, k1 = 1.2, b = 0.75). Its `unicode61` tokenizer
only splits on spaces here: rows hold the words from `core.tokens.words`, joined with spaces.

The index mirrors the chunks stored in Chroma, plus the *pending* chunks of a document still being embedded:
a document's words are stored as soon as its text is extracted, with the chunk's text and metadata in `pending`
(keyword hits are shown from there until Chroma has them), so it can be searched by keywords while it is
embedded. A chunk leaves `pending` when its vector is stored. The knowledge base writes and deletes both stores
by document, and `check` compares them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import sqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS chunk_rows (
    rowid INTEGER PRIMARY KEY,
    chunk_id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunk_rows_doc ON chunk_rows (doc_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_words USING fts5 (words, tokenize = 'unicode61 remove_diacritics 0');
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pending (  -- indexed, not yet in Chroma: its document is being embedded
    chunk_id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL,
    text TEXT NOT NULL,
    metadata TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS pending_doc ON pending (doc_id);
"""
_BY_IDS = "chunk_id IN (SELECT value FROM json_each(?))"  # the chunk ids given as one JSON list


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    score: float  # BM25, higher is better


class LexicalIndex:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite.connect(path, SCHEMA)

    def close(self) -> None:
        self._db.close()

    def add(self, rows: Iterable[tuple[str, str, str]]) -> None:
        """(chunk_id, doc_id, words) rows, words from `core.tokens.index_text`; a chunk id already present is
        replaced, as Chroma's upsert does."""
        self._add(list(rows), [])

    def add_pending(self, rows: Iterable[tuple[str, str, str, str, dict[str, Any]]]) -> None:
        """(chunk_id, doc_id, words, text, metadata) rows of a document not yet embedded: searchable by keywords
        at once, shown from `pending` until `embedded` is called for them."""
        rows = list(rows)
        pending = [(cid, doc_id, text, json.dumps(meta, ensure_ascii=False)) for cid, doc_id, _, text, meta in rows]
        self._add([row[:3] for row in rows], pending)

    def _add(self, rows: list[tuple[str, str, str]], pending: list[tuple[str, str, str, str]]) -> None:
        """The rows' words, replacing any of the same chunk ids, and their `pending` rows, in one transaction."""
        if not rows:
            return
        with sqlite.transaction(self._db) as db:
            self._delete_where(db, _BY_IDS, json.dumps([r[0] for r in rows]))
            for chunk_id, doc_id, text_words in rows:
                cur = db.execute("INSERT INTO chunk_rows (chunk_id, doc_id) VALUES (?, ?)", (chunk_id, doc_id))
                db.execute("INSERT INTO chunk_words (rowid, words) VALUES (?, ?)", (cur.lastrowid, text_words))
            db.executemany(
                "INSERT OR REPLACE INTO pending (chunk_id, doc_id, text, metadata) VALUES (?, ?, ?, ?)", pending
            )

    def embedded(self, chunk_ids: Sequence[str]) -> None:
        """These chunks' vectors are stored: Chroma shows them from now on."""
        ids = json.dumps(list(chunk_ids))
        self._db.execute(f"DELETE FROM pending WHERE {_BY_IDS}", (ids,))

    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        """Chunks indexed ahead of their embedding that are not stored after all (near-duplicates)."""
        ids = json.dumps(list(chunk_ids))
        with sqlite.transaction(self._db) as db:
            self._delete_where(db, _BY_IDS, ids)

    def pending(self, chunk_ids: Sequence[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        """The text and metadata of those of these chunks that are not embedded yet."""
        rows = self._db.execute(
            f"SELECT chunk_id, text, metadata FROM pending WHERE {_BY_IDS}",
            (json.dumps(list(chunk_ids)),),
        )
        return {cid: (text, json.loads(meta)) for cid, text, meta in rows}

    def pending_by_document(self) -> dict[str, int]:
        """Chunks not embedded yet, per document (empty when no document is being embedded)."""
        rows = self._db.execute("SELECT doc_id, COUNT(*) FROM pending GROUP BY doc_id")
        return {doc_id: int(n) for doc_id, n in rows}

    def pending_ids(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT chunk_id FROM pending")}

    def delete_document(self, doc_id: str) -> None:
        with sqlite.transaction(self._db) as db:
            self._delete_where(db, "doc_id = ?", doc_id)

    @staticmethod
    def _delete_where(db: sqlite3.Connection, condition: str, param: str) -> None:
        """The words go first, by the row ids the condition picks, then the rows (pending ones too)."""
        db.execute(f"DELETE FROM chunk_words WHERE rowid IN (SELECT rowid FROM chunk_rows WHERE {condition})", (param,))
        db.execute(f"DELETE FROM chunk_rows WHERE {condition}", (param,))
        db.execute(f"DELETE FROM pending WHERE {condition}", (param,))

    def search(self, terms: Sequence[str], k: int, doc_ids: Sequence[str] | None = None) -> list[Hit]:
        """Chunks holding any of `terms` (a question's words, `core.tokens.query_words`), best BM25 first;
        `doc_ids` restricts the documents."""
        if not terms or k <= 0 or (doc_ids is not None and not doc_ids):
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        sql = (
            "SELECT r.chunk_id, bm25(chunk_words) AS s FROM chunk_words"
            " JOIN chunk_rows r ON r.rowid = chunk_words.rowid WHERE chunk_words MATCH ?"
        )
        params: list[object] = [match]
        if doc_ids is not None:
            sql += f" AND r.doc_id IN ({','.join('?' * len(doc_ids))})"
            params += list(doc_ids)
        sql += " ORDER BY s LIMIT ?"
        params.append(k)
        return [Hit(chunk_id, -float(score)) for chunk_id, score in self._db.execute(sql, params)]

    def words_of(self, chunk_ids: Sequence[str]) -> dict[str, str]:
        """The stored words of these chunks: reranking and the relevance floor reuse them instead of jieba."""
        if not chunk_ids:
            return {}
        rows = self._db.execute(
            "SELECT r.chunk_id, w.words FROM chunk_rows r JOIN chunk_words w ON w.rowid = r.rowid"
            f" WHERE r.chunk_id IN ({','.join('?' * len(chunk_ids))})",
            list(chunk_ids),
        )
        return {chunk_id: text_words for chunk_id, text_words in rows}

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM chunk_rows").fetchone()[0])

    def chunk_frequency(self, terms: Iterable[str]) -> dict[str, int]:
        """How many chunks hold each word: how rare it is in the whole knowledge base."""
        sql = "SELECT COUNT(*) FROM chunk_words WHERE chunk_words MATCH ?"
        return {t: int(self._db.execute(sql, (f'"{t}"',)).fetchone()[0]) for t in terms}

    def documents_holding(self, terms: Iterable[str], max_chunks: int) -> dict[str, dict[str, int] | None]:
        """Per word, the documents whose chunks hold it and how many of their chunks do (`core/kb/subjects.py`);
        None for a word more than `max_chunks` chunks hold: counting them costs time in proportion."""
        sql = (
            "SELECT doc_id, COUNT(*) FROM (SELECT r.doc_id FROM chunk_words JOIN chunk_rows r"
            " ON r.rowid = chunk_words.rowid WHERE chunk_words MATCH ? LIMIT ?) GROUP BY doc_id"
        )
        out: dict[str, dict[str, int] | None] = {}
        for t in dict.fromkeys(terms):
            held = {d: int(n) for d, n in self._db.execute(sql, (f'"{t}"', max_chunks + 1))}
            out[t] = held if sum(held.values()) <= max_chunks else None
        return out

    def chunks_per_document(self) -> dict[str, int]:
        return {d: int(n) for d, n in self._db.execute("SELECT doc_id, COUNT(*) FROM chunk_rows GROUP BY doc_id")}

    def chunk_ids(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT chunk_id FROM chunk_rows")}

    def get_meta(self, key: str) -> str:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else ""

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
