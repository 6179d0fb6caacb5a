"""The question-answering pipeline: follow-up handling → retrieval → evidence → generation → grounding check.

`stream()` yields events so the CLI and the chat page show the same thing: the sources and evidence first
(they are known before the first token), then the answer text as it is generated, then the finished `Answer`.
When nothing clears the relevance floor, the LLM is not asked at all: the answer is "not found" in the
question's language, with the closest passages shown. When nothing in the LLM's answer is supported by the
passages, the answer is replaced by the evidence sentences, with a note saying so.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np

from app import prompts
from app.answer_cache import AnswerCache, fingerprint
from app.evidence import Evidence, check_grounding, focus, pick_evidence
from app.llm import LLM, make_llm
from app.memory import Turn, recent, rewrite_query
from app.rerank import make_reranker
from app.retrieval import Filter, Retriever
from core.documents import Source
from core.lang import detect_language
from core.settings import Settings
from core.store import KnowledgeBase

# How far the answer is backed by the passages; `ask --json` reports it as `grounded`.
SUPPORTED, PARTIAL, EVIDENCE_ONLY, NOT_FOUND, NO_DOCUMENTS = (
    "supported", "partial", "evidence_only", "not_found", "no_documents"
)  # fmt: skip


@dataclass
class Answer:
    question: str
    answer: str = ""
    sources: list[Source] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    grounded: str = SUPPORTED
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
            grounded=data["grounded"],
            flagged=list(data["flagged"]),
            query=data["query"],
            cached=bool(data.get("cached")),
            timings=dict(data["timings"]),
        )


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


@dataclass(frozen=True)
class Event:
    kind: str  # "sources" (data: Retrieval) | "token" (data: str) | "replace" (data: str) | "done" (data: Answer)
    data: Any


class AnswerService:
    def __init__(self, settings: Settings, kb: KnowledgeBase, llm: LLM | None = None) -> None:
        self.settings = settings
        self.kb = kb
        self._llm = llm
        self.retriever = Retriever(kb, settings.retrieval, make_reranker(settings.retrieval))

    @property
    def llm(self) -> LLM:
        """Loaded on first use, so `search` never pays for the LLM."""
        if self._llm is None:
            self._llm = make_llm(self.settings.llm, self.settings.models_dir)
        return self._llm

    def retrieve(
        self, question: str, history: list[Turn], options: AskOptions, vector: np.ndarray | None = None
    ) -> Retrieval:
        """The one place the retrieval query is derived, so what the page shows is what was searched."""
        memory = self.settings.memory
        llm_rewrite = self._llm_rewrite if memory.rewrite == "llm" else None
        query = rewrite_query(question, history, memory.followup_max_chars, llm_rewrite)
        if query != question:
            vector = None
        found = self.retriever.search(query, options.k or self.settings.retrieval.top_k, options.where, vector)
        n_evidence = self.settings.answer.evidence_sentences
        evidence = pick_evidence(query, found.sources, n_evidence) if found.relevant else []
        return Retrieval(query, found.sources, found.ms, found.relevant, evidence)

    def search(self, question: str, history: list[Turn] | None = None, options: AskOptions | None = None) -> Retrieval:
        return self.retrieve(question, self._recent(history), options or AskOptions())

    def stream(
        self, question: str, history: list[Turn] | None = None, options: AskOptions | None = None
    ) -> Iterator[Event]:
        options = options or AskOptions()
        history = self._recent(history)
        cache_key = self._cache_key(question, history, options)
        vector = self.kb.embedder.embed_query(question) if cache_key else None
        if cache_key and vector is not None and (hit := self._cached(cache_key, vector)):
            yield from hit
            return
        retrieval = self.retrieve(question, history, options, vector)
        answer = Answer(question, sources=retrieval.sources, evidence=retrieval.evidence, query=retrieval.query)
        answer.timings["retrieve_ms"] = retrieval.retrieve_ms
        yield Event("sources", retrieval)
        started = time.perf_counter()
        lang = options.language or detect_language(question)
        only_evidence = self.settings.answer.evidence_only if options.evidence_only is None else options.evidence_only
        if not retrieval.sources:
            answer.grounded, text = NO_DOCUMENTS, self._template("no_documents", lang)
        elif not retrieval.relevant:
            answer.grounded, text = NOT_FOUND, self._template("not_found", lang)
        elif only_evidence:
            answer.grounded, text = EVIDENCE_ONLY, self._evidence_text(retrieval.evidence, lang)
        else:
            text = None
        if text is not None:
            answer.answer = text
            yield Event("token", text)
        else:
            yield from self._generate_checked(answer, history, lang, options.temperature)
        answer.timings["generate_ms"] = (time.perf_counter() - started) * 1000
        if cache_key and vector is not None:
            self.cache.store(self.kb.name, cache_key[0], cache_key[1], question, vector, answer.to_json())
        yield Event("done", answer)

    def ask(self, question: str, history: list[Turn] | None = None, options: AskOptions | None = None) -> Answer:
        *_, last = self.stream(question, history, options)
        return last.data

    # -- the semantic cache ----------------------------------------------------------------------------
    @cached_property
    def cache(self) -> AnswerCache:
        c = self.settings.cache
        return AnswerCache(self.settings.data_dir / "answer_cache.sqlite3", c.min_similarity, c.max_entries)

    def _cache_key(self, question: str, history: list[Turn], options: AskOptions) -> tuple[str, str] | None:
        """(KB version, settings fingerprint), or None when this question must not use the cache."""
        if not (self.settings.cache.enabled and options.use_cache) or history or options.where:
            return None
        s = self.settings
        fp = fingerprint(
            s.llm.model_dump(exclude={"api_key"}), s.retrieval, s.answer, options.k, options.evidence_only,
            options.temperature, options.language, prompts.fingerprint(s.prompts_dir),
        )  # fmt: skip
        return self.kb.version, fp

    def _cached(self, key: tuple[str, str], vector: np.ndarray) -> Iterator[Event] | None:
        started = time.perf_counter()
        found = self.cache.lookup(self.kb.name, key[0], key[1], vector)
        if found is None:
            return None
        answer = Answer.from_json(found[0])
        answer.cached, answer.timings = True, {"retrieve_ms": 0.0, "generate_ms": 0.0}
        answer.timings["cache_ms"] = (time.perf_counter() - started) * 1000
        retrieval = Retrieval(answer.query, answer.sources, 0.0, answer.grounded != NOT_FOUND, answer.evidence)
        return iter([Event("sources", retrieval), Event("token", answer.answer), Event("done", answer)])

    def _generate_checked(
        self, answer: Answer, history: list[Turn], lang: str, temperature: float | None
    ) -> Iterator[Event]:
        """Streams the LLM's answer, then checks it; an answer with nothing supported is replaced."""
        started, first, pieces = time.perf_counter(), 0.0, 0
        for piece in self._generate(answer.question, answer.sources, history, lang, temperature):
            if not pieces:
                first = time.perf_counter()
                answer.timings["first_token_ms"] = (first - started) * 1000
            pieces += 1
            answer.answer += piece
            yield Event("token", piece)
        if pieces > 1:  # both backends stream one token per piece; the first one waited for the prompt
            answer.timings["tokens_per_s"] = (pieces - 1) / max(time.perf_counter() - first, 1e-6)
        answer.answer = answer.answer.strip()
        grounding = check_grounding(answer.answer, answer.sources, self.settings.answer.grounding_min_share)
        answer.flagged = grounding.flagged
        if answer.answer and grounding.state != "unsupported":
            answer.grounded = PARTIAL if grounding.flagged else SUPPORTED
            return
        note = self._template("unsupported_note", lang) if answer.answer else ""
        answer.answer = self._evidence_text(answer.evidence, lang) + (f"\n\n{note}" if note else "")
        answer.grounded = EVIDENCE_ONLY
        yield Event("replace", answer.answer)

    def _recent(self, history: list[Turn] | None) -> list[Turn]:
        memory = self.settings.memory
        return recent(history or [], memory.max_turns, memory.max_history_tokens)

    def _llm_rewrite(self, question: str, history: list[Turn]) -> str:
        lang = detect_language(question)
        pdir = self.settings.prompts_dir
        text = prompts.format_history(history, pdir, lang)
        prompt = prompts.load_template(pdir, "rewrite", lang).format(history=text, question=question)
        return self.llm.complete(prompt.rstrip(), max_tokens=64)

    def _evidence_text(self, evidence: list[Evidence], lang: str) -> str:
        line = self._template("evidence_line", lang)
        lines = "\n".join(line.format(text=e.text, citation=e.citation) for e in evidence)
        return self._template("evidence_only", lang).format(evidence=lines)

    def _template(self, name: str, lang: str) -> str:
        return prompts.load_template(self.settings.prompts_dir, name, lang).strip()

    def _generate(
        self, question: str, sources: list[Source], history: list[Turn], lang: str, temperature: float | None
    ) -> Iterator[str]:
        pdir = self.settings.prompts_dir
        if self.settings.llm.context_focus:
            sources = [replace(s, text=focus(s.text, question)) for s in sources]
        context = prompts.format_context(sources, self.settings.llm.context_tokens, self.llm.count_tokens)
        if self.llm.style == "chat":
            yield from self.llm.stream_chat(prompts.chat_messages(pdir, lang, question, context, history), temperature)
        else:
            prompt = prompts.completion_prompt(pdir, lang, question, context, history)
            yield from self.llm.stream_completion(prompt, temperature)
