"""Reranking the fused candidates: none, a cheap word-coverage rerank, or a cross-encoder the user configures.

No cross-encoder ships offline here (none is packaged on PyPI), so `cross-encoder` is opt-in: a model folder
or hub name in `retrieval.reranker_model`. The default is chosen by measurement (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

from core.documents import Source
from core.errors import ConfigError, ModelNotFoundError
from core.registry import Registry
from core.settings import RetrievalSettings


class Reranker(Protocol):
    def rerank(self, query: str, candidates: Sequence[Source]) -> list[Source]: ...


class FusionOrder:
    """Keeps the order fusion gave."""

    def rerank(self, query: str, candidates: Sequence[Source]) -> list[Source]:
        return list(candidates)


class WordCoverage:
    """Fusion score plus a small bonus for the share of the question's content words the passage contains.

    Why: among passages fusion ranks close together, the one holding all the asked-for terms ("impeller",
    "nut", "torque") is usually the answer; a topical neighbour holds only some. The bonus is small against
    the fusion score (weighted fusion scores lie in 0..1; reciprocal rank fusion gives 1/61 for a first place),
    so it reorders near-ties and leaves clear wins alone. Measured with reciprocal rank fusion
    (docs/benchmarks.md): better hit@1 on every set; after weighted fusion it changed nothing measurable, so
    `none` is the default.
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


def _cross_encoder(settings: RetrievalSettings) -> Reranker:
    if not settings.reranker_model:
        raise ConfigError("retrieval.rerank is cross-encoder but retrieval.reranker_model is empty")
    return CrossEncoderReranker(settings.reranker_model)


RERANKERS: Registry[Callable[[RetrievalSettings], Reranker]] = Registry("reranker", "retrieval.rerank")
RERANKERS.register("none", lambda settings: FusionOrder())
RERANKERS.register("coverage", lambda settings: WordCoverage(settings.coverage_weight))
RERANKERS.register("cross-encoder", _cross_encoder)


def make_reranker(settings: RetrievalSettings) -> Reranker:
    return RERANKERS.get(settings.rerank)(settings)
