"""What answering produces: the answer with its sources, evidence and grounding, the events that stream it,
and the per-question options. Their JSON (`to_json`) is a contract: `ask --json`, `/api/ask`, the stored
conversations and the answer cache all read it, so fields are only ever added."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.engine.evidence import Evidence
from app.engine.query import Filter
from core.documents import Source


class Grounded(StrEnum):
    """How far the answer shown is backed by the passages; `ask --json` reports it as `grounded`."""

    SUPPORTED = "supported"  # every sentence of the model's answer is in the passages
    PARTIAL = "partial"  # some sentences are not (they are flagged)
    EVIDENCE_ONLY = "evidence_only"  # quoted evidence sentences, not the model's words
    NOT_FOUND = "not_found"  # no passage cleared the relevance floor: the model was not asked
    NO_DOCUMENTS = "no_documents"  # the knowledge base (or the filter) holds nothing


class EventKind(StrEnum):
    SOURCES = "sources"  # data: Retrieval, known before the first token
    TOKEN = "token"  # data: str, the next piece of the answer
    REPLACE = "replace"  # data: str, the whole answer instead of what was streamed (it was unsupported)
    DONE = "done"  # data: Answer


@dataclass(frozen=True)
class Event:
    kind: EventKind
    data: Any


@dataclass(frozen=True)
class AskOptions:
    """Per-question choices; None means "as configured"."""

    k: int | None = None
    where: Filter | None = None
    evidence_only: bool | None = None
    use_cache: bool = True
    temperature: float | None = None
    language: str | None = None  # "zh" or "en": the answer's language; None = the question's


@dataclass(frozen=True)
class Retrieval:
    """What was searched for (the question, or a follow-up joined with the previous one) and what was found."""

    query: str
    sources: list[Source]
    retrieve_ms: float
    relevant: bool = True
    evidence: list[Evidence] = field(default_factory=list)

    def to_json(self, question: str) -> dict[str, Any]:
        """What `search --json` and `POST /api/search` return."""
        return {
            "question": question,
            "sources": [s.to_json() for s in self.sources],
            "query": self.query,
            "relevant": self.relevant,
            "evidence": [e.to_json() for e in self.evidence],
            "timings": {"retrieve_ms": round(self.retrieve_ms, 1)},
        }


@dataclass
class Answer:
    question: str
    answer: str = ""
    sources: list[Source] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    grounded: Grounded = Grounded.SUPPORTED
    flagged: list[str] = field(default_factory=list)
    query: str = ""
    cached: bool = False
    timings: dict[str, float] = field(default_factory=lambda: {"retrieve_ms": 0.0, "generate_ms": 0.0})

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "sources": [s.to_json() for s in self.sources],
            "timings": {k: round(v, 1) for k, v in self.timings.items()},
            "evidence": [e.to_json() for e in self.evidence],
            "grounded": self.grounded,
            "flagged": self.flagged,
            "query": self.query,
            "cached": self.cached,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Answer:
        sources = [Source.from_json(s) for s in data["sources"]]
        return cls(
            question=data["question"],
            answer=data["answer"],
            sources=sources,
            evidence=[Evidence.from_json(e, sources) for e in data["evidence"]],
            grounded=Grounded(data["grounded"]),
            flagged=list(data["flagged"]),
            query=data["query"],
            cached=bool(data.get("cached")),
            timings=dict(data["timings"]),
        )
