"""What answering produces: the answer with its sources, evidence and grounding, the events that stream it,
and the per-question options. Their JSON (`to_json`) is a contract: `ask --json`, `/api/ask`, the stored
conversations and the answer cache all read it, so fields are only ever added."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.engine.evidence import Evidence, lead_of
from app.engine.query import Filter
from core.documents import Source


class Grounded(StrEnum):
    """What the answer shown is; `ask --json` reports it as `grounded`. Never `supported` for unchecked text."""

    VERIFIED = "verified"  # a verified answer (`app/engine/verified/`), served before retrieval
    QUOTED = "quoted"  # the lead answer alone: sentences quoted from the documents
    SUPPORTED = "supported"  # the lead answer, then the model's sentences that passed every check (`verify.py`)
    NOT_FOUND = "not_found"  # nothing relevant, or the question's code is in no passage: the model was not asked
    NO_DOCUMENTS = "no_documents"  # the knowledge base (or the filter) holds nothing
    # Read from answers stored before the lead answer existed (conversations), never given to a new one:
    PARTIAL = "partial"
    EVIDENCE_ONLY = "evidence_only"


class EventKind(StrEnum):
    SOURCES = "sources"  # data: Retrieval, known before any model runs
    TOKEN = "token"  # data: str, the next piece of the answer as shown (the lead first, checked sentences after)
    DRAFT = "draft"  # data: str, the next token of the model's draft, not shown; "" first: the model has started
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
    evidence_only: bool | None = None  # quote the documents; the model is not asked
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
    missing: list[str] = field(default_factory=list)  # codes the question names that no passage found holds

    @property
    def lead(self) -> list[Evidence]:
        """The answer quoted from the documents: the best evidence."""
        return lead_of(self.evidence)

    def to_json(self, question: str) -> dict[str, Any]:
        """What `search --json` and `POST /api/search` return."""
        return {
            "question": question,
            "sources": [s.to_json() for s in self.sources],
            "query": self.query,
            "relevant": self.relevant,
            "evidence": [e.to_json() for e in self.evidence],
            "lead": [e.to_json() for e in self.lead],
            "missing": self.missing,
            "timings": {"retrieve_ms": round(self.retrieve_ms, 1)},
        }


@dataclass
class Answer:
    question: str
    answer: str = ""
    sources: list[Source] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    grounded: Grounded = Grounded.QUOTED
    query: str = ""
    cached: bool = False
    timings: dict[str, float] = field(default_factory=lambda: {"retrieve_ms": 0.0, "generate_ms": 0.0})
    supported: list[str] = field(default_factory=list)  # the model's sentences that passed every check, shown next
    draft: str = ""  # the model's whole draft, checked or not: shown only when asked for, marked as such
    checks: list[dict[str, str]] = field(default_factory=list)  # each rejected sentence and why
    missing: list[str] = field(default_factory=list)  # the question's codes no passage holds (not found)
    verified: dict[str, Any] | None = None  # the verified answer served (`VerifiedAnswer.to_json`), or None
    # When none is served: the closest verified question the matcher keeps apart, {id, question, similarity},
    # offered as a question to ask (`VerifiedFirst.answer`), or None.
    verified_similar: dict[str, Any] | None = None
    # The model's tokens for this answer (its prompt, its draft): 0 when no model ran (quoted, not found,
    # verified, cached), whatever of the draft was shown. `/v1`'s `usage` is this.
    usage: dict[str, int] = field(default_factory=lambda: Answer.usage_none())

    @property
    def lead(self) -> list[Evidence]:
        """The answer quoted from the documents, shown first: the best evidence."""
        return lead_of(self.evidence)

    @property
    def flagged(self) -> list[str]:
        """The draft's sentences that failed a check (not shown)."""
        return [c["sentence"] for c in self.checks]

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
            "lead": [e.to_json() for e in self.lead],
            "verified": self.verified,
            "verified_similar": self.verified_similar,
            "supported": self.supported,
            "draft": self.draft,
            "checks": self.checks,
            "missing": self.missing,
            "usage": self.usage,
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
            query=data["query"],
            cached=bool(data.get("cached")),
            timings=dict(data["timings"]),
            # Before issue 22, "verified" held the model's checked sentences (now "supported").
            supported=list(data.get("supported", data["verified"] if isinstance(data.get("verified"), list) else [])),
            verified=data["verified"] if isinstance(data.get("verified"), dict) else None,
            verified_similar=data.get("verified_similar") if isinstance(data.get("verified_similar"), dict) else None,
            draft=str(data.get("draft", "")),
            checks=list(data.get("checks", [])),
            missing=list(data.get("missing", [])),
            usage={k: int(v) for k, v in data.get("usage", {}).items()} or cls.usage_none(),
        )

    @staticmethod
    def usage_none() -> dict[str, int]:
        return {"prompt_tokens": 0, "completion_tokens": 0}
