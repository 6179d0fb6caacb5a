"""Retrieval: vectors and keywords, fused, reranked, and judged relevant or not.

Hybrid because each half fails where the other does not: e5 misses exact part numbers, error codes and rare
Chinese terms ("主轴", "E-023"), BM25 misses paraphrases. The two are fused by their scores, each scaled to
0..1 over the question's candidates (reciprocal rank fusion, which ignores scores, is the alternative: it
measured worse, docs/benchmarks.md). Every passage is scored by cosine to the question, keyword hits too, so
the relevance floor and the scores shown to the user mean the same thing whichever half found the passage.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from app.rerank import Reranker
from app.sections import by_section
from core.documents import Source
from core.lang import detect_language
from core.lexical import Hit
from core.settings import RetrievalSettings
from core.store import KnowledgeBase
from core.tokens import query_words, words


@dataclass(frozen=True)
class Filter:
    """Restricts a question to some documents: by id or file path, by file type (".pdf"), by ingest tag."""

    documents: tuple[str, ...] = ()
    file_types: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.documents or self.file_types or self.tags)


@dataclass(frozen=True)
class Found:
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


def rrf(rankings: Sequence[Sequence[str]], k: int) -> dict[str, float]:
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, chunk_id in enumerate(ranking, 1):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (k + rank)
    return fused


def scaled(scores: dict[str, float]) -> dict[str, float]:
    """Min-max to 0..1 over this question's candidates (all 1.0 when they tie): cosine and BM25 live on
    different scales, and BM25's changes with every question."""
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    return {c: (s - low) / (high - low) if high > low else 1.0 for c, s in scores.items()}


def weighted(cosines: dict[str, float], keyword: dict[str, float], vector_weight: float) -> dict[str, float]:
    """Every candidate has a cosine (keyword hits are scored against the question's vector too); one that
    the keyword search did not return gets nothing from that half."""
    cos, kw = scaled(cosines), scaled(keyword)
    return {c: vector_weight * cos[c] + (1.0 - vector_weight) * kw.get(c, 0.0) for c in cos}


class Retriever:
    def __init__(self, kb: KnowledgeBase, settings: RetrievalSettings, reranker: Reranker) -> None:
        self.kb = kb
        self.settings = settings
        self.reranker = reranker

    def search(self, query: str, k: int, where: Filter | None = None, vector: np.ndarray | None = None) -> Found:
        """`vector`: the query's embedding when the caller already has it (the answer cache computes it)."""
        started = time.perf_counter()
        clock = StageClock()
        doc_ids = self.kb.manifest.doc_ids_matching(where.documents, where.file_types, where.tags) if where else None
        if vector is None:
            vector = self.kb.embedder.embed_query(query)
        clock.lap("embed")
        candidates = self.candidates(query, vector, doc_ids, clock)
        if self.settings.group == "section":
            candidates = by_section(candidates, self.settings.section_bonus)
        ranked = self.reranker.rerank(query, candidates)[:k]
        clock.lap("rerank")
        sources = [replace(s, rank=i, also_in=self.also_in(s)) for i, s in enumerate(ranked, 1)]
        relevant = bool(sources) and self._relevant(query, sources)
        return Found(sources, relevant, (time.perf_counter() - started) * 1000, clock.ms)

    def candidates(
        self, query: str, vector: np.ndarray, doc_ids: list[str] | None = None, clock: StageClock | None = None
    ) -> list[Source]:
        """Fused candidates, best first, each with its cosine and (when its words matched) its BM25 score: all
        of them, before reranking and the cut to k (`bench.fusion` ranks them under other fusion weights)."""
        clock = clock or StageClock()
        depth, mode = self.settings.candidates, self.settings.mode
        by_vector = self.kb.query(vector, depth, doc_ids) if mode != "keyword" else []
        clock.lap("vector")
        by_keyword = self.kb.keyword_search(query, depth, doc_ids) if mode != "vector" else []
        clock.lap("keyword")
        keyword_scores = {h.chunk_id: h.score for h in by_keyword}
        known = {s.chunk_id: s for s in by_vector}
        missing = [h.chunk_id for h in by_keyword if h.chunk_id not in known]
        known.update((s.chunk_id, s) for s in self.kb.fetch(missing, vector))
        clock.lap("fetch")
        fused = self._fuse(by_vector, by_keyword, known)
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

    def _coverage(self, query: str, candidates: list[Source]) -> dict[str, float]:
        """From the words the keyword index stored at ingestion: no jieba on 30 passages per question."""
        terms = set(query_words(query))
        stored = self.kb.lexical.words_of([c.chunk_id for c in candidates])
        out = {}
        for c in candidates:
            have = stored.get(c.chunk_id)
            present = set(have.split()) if have is not None else set(words(f"{c.heading}\n{c.text}"))
            out[c.chunk_id] = len(terms & present) / len(terms) if terms else 0.0
        return out

    def also_in(self, src: Source) -> tuple[str, ...]:
        """Copies of the document, and the documents holding a near-duplicate of any chunk shown."""
        manifest = self.kb.manifest
        paths = manifest.paths_of(src.doc_id) + manifest.twin_paths((src.chunk_id, *src.joined))
        return tuple(dict.fromkeys(p for p in paths if p != src.source))

    def _relevant(self, query: str, sources: list[Source]) -> bool:
        rs = self.settings
        floor = rs.floor(detect_language(query))
        return relevance(query, sources, rs.relevance_coverage_weight, rs.cross_language_bonus) >= floor


def relevance(query: str, sources: Sequence[Source], coverage_weight: float, cross_language_bonus: float) -> float:
    """How well the best passage fits the question: its cosine plus a bonus for the share of the question's
    words it contains. Cosine alone cannot separate an out-of-scope question from an in-scope one across
    languages (e5 scores Chinese pairs higher than English ones); an out-of-scope question also shares few
    words with any passage. Calibrated on rag5's out-of-scope questions: docs/benchmarks.md.

    A passage in another language than the question (a Chinese question on an English manual) cannot share
    its words, so it gets full credit for them, plus `cross_language_bonus` because e5 scores a right
    cross-language pair lower than a right same-language one: refusing a good match is the worse mistake."""
    lang = detect_language(query)

    def bonus(src: Source) -> float:
        if detect_language(f"{src.heading}\n{src.text}") != lang:
            return coverage_weight + cross_language_bonus
        return coverage_weight * src.coverage

    return max((s.score + bonus(s) for s in sources), default=0.0)
