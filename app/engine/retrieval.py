"""Retrieval: vectors and keywords, fused (`fusion.py`), one place per section, reranked, judged relevant or not.

Every passage is scored by cosine to the question, keyword hits too, so the relevance floor and the scores
shown to the user mean the same thing whichever half found the passage.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from app.engine.fusion import rrf, weighted
from app.engine.query import Filter, Query
from app.engine.rerank import Reranker
from app.engine.sections import by_section
from core.documents import Source, doc_id_of
from core.kb import KnowledgeBase
from core.kb.lexical import Hit
from core.lang import detect_language
from core.settings import RetrievalSettings
from core.tokens import common, words

COVERAGE_PASSAGES = 3  # the question's words are looked for in this many of the best passages
# An English question with more content words than this is not judged by them: no dictionary here tells its
# generic words ("notable", "changes", "impact") from the asked ones, and a long analytic question's passages
# rarely repeat them (docugami: 48 % of answerable questions refused when they were judged).
MAX_ENGLISH_WORDS = 6


@dataclass(frozen=True)
class Found:
    query: Query
    sources: list[Source]
    relevant: bool  # False: nothing cleared the relevance floor; `sources` are then the closest passages
    ms: float
    stages_ms: dict[str, float] = field(default_factory=dict)  # embed, vector, keyword, fetch, rerank


class StageClock:
    """Milliseconds per stage, so slowness is attributed, not guessed."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.ms[stage] = self.ms.get(stage, 0.0) + (now - self._last) * 1000
        self._last = now


class Retriever:
    def __init__(self, kb: KnowledgeBase, settings: RetrievalSettings, reranker: Reranker) -> None:
        self.kb = kb
        self.settings = settings
        self.reranker = reranker

    def search(self, text: str, k: int, where: Filter | None = None, vector: np.ndarray | None = None) -> Found:
        """`vector`: the text's embedding when the caller already has it (the answer cache computes it)."""
        started = time.perf_counter()
        clock = StageClock()
        query = Query.build(text, self.kb, where, vector)
        clock.lap("embed")
        candidates = self.candidates(query, clock)
        if self.settings.group == "section":
            candidates = by_section(candidates, self.settings.section_bonus)
        ranked = self.reranker.rerank(query.text, candidates)[:k]
        clock.lap("rerank")
        still = self.kb.embedding()  # documents being embedded: their passages say so
        sources = [
            replace(s, rank=i, also_in=self.kb.also_in(s), embedding=s.doc_id in still) for i, s in enumerate(ranked, 1)
        ]
        relevant = bool(sources) and self._relevant(query, sources) and self._covered(query, sources)
        clock.lap("relevance")
        return Found(query, sources, relevant, (time.perf_counter() - started) * 1000, clock.ms)

    def candidates(self, query: Query, clock: StageClock | None = None) -> list[Source]:
        """Fused candidates, best first, each with its cosine and (when its words matched) its BM25 score: all
        of them, before reranking and the cut to k (`bench.fusion` ranks them under other fusion weights)."""
        clock = clock or StageClock()
        depth, mode, doc_ids = self.settings.candidates, self.settings.mode, query.doc_ids
        by_vector = self.kb.query(query.vector, depth, doc_ids) if mode != "keyword" else []
        clock.lap("vector")
        by_keyword = self.kb.keyword_search(query.words, depth, doc_ids) if mode != "vector" else []
        clock.lap("keyword")
        keyword_scores = {h.chunk_id: h.score for h in by_keyword}
        known = {s.chunk_id: s for s in by_vector}
        missing = [h.chunk_id for h in by_keyword if h.chunk_id not in known]
        known.update((s.chunk_id, s) for s in self.kb.fetch(missing, query.vector))
        clock.lap("fetch")
        fused = self._fuse(by_vector, by_keyword, known)
        if self.settings.subject_weight and query.words:
            subjects = self.kb.subjects(query.words, self.settings.subject_max_chunks)
            fused = about(fused, subjects, self.settings.subject_weight)
        order = sorted((c for c in fused if c in known), key=lambda c: -fused[c])
        coverage = self._coverage(query, [known[c] for c in order])
        return [
            replace(known[c], keyword_score=keyword_scores.get(c, 0.0), fused_score=fused[c], coverage=coverage[c])
            for c in order
        ]

    def _fuse(self, by_vector: list[Source], by_keyword: list[Hit], known: dict[str, Source]) -> dict[str, float]:
        rs = self.settings
        if rs.fusion == "rrf":
            return rrf([[s.chunk_id for s in by_vector], [h.chunk_id for h in by_keyword]], rs.rrf_k)
        share = {"hybrid": rs.vector_weight, "vector": 1.0, "keyword": 0.0}[rs.mode]
        cosines = {c: s.score for c, s in known.items()}
        return weighted(cosines, {h.chunk_id: h.score for h in by_keyword}, share)

    def _coverage(self, query: Query, candidates: list[Source]) -> dict[str, float]:
        """From the words the keyword index stored at ingestion: no jieba on 30 passages per question."""
        terms = set(query.words)
        stored = self.kb.stored_words([c.chunk_id for c in candidates])
        out = {}
        for c in candidates:
            have = stored.get(c.chunk_id)
            present = set(have.split()) if have is not None else set(words(f"{c.heading}\n{c.text}"))
            out[c.chunk_id] = len(terms & present) / len(terms) if terms else 0.0
        return out

    def _covered(self, query: Query, sources: list[Source]) -> bool:
        """The question's words, each weighed by its rarity in the whole knowledge base, are mostly in the best
        passages: an on-topic question the documents cannot answer ("CK6140 车床的保修期…") names a rare word
        ("保修期") that none of them holds. A missing word common in general language ("事情", "做") does not
        count against it: a small knowledge base lacks such words by chance. Not judged across languages, where
        no word can match."""
        top = sources[:COVERAGE_PASSAGES]
        if not query.words or detect_language(f"{top[0].heading}\n{top[0].text}") != query.language:
            return True
        if query.language == "en" and len(query.words) > MAX_ENGLISH_WORDS:
            return True
        stored = self.kb.stored_words([c for s in top for c in (s.chunk_id, *s.joined)])
        present = {w for words_ in stored.values() for w in words_.split()}
        weight = {w: v for w, v in self.kb.rarity(query.words).items() if w in present or not common(w)}
        total = sum(weight.values())
        return not total or sum(v for w, v in weight.items() if w in present) / total >= self.settings.min_coverage

    def _relevant(self, query: Query, sources: list[Source]) -> bool:
        rs = self.settings
        score = relevance(query, sources, rs.relevance_coverage_weight, rs.cross_language_bonus)
        return score >= rs.floor(query.language)


def about(fused: dict[str, float], subjects: dict[str, float], weight: float) -> dict[str, float]:
    """Each chunk's fused score plus `weight` x how much its document is about the question's words
    (`core/kb/subjects.py`): the income table of the company the question names before the other companies'."""
    return {c: s + weight * subjects.get(doc_id_of(c), 0.0) for c, s in fused.items()}


def relevance(query: Query, sources: Sequence[Source], coverage_weight: float, cross_language_bonus: float) -> float:
    """How well the best passage fits the question: its cosine plus a bonus for the share of the question's
    words it contains. Cosine alone cannot separate an out-of-scope question from an in-scope one across
    languages (e5 scores Chinese pairs higher than English ones); an out-of-scope question also shares few
    words with any passage. Calibrated on rag5's out-of-scope questions: docs/benchmarks.md.

    A passage in another language than the question (a Chinese question on an English manual) cannot share
    its words, so it gets full credit for them, plus `cross_language_bonus` because e5 scores a right
    cross-language pair lower than a right same-language one: refusing a good match is the worse mistake."""

    def bonus(src: Source) -> float:
        if detect_language(f"{src.heading}\n{src.text}") != query.language:  # the passage's language, not the query's
            return coverage_weight + cross_language_bonus
        return coverage_weight * src.coverage

    return max((s.score + bonus(s) for s in sources), default=0.0)
