"""Verified answers: a question, the answer a person vouches for, and the passages it rests on, kept with the
knowledge base (tables in its manifest's SQLite file, so they go wherever the knowledge base goes, and are
deleted with it).

Kept honest: when a document a verified answer rests on leaves the knowledge base (deleted, or its file
re-ingested with other content, which replaces the document), the answer is flagged `to_review` in the same
step (`KnowledgeBase.delete_document` calls `flag_documents` before it removes anything), and it is not served
until someone confirms it. Written with synchronous=FULL like the manifest: a confirmed write survives kill -9.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from core import sqlite
from core.errors import ZhikuError
from core.kb.feedback import question_key
from core.kb.manifest import now

SCHEMA = """
CREATE TABLE IF NOT EXISTS verified (
    id TEXT PRIMARY KEY,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    by TEXT NOT NULL,
    at TEXT NOT NULL,
    status TEXT NOT NULL,              -- active | to_review
    review_reason TEXT NOT NULL DEFAULT '',
    vector BLOB,                       -- the question's embedding, by `model`; NULL until first matched
    model TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS verified_sources (
    verified_id TEXT NOT NULL,
    doc_id TEXT NOT NULL,              -- '' for a source named by a file the knowledge base did not hold
    name TEXT NOT NULL,
    page INTEGER,
    text_sha256 TEXT NOT NULL DEFAULT ''  -- of the passage ticked, when one was
);
CREATE INDEX IF NOT EXISTS verified_sources_doc ON verified_sources (doc_id);
CREATE INDEX IF NOT EXISTS verified_sources_id ON verified_sources (verified_id);
CREATE TABLE IF NOT EXISTS verified_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class VerifiedStatus(StrEnum):
    ACTIVE = "active"  # served to a question that matches it
    TO_REVIEW = "to_review"  # a document it rests on changed or went: not served until confirmed


@dataclass(frozen=True)
class VerifiedSource:
    doc_id: str
    name: str
    page: int | None = None
    text_sha256: str = ""


@dataclass(frozen=True)
class VerifiedAnswer:
    id: str
    question: str
    answer: str
    by: str
    at: str
    status: VerifiedStatus = VerifiedStatus.ACTIVE
    sources: tuple[VerifiedSource, ...] = field(default_factory=tuple)
    review_reason: str = ""

    def to_json(self) -> dict[str, Any]:
        """`verified` in the JSON of `ask`, and each entry of `verified list`."""
        return {
            "id": self.id, "question": self.question, "answer": self.answer, "by": self.by, "at": self.at,
            "status": self.status, "review_reason": self.review_reason, "sources": [asdict(s) for s in self.sources],
        }  # fmt: skip


class VerifiedStore:
    def __init__(self, path: Path) -> None:
        """`path`: the knowledge base's manifest file."""
        self._db = sqlite.connect(path, SCHEMA, "synchronous=FULL")

    def close(self) -> None:
        self._db.close()

    def generation(self) -> int:
        """Changes on every write, from any process: the matcher's index reloads when it does."""
        row = self._db.execute("SELECT value FROM verified_state WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    def _bump(self, db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO verified_state (key, value) VALUES ('generation', 1)"
            " ON CONFLICT (key) DO UPDATE SET value = value + 1"
        )

    def add(self, question: str, answer: str, by: str, sources: Sequence[VerifiedSource] = ()) -> VerifiedAnswer:
        """One verified answer, its vector left to the matcher (`add_all`)."""
        (item,) = self.add_all([(question, answer, sources, None)], by)
        return item

    def add_all(
        self, rows: Sequence[tuple[str, str, Sequence[VerifiedSource], np.ndarray | None]], by: str, model: str = ""
    ) -> list[VerifiedAnswer]:
        """(question, answer, sources, the question's vector by `model` or None) rows, in one transaction: an import
        is stored whole or not at all. A question already verified (`question_key`: same words, case and
        punctuation aside), before or earlier in `rows`, is replaced."""
        items = []
        with sqlite.transaction(self._db) as db:
            existing = {question_key(r["question"]): r["id"] for r in db.execute("SELECT id, question FROM verified")}
            for question, answer, sources, vector in rows:
                item = VerifiedAnswer(
                    uuid.uuid4().hex[:12], question.strip(), answer.strip(), by, now(), sources=tuple(sources)
                )
                if (old := existing.get(question_key(item.question))) is not None:
                    self._delete(db, old)
                db.execute(
                    "INSERT INTO verified (id, question, answer, by, at, status, vector, model)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (item.id, item.question, item.answer, item.by, item.at, item.status,
                     None if vector is None else _blob(vector), model if vector is not None else ""),
                )  # fmt: skip
                self._write_sources(db, item.id, sources)
                existing[question_key(item.question)] = item.id
                items.append(item)
            self._bump(db)
        return items

    @staticmethod
    def _write_sources(db: sqlite3.Connection, verified_id: str, sources: Sequence[VerifiedSource]) -> None:
        db.execute("DELETE FROM verified_sources WHERE verified_id = ?", (verified_id,))
        db.executemany(
            "INSERT INTO verified_sources (verified_id, doc_id, name, page, text_sha256) VALUES (?, ?, ?, ?, ?)",
            [(verified_id, s.doc_id, s.name, s.page, s.text_sha256) for s in sources],
        )

    def get(self, verified_id: str) -> VerifiedAnswer | None:
        row = self._db.execute("SELECT * FROM verified WHERE id = ?", (verified_id,)).fetchone()
        return self._answer(row) if row else None

    def answers(self, status: VerifiedStatus | None = None) -> list[VerifiedAnswer]:
        where, args = ("WHERE status = ?", (status,)) if status else ("", ())
        rows = self._db.execute(f"SELECT * FROM verified {where} ORDER BY at, id", args).fetchall()
        return [self._answer(r) for r in rows]

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM verified").fetchone()[0])

    def _answer(self, row: sqlite3.Row) -> VerifiedAnswer:
        sources = self._db.execute(
            "SELECT doc_id, name, page, text_sha256 FROM verified_sources WHERE verified_id = ? ORDER BY rowid",
            (row["id"],),
        )
        return VerifiedAnswer(
            row["id"], row["question"], row["answer"], row["by"], row["at"], VerifiedStatus(row["status"]),
            tuple(VerifiedSource(s["doc_id"], s["name"], s["page"], s["text_sha256"]) for s in sources),
            row["review_reason"],
        )  # fmt: skip

    def delete(self, verified_id: str) -> bool:
        with sqlite.transaction(self._db) as db:
            gone = self._delete(db, verified_id)
            self._bump(db)
        return gone

    @staticmethod
    def _delete(db: sqlite3.Connection, verified_id: str) -> bool:
        gone = db.execute("DELETE FROM verified WHERE id = ?", (verified_id,)).rowcount
        db.execute("DELETE FROM verified_sources WHERE verified_id = ?", (verified_id,))
        return bool(gone)

    def edit(
        self, verified_id: str, question: str, answer: str, by: str, vector: np.ndarray | None, model: str = "",
        sources: Sequence[VerifiedSource] | None = None,
    ) -> VerifiedAnswer | None:  # fmt: skip
        """New words for a verified answer, its id and status kept (a flagged one stays to review: editing the
        words is not confirming them against the changed document), its sources too unless `sources` are given.
        Who edited it is its new `by`. None when there is no such answer; ZhikuError when another verified answer
        already asks the new question."""
        with sqlite.transaction(self._db) as db:
            if db.execute("SELECT 1 FROM verified WHERE id = ?", (verified_id,)).fetchone() is None:
                return None
            key = question_key(question)
            for row in db.execute("SELECT id, question FROM verified WHERE id != ?", (verified_id,)):
                if question_key(row["question"]) == key:
                    raise ZhikuError(f"verified answer {row['id']} already asks {row['question']!r}")
            db.execute(
                "UPDATE verified SET question = ?, answer = ?, by = ?, at = ?, vector = ?, model = ? WHERE id = ?",
                (question.strip(), answer.strip(), by, now(), None if vector is None else _blob(vector),
                 model if vector is not None else "", verified_id),
            )  # fmt: skip
            if sources is not None:
                self._write_sources(db, verified_id, sources)
            self._bump(db)
        return self.get(verified_id)

    def confirm(self, verified_id: str, by: str, sources: Sequence[VerifiedSource] | None = None) -> bool:
        """Served again: someone vouches for it with the documents as they are now. `sources`, when given,
        replace the old ones (which may name documents that are gone)."""
        with sqlite.transaction(self._db) as db:
            done = db.execute(
                "UPDATE verified SET status = ?, review_reason = '', by = ?, at = ? WHERE id = ?",
                (VerifiedStatus.ACTIVE, by, now(), verified_id),
            ).rowcount
            if done and sources is not None:
                self._write_sources(db, verified_id, sources)
            self._bump(db)
        return bool(done)

    def flag_documents(self, doc_ids: Sequence[str], why: str) -> int:
        """Every active answer resting on one of these documents goes to review; returns how many."""
        if not doc_ids:
            return 0
        marks = ",".join("?" * len(doc_ids))
        with sqlite.transaction(self._db) as db:
            rows = db.execute(
                f"SELECT DISTINCT s.verified_id, s.name FROM verified_sources s JOIN verified v ON v.id = s.verified_id"
                f" WHERE s.doc_id IN ({marks}) AND v.status = ?",
                (*doc_ids, VerifiedStatus.ACTIVE),
            ).fetchall()
            for row in rows:
                db.execute(
                    "UPDATE verified SET status = ?, review_reason = ? WHERE id = ?",
                    (VerifiedStatus.TO_REVIEW, f"{row['name']}: {why}", row["verified_id"]),
                )
            if rows:
                self._bump(db)
        return len({r["verified_id"] for r in rows})

    # -- the matcher's vectors -------------------------------------------------------------------------
    def active_questions(self) -> list[tuple[str, str, bytes | None, str]]:
        """(id, question, vector or None, model) of every active answer."""
        rows = self._db.execute(
            "SELECT id, question, vector, model FROM verified WHERE status = ? ORDER BY id", (VerifiedStatus.ACTIVE,)
        )
        return [(r["id"], r["question"], r["vector"], r["model"]) for r in rows]

    def set_vectors(self, vectors: dict[str, np.ndarray], model: str) -> None:
        """Not a change anyone sees: the generation stays, so other processes need not reload."""
        with sqlite.transaction(self._db) as db:
            db.executemany(
                "UPDATE verified SET vector = ?, model = ? WHERE id = ?",
                [(_blob(v), model, i) for i, v in vectors.items()],
            )


def _blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()
