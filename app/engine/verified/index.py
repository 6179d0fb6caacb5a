"""A knowledge base's active verified questions, embedded and read (`match.Lexicon.read`) once, in memory: a
question is compared with all of them in one matrix product, then the best candidates are judged by the
matcher's rules. Reloaded when the store's generation changes (an add, delete, confirm or flag, by this process
or another: the CLI importing while `serve` runs).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.engine.verified.match import CODES_DIFFER, Lexicon, Reading, differs
from core.kb import KnowledgeBase
from core.kb.verified import VerifiedAnswer, VerifiedStatus
from core.settings import VerifiedSettings


@dataclass(frozen=True)
class Match:
    answer: VerifiedAnswer
    similarity: float

    def served_json(self) -> dict[str, Any]:
        """`verified` in an answer's JSON: the whole verified answer and how alike the questions were."""
        return {**self.answer.to_json(), "similarity": round(self.similarity, 4)}

    def offered_json(self) -> dict[str, Any]:
        """`verified_similar`: only the question to ask, never the answer it would get (not served)."""
        return {"id": self.answer.id, "question": self.answer.question, "similarity": round(self.similarity, 4)}


@dataclass(frozen=True)
class Lookup:
    """What the verified answers hold for a question: the one to serve, or else the closest one the rules keep
    apart for a reason other than a code or number (`similar`, offered as a question to ask, never served)."""

    served: Match | None = None
    similar: Match | None = None


def embed_questions(kb: KnowledgeBase, questions: list[str]) -> list[np.ndarray]:
    """Questions are compared with questions: each embedded as a query (e5 embeds passages differently)."""
    return [kb.embedder.embed_query(q) for q in questions]


class VerifiedIndex:
    def __init__(self, kb: KnowledgeBase, settings: VerifiedSettings) -> None:
        self.kb, self.settings = kb, settings
        self.lexicon = Lexicon(settings.synonyms, settings.general_frequency)
        self._lock = threading.Lock()
        self._generation = -1
        self._ids: list[str] = []
        self._readings: list[Reading] = []
        self._matrix = np.zeros((0, 0), dtype=np.float32)

    def __len__(self) -> int:
        self._refresh()
        return len(self._ids)

    def _refresh(self) -> None:
        store = self.kb.verified
        with self._lock:
            generation = store.generation()
            if generation == self._generation:
                return
            rows = store.active_questions()
            model = self.kb.embedder.name
            stale = [(i, q) for i, q, vector, made_by in rows if vector is None or made_by != model]
            if stale:  # added without a vector, or before a reindex to another model
                vectors = embed_questions(self.kb, [q for _, q in stale])
                store.set_vectors({i: v for (i, _), v in zip(stale, vectors, strict=True)}, model)
                # one added without a vector since then changed the generation: the next question embeds it
                rows = [r for r in store.active_questions() if r[2] is not None]
            self._ids = [r[0] for r in rows]
            self._readings = [self.lexicon.read(r[1]) for r in rows]
            stored = [np.frombuffer(r[2], dtype=np.float32) for r in rows if r[2] is not None]  # all, by now
            self._matrix = np.stack(stored) if stored else np.zeros((0, 0), dtype=np.float32)
            self._generation = generation

    def match(self, question: str, vector: np.ndarray) -> Match | None:
        """The verified answer to this question, or None: the most similar candidate the rules accept."""
        return self.lookup(question, vector).served

    def lookup(self, question: str, vector: np.ndarray) -> Lookup:
        """The most similar candidate the rules accept, or else the most similar they refuse on words alone: one
        naming another code or number ("E21" for "E12") is never offered, not even as a question to ask."""
        self._refresh()
        if not self._ids:
            return Lookup()
        sims = self._matrix @ np.asarray(vector, dtype=np.float32)
        order = np.argsort(-sims)[: self.settings.candidates]
        asked = self.lexicon.read(question)
        similar = None
        for i in order:
            if float(sims[i]) < self.settings.min_similarity:
                break
            why = differs(asked, self._readings[i])
            if why and (similar is not None or why.startswith(CODES_DIFFER)):
                continue
            answer = self.kb.verified.get(self._ids[i])
            if answer is None or answer.status != VerifiedStatus.ACTIVE:  # flagged since the last refresh
                continue
            if not why:
                return Lookup(Match(answer, float(sims[i])))
            similar = Match(answer, float(sims[i]))
        return Lookup(similar=similar)
