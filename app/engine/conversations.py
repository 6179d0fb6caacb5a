"""Conversations, persisted in SQLite in the data dir: one row per conversation, one per turn.

A conversation belongs to one owner (a signed-in user, or "" when sign-in is off) and every read names the
owner, so one user's history is never handed to another, whatever id they guess. Memory for follow-up
questions is read from here, so it survives a restart and follows the conversation, not the browser tab.

A write the data dir refuses (a full disk, a quota or file-size limit) is a StorageError saying what was not
saved; each write is all or nothing (one statement, or one transaction for a turn), so the store stays as it
was and the next write after space is freed works.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.engine.memory import Turn
from core import sqlite
from core.datadir import DataDir
from core.errors import StorageError, ZhikuError, storage_full

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    kb TEXT NOT NULL,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_owner ON conversations (owner, updated_at);
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    n INTEGER NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    PRIMARY KEY (conversation_id, n)
);
"""
TITLE_CHARS = 40


@dataclass(frozen=True)
class Conversation:
    id: str
    owner: str
    kb: str
    title: str
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class Entry:
    """One turn as the page shows it again: `detail` is the answer's JSON object (`ask --json`: sources,
    evidence, grounding, timings), empty for turns stored without it."""

    question: str
    answer: str
    detail: dict[str, Any]
    created_at: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@contextmanager
def _saving(failed: str) -> Iterator[None]:
    """`failed`: what the user is told was not done when the data dir refuses the write."""
    try:
        yield
    except sqlite3.IntegrityError:
        raise
    except (sqlite3.Error, OSError) as exc:
        cause = "disk full, a quota or a file size limit" if storage_full(exc) else "the store refused a write"
        raise StorageError(
            f"{failed}: could not write to the data dir ({cause}: {str(exc)[:200]}); free space and try again"
        ) from exc


class ConversationStore:
    def __init__(self, path: Path) -> None:
        with _saving("the conversations could not be opened"):
            self._db = sqlite.connect(path, SCHEMA, "foreign_keys=ON")
            columns = {r["name"] for r in self._db.execute("PRAGMA table_info(turns)")}
            if "detail" not in columns:  # a store from before answers were kept whole
                self._db.execute("ALTER TABLE turns ADD COLUMN detail TEXT NOT NULL DEFAULT ''")

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> ConversationStore:
        return cls(DataDir(data_dir).conversations)

    def create(self, kb: str, owner: str = "", conversation_id: str | None = None, title: str = "") -> Conversation:
        cid = conversation_id or uuid.uuid4().hex[:16]
        now = _now()
        try:
            with _saving(f"conversation {cid!r} was not created"):
                self._db.execute(
                    "INSERT INTO conversations (id, owner, kb, title, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (cid, owner, kb, title, now, now),
                )
        except sqlite3.IntegrityError:
            raise ZhikuError(f"conversation {cid!r} already exists") from None
        return Conversation(cid, owner, kb, title, now, now)

    def get(self, conversation_id: str, owner: str = "") -> Conversation | None:
        row = self._db.execute(
            "SELECT * FROM conversations WHERE id = ? AND owner = ?", (conversation_id, owner)
        ).fetchone()
        return Conversation(**dict(row)) if row else None

    def open(self, conversation_id: str, kb: str, owner: str = "") -> Conversation:
        """The conversation with this id, created when new; another owner's id is refused, not shared."""
        found = self.get(conversation_id, owner)
        if found:
            return found
        if self._db.execute("SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)).fetchone():
            raise ZhikuError(f"conversation {conversation_id!r} belongs to another user")
        return self.create(kb, owner, conversation_id)

    def turns(self, conversation_id: str, owner: str = "") -> list[Turn]:
        """The conversation's memory: questions and answers, oldest first."""
        return [Turn(e.question, e.answer) for e in self.entries(conversation_id, owner)]

    def entries(self, conversation_id: str, owner: str = "") -> list[Entry]:
        if not self.get(conversation_id, owner):
            return []
        rows = self._db.execute(
            "SELECT question, answer, detail, created_at FROM turns WHERE conversation_id = ? ORDER BY n",
            (conversation_id,),
        )
        return [Entry(r["question"], r["answer"], json.loads(r["detail"] or "{}"), r["created_at"]) for r in rows]

    def append(self, conversation_id: str, turn: Turn, owner: str = "", detail: dict[str, Any] | None = None) -> None:
        conversation = self.get(conversation_id, owner)
        if conversation is None:
            raise ZhikuError(f"no conversation {conversation_id!r}")
        title = conversation.title or turn.question.strip()[:TITLE_CHARS]
        with (
            _saving(f"this turn was not saved to conversation {conversation_id!r}"),
            sqlite.transaction(self._db) as db,
        ):
            n = db.execute("SELECT COUNT(*) FROM turns WHERE conversation_id = ?", (conversation_id,)).fetchone()[0]
            db.execute(
                "INSERT INTO turns (conversation_id, n, question, answer, detail, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (conversation_id, n, turn.question, turn.answer, json.dumps(detail or {}, ensure_ascii=False), _now()),
            )
            db.execute(
                "UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?", (title, _now(), conversation_id)
            )

    def replace_last(
        self, conversation_id: str, turn: Turn, owner: str = "", detail: dict[str, Any] | None = None
    ) -> None:
        """A regenerated answer takes the place of the last turn (the same question asked again): the conversation
        keeps one answer per question, and memory reads the new one."""
        if self.get(conversation_id, owner) is None:
            raise ZhikuError(f"no conversation {conversation_id!r}")
        with (
            _saving(f"the regenerated answer was not saved to conversation {conversation_id!r}"),
            sqlite.transaction(self._db) as db,
        ):
            n = db.execute("SELECT MAX(n) FROM turns WHERE conversation_id = ?", (conversation_id,)).fetchone()[0]
            if n is None:
                raise ZhikuError(f"conversation {conversation_id!r} has no turn to replace")
            db.execute(
                "UPDATE turns SET question = ?, answer = ?, detail = ?, created_at = ? WHERE conversation_id = ?"
                " AND n = ?",
                (turn.question, turn.answer, json.dumps(detail or {}, ensure_ascii=False), _now(), conversation_id, n),
            )
            db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (_now(), conversation_id))

    def list(self, owner: str = "", kb: str | None = None) -> list[Conversation]:
        sql, params = "SELECT * FROM conversations WHERE owner = ?", [owner]
        if kb is not None:
            sql, params = sql + " AND kb = ?", [*params, kb]
        return [Conversation(**dict(r)) for r in self._db.execute(sql + " ORDER BY updated_at DESC, id", params)]

    def rename(self, conversation_id: str, title: str, owner: str = "") -> None:
        with _saving(f"conversation {conversation_id!r} was not renamed"):
            self._db.execute(
                "UPDATE conversations SET title = ? WHERE id = ? AND owner = ?", (title, conversation_id, owner)
            )

    def delete(self, conversation_id: str, owner: str = "") -> None:
        with _saving(f"conversation {conversation_id!r} was not deleted"):
            self._db.execute("DELETE FROM conversations WHERE id = ? AND owner = ?", (conversation_id, owner))
