"""Reranking the fused candidates: none, a cheap word-coverage rerank, or a cross-encoder the user configures.

No cross-encoder ships offline here (none is packaged on PyPI), so `cross-encoder` is opt-in: a model folder
or hub name in `retrieval.reranker_model`. The default is chosen by measurement (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from core.documents import Source
from core.errors import ConfigError, ModelNotFoundError
from core.settings import RetrievalSettings


class Reranker(Protocol):
    def rerank(self, query: str, candidates: Sequence[Source]) -> list[Source]: ...


class FusionOrder:
    """Keeps the order reciprocal rank fusion gave."""

    def rerank(self, query: str, candidates: Sequence[Source]) -> list[Source]:
        return list(candidates)


class WordCoverage:
    """Fusion score plus a small bonus for the share of the question's content words the passage contains.

    Why: among passages fusion ranks close together, the one holding all the asked-for terms ("impeller",
    "nut", "torque") is usually the answer; a topical neighbour holds only some. The bonus is small against
    the fusion score (1/61 for a first place), so it reorders near-ties and leaves clear wins alone.
    Measured (docs/benchmarks.md): better hit@1 on every set, hit@5 unchanged; no model needed.
    """

    def __init__(self, weight: float) -> None:
        self.weight = weight

    def rerank(self, query: str, candidates: Sequence[Source]) -> list[Source]:
        """Uses `Source.coverage`, which the retriever computed from the words stored at ingestion."""
        return sorted(candidates, key=lambda s: s.fused_score + self.weight * s.coverage, reverse=True)


class CrossEncoderReranker:
    """A sentence-transformers CrossEncoder scores (question, passage) pairs; its order replaces fusion's."""

    def __init__(self, model: str) -> None:
        try:
            from sentence_transformers import CrossEncoder

            self.model = CrossEncoder(model, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelNotFoundError(f"cannot load reranker model {model!r}: {exc}") from exc

    def rerank(self, query: str, candidates: Sequence[Source]) -> list[Source]:
        if not candidates:
            return []
        scores = self.model.predict([(query, f"{c.heading}\n{c.text}") for c in candidates])
        order = sorted(range(len(candidates)), key=lambda i: -float(scores[i]))
        return [replace(candidates[i]) for i in order]


def make_reranker(settings: RetrievalSettings) -> Reranker:
    if settings.rerank == "none":
        return FusionOrder()
    if settings.rerank == "coverage":
        return WordCoverage(settings.coverage_weight)
    if settings.rerank == "cross-encoder":
        if not settings.reranker_model:
            raise ConfigError("retrieval.rerank is cross-encoder but retrieval.reranker_model is empty")
        return CrossEncoderReranker(settings.reranker_model)
    raise ConfigError(f"unknown retrieval.rerank {settings.rerank!r}")
