"""Fusing the two halves of hybrid retrieval into one ranking.

Hybrid because each half fails where the other does not: e5 misses exact part numbers, error codes and rare
Chinese terms ("主轴", "E-023"), BM25 misses paraphrases. The default fuses their scores, each scaled to 0..1
over the question's candidates; reciprocal rank fusion, which ignores scores, is the alternative: it measured
worse (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Sequence


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
