"""The question-answering pipeline of one knowledge base: follow-up handling → retrieval → evidence and the
lead answer → the model's draft → its check.

`stream()` yields events so the CLI, the page and the API show the same thing: the sources and evidence, then
the lead answer (sentences quoted from the documents, known before any model runs), then, once the model's
draft is written and checked sentence by sentence (`verify.py`), the sentences of it that passed, then the
finished `Answer`. The draft itself streams as DRAFT events that nothing shows as the answer.

The model is not asked at all when nothing clears the relevance floor, or when the question names a code
(AL-105, M8, GB/T 3098.1) that no passage found holds: the answer is "not found" in the question's language,
with the closest passages shown.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import cached_property

import numpy as np

from app.engine import prompts
from app.engine.answer import Answer, AskOptions, Event, EventKind, Grounded, Retrieval
from app.engine.answer_cache import AnswerCache, fingerprint
from app.engine.evidence import Across, Evidence, focus, pick_evidence
from app.engine.llm import LLM, LazyLLM
from app.engine.memory import Turn, may_need_context, recent, rewrite_query
from app.engine.query import CODE, code_key, codes_in
from app.engine.rerank import make_reranker
from app.engine.retrieval import Found, Retriever
from app.engine.verified.serve import VerifiedFirst
from app.engine.verify import verify
from core.documents import Source
from core.embeddings import Embedder, make_embedder
from core.kb import KnowledgeBase
from core.kb.feedback import FeedbackStore
from core.lang import detect_language
from core.settings import EmbeddingSettings, Settings
from core.tokens import query_words

log = logging.getLogger(__name__)
# A rate from fewer tokens is noise: two pieces decoded back to back read as thousands of tokens/s.
MIN_RATE_TOKENS = 8
ANSWER_FORMAT = 3  # in the cache's fingerprint: answers cached by an older pipeline are not served


@contextmanager
def _not_the_answer(what: str) -> Iterator[None]:
    """The cache and the note for `feedback report` save time, they are not the answer: a write the data dir
    refuses (a full disk) is said in the log, and the answer is given all the same."""
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        log.warning("%s (%s: %s)", what, type(exc).__name__, str(exc)[:200])


def stands_alone(found: Found) -> bool:
    """Searched alone, it is answerable (the floor and the coverage check), and it has two or more words: one word
    ("电话") always finds itself."""
    return found.relevant and len(found.query.words) >= 2


class AnswerService:
    def __init__(self, settings: Settings, kb: KnowledgeBase, llm: LLM | None = None) -> None:
        """`llm`: shared by every knowledge base of a server; by default one loaded when first needed, so
        `search` never pays for it."""
        self.settings = settings
        self.kb = kb
        self.llm = llm if llm is not None else LazyLLM(settings.llm, settings.dirs.models)
        self.retriever = Retriever(kb, settings.retrieval, make_reranker(settings.retrieval))

    def retrieve(
        self, question: str, history: list[Turn], options: AskOptions, vector: np.ndarray | None = None
    ) -> Retrieval:
        """The one place the retrieval query is derived, so what the page shows is what was searched."""
        memory = self.settings.memory
        llm_rewrite = self._llm_rewrite if memory.rewrite == "llm" else None
        query = rewrite_query(question, history, memory.followup_max_chars, llm_rewrite)
        k = options.k or self.settings.retrieval.top_k
        found, spent_ms = None, 0.0
        if query != question and may_need_context(question, history, memory.followup_max_chars):
            alone = self.retriever.search(question, k, options.where, vector)
            if stands_alone(alone):
                query, found = question, alone
            spent_ms = alone.ms
        if found is None:
            found = self.retriever.search(query, k, options.where, vector if query == question else None)
            spent_ms += found.ms
        # The question's own codes decide; a follow-up's search text also carries the previous question's.
        codes = frozenset(codes_in(question)) or found.query.codes
        if missing := self._missing(codes, found, question):
            return Retrieval(query, found.sources, spent_ms, False, missing=missing)
        if not found.relevant:
            return Retrieval(query, found.sources, spent_ms, False)
        n = self.settings.answer.evidence_sentences
        evidence = pick_evidence(
            found.query.words, found.sources, n, codes, found.query.wants_quantity, self._across(found)
        )
        return Retrieval(query, found.sources, spent_ms, True, evidence)

    def _across(self, found: Found) -> Across:
        """Sentences in another language than the question (a Chinese question on an English manual) are scored
        by their meaning with `answer.across_meaning`'s model. Measured on bench.crosslang (docs/benchmarks.md)."""
        return Across(found.query.language, found.query.text, self._across_embedder)

    @cached_property
    def _across_embedder(self) -> Embedder:
        name = self.settings.answer.across_meaning
        if name == "kb":
            return self.kb.embedder
        return make_embedder(EmbeddingSettings(provider=name, threads=self.settings.embedding.threads))

    @staticmethod
    def _missing(codes: frozenset[str], found: Found, question: str) -> list[str]:
        """The question's codes (letters and digits: AL-105, M8, not bare figures) that no passage found holds,
        as the question spells them. A passage also holds the codes of its document's name: a manual names its
        machine in its file name and on page 1 ("CK6140数控车床保养规程.pdf"), not on the page that answers."""
        named = {c for c in codes if any(ch.isalpha() for ch in c)}
        if not named or not found.sources:
            return []
        held = set().union(*(codes_in(f"{s.subject}\n{s.text}") for s in found.sources))
        spelled = {code_key(m): m for m in CODE.findall(question)}
        return sorted(spelled.get(c, c) for c in named - held)

    def search(self, question: str, history: list[Turn] | None = None, options: AskOptions | None = None) -> Retrieval:
        return self.retrieve(question, self._recent(history), options or AskOptions())

    def stream(
        self, question: str, history: list[Turn] | None = None, options: AskOptions | None = None
    ) -> Iterator[Event]:
        options = options or AskOptions()
        history = self._recent(history)
        vector, similar = None, None
        if self.verified_first.applies(question, history, options):  # a verified answer goes first (issue 22)
            vector = self.kb.embedder.embed_query(question)
            lang = options.language or detect_language(question)
            served, similar = self.verified_first.answer(question, vector, lang)
            if served is not None:
                yield from served
                return
        cache_key = self._cache_key(question, history, options)
        if cache_key and vector is None:
            vector = self.kb.embedder.embed_query(question)
        if cache_key and vector is not None and (hit := self._cached(cache_key, vector, question)):
            events = list(hit)
            events[-1].data.verified_similar = similar  # today's verified answers, not the cached answer's
            if events[-1].data.grounded == Grounded.NOT_FOUND:
                self._note_not_found(question)
            yield from events
            return
        retrieval = self.retrieve(question, history, options, vector)
        answer = Answer(
            question, sources=retrieval.sources, evidence=retrieval.evidence, query=retrieval.query,
            missing=retrieval.missing,
        )  # fmt: skip
        answer.timings["retrieve_ms"] = retrieval.retrieve_ms
        answer.verified_similar = similar
        yield Event(EventKind.SOURCES, retrieval)
        started = time.perf_counter()
        lang = options.language or detect_language(question)
        answer.grounded, answer.answer = self._lead_text(retrieval, lang)
        yield Event(EventKind.TOKEN, answer.answer)
        only_evidence = self.settings.answer.evidence_only if options.evidence_only is None else options.evidence_only
        if answer.grounded == Grounded.QUOTED and not only_evidence:
            yield from self._draft_checked(answer, self._prompt_history(history), lang, options.temperature)
        answer.timings["generate_ms"] = (time.perf_counter() - started) * 1000
        if cache_key and vector is not None and not any(s.embedding for s in answer.sources):  # may find more later
            self._remember(cache_key, question, vector, answer)
        if answer.grounded == Grounded.NOT_FOUND and not history:  # a gap in the documents (`feedback report`)
            self._note_not_found(question)
        yield Event(EventKind.DONE, answer)

    def _lead_text(self, retrieval: Retrieval, lang: str) -> tuple[Grounded, str]:
        """What is shown before any model runs: the quoted lead answer, or why there is none."""
        if not retrieval.sources:
            return Grounded.NO_DOCUMENTS, self._template("no_documents", lang)
        if retrieval.missing:
            return Grounded.NOT_FOUND, self._template("not_found_code", lang).format(codes=", ".join(retrieval.missing))
        if not retrieval.relevant or not retrieval.lead:
            return Grounded.NOT_FOUND, self._template("not_found", lang)
        return Grounded.QUOTED, self._quoted(retrieval.lead, lang)

    def ask(self, question: str, history: list[Turn] | None = None, options: AskOptions | None = None) -> Answer:
        *_, last = self.stream(question, history, options)
        answer: Answer = last.data
        return answer

    # -- verified answers and feedback (issue 22) ------------------------------------------------------
    @cached_property
    def verified_first(self) -> VerifiedFirst:
        return VerifiedFirst(self.settings, self.kb)

    @cached_property
    def feedback(self) -> FeedbackStore:
        return FeedbackStore(self.kb.manifest.path, self.settings.verified.max_not_found)

    # -- the semantic cache ----------------------------------------------------------------------------
    @cached_property
    def cache(self) -> AnswerCache:
        c = self.settings.cache
        return AnswerCache(self.settings.dirs.answer_cache, c.min_similarity, c.max_entries)

    def _remember(self, key: tuple[str, str], question: str, vector: np.ndarray, answer: Answer) -> None:
        with _not_the_answer("answer not cached"):
            self.cache.store(self.kb.name, key[0], key[1], question, vector, answer.to_json())

    def _note_not_found(self, question: str) -> None:
        with _not_the_answer("unanswered question not noted"):
            self.feedback.record_not_found(question)

    def _cache_key(self, question: str, history: list[Turn], options: AskOptions) -> tuple[str, str] | None:
        """(KB version, settings fingerprint), or None when this question must not use the cache."""
        if not (self.settings.cache.enabled and options.use_cache) or history or options.where:
            return None
        s = self.settings
        fp = fingerprint(
            s.llm.model_dump(exclude={"api_key"}), s.retrieval, s.answer, options.k, options.evidence_only,
            options.temperature, options.language, prompts.fingerprint(s.prompts_dir), ANSWER_FORMAT,
        )  # fmt: skip
        return self.kb.version, fp

    def _cached(self, key: tuple[str, str], vector: np.ndarray, question: str) -> Iterator[Event] | None:
        """A cached answer to a question close to this one that names the same codes and numbers."""
        started = time.perf_counter()
        named = codes_in(question)
        found = self.cache.lookup(self.kb.name, key[0], key[1], vector, lambda asked: codes_in(asked) == named)
        if found is None:
            return None
        answer = Answer.from_json(found[0])
        answer.cached, answer.timings = True, {"retrieve_ms": 0.0, "generate_ms": 0.0}
        answer.usage = Answer.usage_none()  # no model ran for this one
        answer.timings["cache_ms"] = (time.perf_counter() - started) * 1000
        relevant = answer.grounded != Grounded.NOT_FOUND
        retrieval = Retrieval(answer.query, answer.sources, 0.0, relevant, answer.evidence, answer.missing)
        return iter(
            [Event(EventKind.SOURCES, retrieval), Event(EventKind.TOKEN, answer.answer), Event(EventKind.DONE, answer)]
        )

    # -- generation ------------------------------------------------------------------------------------
    def _draft_checked(
        self, answer: Answer, history: list[Turn], lang: str, temperature: float | None
    ) -> Iterator[Event]:
        """Streams the model's draft (not shown), checks it, and adds the sentences that passed to the answer."""
        started, first, pieces = time.perf_counter(), 0.0, list[str]()
        # Without the earlier turns, a follow-up ("它的转速呢？") is asked as it was searched (with its topic).
        asked = answer.question if history or not answer.query else answer.query
        yield Event(EventKind.DRAFT, "")  # the model starts reading its prompt: a page can say so at once
        for piece in self._generate(asked, answer.sources, history, lang, temperature, answer.usage):
            if not pieces:
                first = time.perf_counter()
                answer.timings["first_token_ms"] = (first - started) * 1000
            pieces.append(piece)
            yield Event(EventKind.DRAFT, piece)
        answer.usage["completion_tokens"] = len(pieces)  # both backends stream one token per piece
        if len(pieces) >= MIN_RATE_TOKENS:  # the first piece waited for the prompt: the rate is the others'
            answer.timings["tokens_per_s"] = (len(pieces) - 1) / max(time.perf_counter() - first, 1e-6)
        answer.draft = "".join(pieces).strip()
        verdict = verify(answer.draft, answer.question, answer.sources, self.settings.answer.grounding_min_share)
        answer.checks = [r.to_json() for r in verdict.rejected]
        if verdict.shown:
            answer.supported = verdict.shown
            shown = "\n\n" + self._template("model_answer", lang).format(answer=" ".join(verdict.shown))
            answer.answer += shown
            answer.grounded = Grounded.SUPPORTED
            yield Event(EventKind.TOKEN, shown)

    def _prompt_history(self, history: list[Turn]) -> list[Turn]:
        """The turns the model sees: none unless `memory.answers_in_prompt` (a small model copies earlier answers;
        the search text already carries the topic of a follow-up)."""
        return history if self.settings.memory.answers_in_prompt else []

    def _recent(self, history: list[Turn] | None) -> list[Turn]:
        memory = self.settings.memory
        return recent(history or [], memory.max_turns, memory.max_history_tokens)

    def _llm_rewrite(self, question: str, history: list[Turn]) -> str:
        lang = detect_language(question)
        pdir = self.settings.prompts_dir
        text = prompts.format_history(history, pdir, lang)
        prompt = prompts.load_template(pdir, "rewrite", lang).format(history=text, question=question)
        return self.llm.complete(prompt.rstrip(), max_tokens=64)

    def _quoted(self, lead: list[Evidence], lang: str) -> str:
        line = self._template("quoted_line", lang)
        lines = "\n".join(line.format(text=e.text, citation=e.citation) for e in lead)
        return self._template("quoted", lang).format(evidence=lines)

    def _template(self, name: str, lang: str) -> str:
        return prompts.load_template(self.settings.prompts_dir, name, lang).strip()

    def _generate(
        self,
        question: str,
        sources: list[Source],
        history: list[Turn],
        lang: str,
        temperature: float | None,
        usage: dict[str, int],
    ) -> Iterator[str]:
        """The model's draft, piece by piece; `usage["prompt_tokens"]` is set to what the model reads (for a
        chat model, its messages' text: the template's few role markers are not counted)."""
        pdir = self.settings.prompts_dir
        if self.settings.llm.context_focus:
            terms = query_words(question)
            sources = [replace(s, text=focus(s.text, terms)) for s in sources]
        context = prompts.format_context(sources, self.settings.llm.context_tokens, self.llm.count_tokens)
        if self.llm.style == "chat":
            messages = prompts.chat_messages(pdir, lang, question, context, history)
            usage["prompt_tokens"] = sum(self.llm.count_tokens(m["content"]) for m in messages)
            yield from self.llm.stream_chat(messages, temperature)
        else:
            prompt = prompts.completion_prompt(pdir, lang, question, context, history)
            usage["prompt_tokens"] = self.llm.count_tokens(prompt)
            yield from self.llm.stream_completion(prompt, temperature)
