"""The semantic answer cache: a question very close to one already answered, on the same unchanged knowledge
base with the same settings, gets that answer at once, marked as cached.

Why it is safe: an entry is keyed by the knowledge base's version (a new id on every write: ingest, delete,
reindex), so any change to the documents makes every older entry unreachable; and by a fingerprint of what
shapes an answer (model, prompts, retrieval and answer settings). And a close question is not the same question
when it names other codes or numbers: "ZK-200主轴的最大转速" and "ZK-300主轴的最大转速" embed 0.98 alike with e5,
so an entry is reused only for a question naming the same ones (`accept`; bench/soak.py found the miss).
Only first questions are cached: a follow-up's answer depends on its conversation. Entries live in SQLite in
the data dir, per knowledge base.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from core import sqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY,
    kb TEXT NOT NULL,
    kb_version TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    question TEXT NOT NULL,
    vector BLOB NOT NULL,
    answer TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_key ON answers (kb, kb_version, fingerprint);
"""


def fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


class AnswerCache:
    def __init__(self, path: Path, min_similarity: float, max_entries: int) -> None:
        self.min_similarity = min_similarity
        self.max_entries = max_entries
        self._db = sqlite.connect(path, SCHEMA)

    def lookup(
        self, kb: str, version: str, fp: str, vector: np.ndarray, accept: Callable[[str], bool] = lambda asked: True
    ) -> tuple[dict[str, Any], float] | None:
        """The stored answer JSON closest to `vector` and its cosine, if one is close enough, among the entries
        whose question `accept` takes."""
        rows = self._db.execute(
            "SELECT question, vector, answer FROM answers WHERE kb = ? AND kb_version = ? AND fingerprint = ?",
            (kb, version, fp),
        ).fetchall()
        rows = [r for r in rows if accept(r["question"])]
        if not rows:
            return None
        matrix = np.stack([np.frombuffer(r["vector"], dtype=np.float32) for r in rows])
        sims = matrix @ np.asarray(vector, dtype=np.float32)
        best = int(np.argmax(sims))
        if float(sims[best]) < self.min_similarity:
            return None
        return json.loads(rows[best]["answer"]), float(sims[best])

    def store(self, kb: str, version: str, fp: str, question: str, vector: np.ndarray, answer: dict[str, Any]) -> None:
        with sqlite.transaction(self._db) as db:
            db.execute("DELETE FROM answers WHERE kb = ? AND kb_version != ?", (kb, version))  # unreachable now
            db.execute(
                "INSERT INTO answers (kb, kb_version, fingerprint, question, vector, answer, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (kb, version, fp, question, np.asarray(vector, dtype=np.float32).tobytes(),
                 json.dumps(answer, ensure_ascii=False), time.time()),
            )  # fmt: skip
            db.execute(
                "DELETE FROM answers WHERE kb = ? AND id NOT IN"
                " (SELECT id FROM answers WHERE kb = ? ORDER BY created_at DESC, id DESC LIMIT ?)",
                (kb, kb, self.max_entries),
            )
