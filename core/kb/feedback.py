"""What the team says about the answers, and what the knowledge base could not answer, per knowledge base
(tables in its manifest's SQLite file, deleted with it).

Two signals of what the documents lack: the questions voted 👎 most often, and the questions most often
answered "not found" (recorded by the answering service as it answers, no vote needed). Questions are grouped
by a key that ignores case, spacing and punctuation, so "AL-105 是什么？" and "al-105是什么" count together.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from core import sqlite
from core.kb.manifest import now

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    by TEXT NOT NULL,
    rating TEXT NOT NULL,          -- up | down
    reason TEXT NOT NULL,
    question TEXT NOT NULL,
    question_key TEXT NOT NULL,
    answer TEXT NOT NULL,          -- the answer as it was shown
    sources TEXT NOT NULL          -- JSON list, as the answer cited them
);
CREATE INDEX IF NOT EXISTS feedback_key ON feedback (question_key, rating);
CREATE TABLE IF NOT EXISTS not_found (
    question_key TEXT PRIMARY KEY,
    question TEXT NOT NULL,        -- the latest wording
    times INTEGER NOT NULL,
    last_at TEXT NOT NULL
);
"""
_NOT_WORD = re.compile(r"[\W_]+")


class Rating(StrEnum):
    UP = "up"
    DOWN = "down"


def question_key(question: str) -> str:
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", question).lower())


@dataclass(frozen=True)
class Counted:
    question: str
    times: int
    last_at: str

    def to_json(self) -> dict[str, Any]:
        return {"question": self.question, "times": self.times, "last_at": self.last_at}


class FeedbackStore:
    def __init__(self, path: Path, max_not_found: int = 10_000) -> None:
        """`path`: the knowledge base's manifest file. `max_not_found`: distinct questions kept (the least
        asked go first), so a flood of odd questions cannot grow the file without end."""
        self._db = sqlite.connect(path, SCHEMA)
        self.max_not_found = max_not_found

    def close(self) -> None:
        self._db.close()

    def add(
        self, rating: Rating, question: str, answer: str, sources: list[dict[str, Any]], reason: str = "", by: str = ""
    ) -> int:
        with sqlite.transaction(self._db) as db:
            cursor = db.execute(
                "INSERT INTO feedback (at, by, rating, reason, question, question_key, answer, sources)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (now(), by, rating, reason, question, question_key(question), answer,
                 json.dumps(sources, ensure_ascii=False)),
            )  # fmt: skip
        return int(cursor.lastrowid or 0)

    def set_reason(self, entry_id: int, reason: str) -> bool:
        """The reason a person adds after the vote (the page stores a 👍/👎 at the click, the reason when given)."""
        with sqlite.transaction(self._db) as db:
            return bool(db.execute("UPDATE feedback SET reason = ? WHERE id = ?", (reason, entry_id)).rowcount)

    def remove(self, entry_id: int) -> bool:
        """A vote taken back (the page's thumb clicked again)."""
        with sqlite.transaction(self._db) as db:
            return bool(db.execute("DELETE FROM feedback WHERE id = ?", (entry_id,)).rowcount)

    def record_not_found(self, question: str) -> None:
        key = question_key(question)
        if not key:
            return
        with sqlite.transaction(self._db) as db:
            db.execute(
                "INSERT INTO not_found (question_key, question, times, last_at) VALUES (?, ?, 1, ?)"
                " ON CONFLICT (question_key) DO UPDATE SET times = times + 1, question = excluded.question,"
                " last_at = excluded.last_at",
                (key, question, now()),
            )
            db.execute(
                "DELETE FROM not_found WHERE question_key NOT IN"
                " (SELECT question_key FROM not_found ORDER BY times DESC, last_at DESC LIMIT ?)",
                (self.max_not_found,),
            )

    def most_down(self, limit: int) -> list[Counted]:
        rows = self._db.execute(
            "SELECT question, COUNT(*) AS times, MAX(at) AS last_at FROM feedback WHERE rating = ?"
            " GROUP BY question_key ORDER BY times DESC, last_at DESC LIMIT ?",
            (Rating.DOWN, limit),
        )
        return [Counted(r["question"], r["times"], r["last_at"]) for r in rows]

    def most_not_found(self, limit: int) -> list[Counted]:
        rows = self._db.execute(
            "SELECT question, times, last_at FROM not_found ORDER BY times DESC, last_at DESC LIMIT ?", (limit,)
        )
        return [Counted(r["question"], r["times"], r["last_at"]) for r in rows]

    def entries(self, limit: int) -> list[dict[str, Any]]:
        """The latest votes, newest first, with their reasons."""
        rows = self._db.execute(
            "SELECT at, by, rating, reason, question, answer, sources FROM feedback ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [{**dict(r), "sources": json.loads(r["sources"])} for r in rows]
