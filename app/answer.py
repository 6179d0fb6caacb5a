"""The question-answering pipeline: follow-up handling → retrieval → prompt → streamed generation.

`stream()` yields events so the CLI and the chat page show the same thing: the sources first (they are
known before the first token), then the answer text as it is generated, then the finished `Answer`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from app import prompts
from app.llm import LocalLLM
from app.memory import Turn, recent, retrieval_query
from app.retrieval import search
from core.documents import Source
from core.lang import detect_language
from core.settings import Settings
from core.store import KnowledgeBase


@dataclass
class Answer:
    question: str
    answer: str = ""
    sources: list[Source] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=lambda: {"retrieve_ms": 0.0, "generate_ms": 0.0})

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "sources": [s.to_json() for s in self.sources],
            "timings": {k: round(v, 1) for k, v in self.timings.items()},
        }


@dataclass(frozen=True)
class Retrieval:
    """What was searched for (the question, or a follow-up joined with the previous one) and what was found."""

    query: str
    sources: list[Source]
    retrieve_ms: float


@dataclass(frozen=True)
class Event:
    kind: str  # "sources" (data: Retrieval) | "token" (data: str) | "done" (data: Answer)
    data: Any


class AnswerService:
    def __init__(self, settings: Settings, kb: KnowledgeBase, llm: LocalLLM | None = None) -> None:
        self.settings = settings
        self.kb = kb
        self._llm = llm

    @property
    def llm(self) -> LocalLLM:
        """Loaded on first use, so `search` never pays for the LLM."""
        if self._llm is None:
            self._llm = LocalLLM(self.settings.llm, self.settings.models_dir)
        return self._llm

    def retrieve(self, question: str, history: list[Turn], k: int | None = None) -> Retrieval:
        """The one place the retrieval query is derived, so what the page shows is what was searched."""
        query = retrieval_query(question, history, self.settings.memory.followup_max_chars)
        sources, ms = search(self.kb, query, k or self.settings.retrieval.top_k)
        return Retrieval(query, sources, ms)

    def search(self, question: str, k: int | None = None, history: list[Turn] | None = None) -> list[Source]:
        return self.retrieve(question, recent(history or [], self.settings.memory.max_turns), k).sources

    def stream(self, question: str, history: list[Turn] | None = None, k: int | None = None) -> Iterator[Event]:
        history = recent(history or [], self.settings.memory.max_turns)
        retrieval = self.retrieve(question, history, k)
        answer = Answer(question=question, sources=retrieval.sources)
        answer.timings["retrieve_ms"] = retrieval.retrieve_ms
        yield Event("sources", retrieval)
        started = time.perf_counter()
        for piece in self._generate(question, answer.sources, history):
            answer.answer += piece
            yield Event("token", piece)
        if not answer.answer.strip():
            # A tiny model sometimes says nothing; the best passage is still a truthful answer.
            fallback = prompts.empty_answer(self.settings.prompts_dir, detect_language(question), answer.sources)
            answer.answer = fallback
            yield Event("token", fallback)
        answer.answer = answer.answer.strip()
        answer.timings["generate_ms"] = (time.perf_counter() - started) * 1000
        yield Event("done", answer)

    def ask(self, question: str, history: list[Turn] | None = None, k: int | None = None) -> Answer:
        *_, last = self.stream(question, history, k)
        return last.data

    def _generate(self, question: str, sources: list[Source], history: list[Turn]) -> Iterator[str]:
        lang = detect_language(question)
        pdir = self.settings.prompts_dir
        if not sources:
            yield prompts.load_template(pdir, "no_documents", lang).strip()
            return
        context = prompts.format_context(sources, self.settings.llm.context_chars)
        if self.llm.style == "chat":
            yield from self.llm.stream_chat(prompts.chat_messages(pdir, lang, question, context, history))
        else:
            yield from self.llm.stream_completion(prompts.completion_prompt(pdir, lang, question, context, history))
