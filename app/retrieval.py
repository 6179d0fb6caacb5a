"""Retrieval: embed the query, ask the knowledge base for its nearest passages."""

from __future__ import annotations

import time

from core.documents import Source
from core.store import KnowledgeBase


def search(kb: KnowledgeBase, query: str, k: int) -> tuple[list[Source], float]:
    """Returns the passages best first and the milliseconds it took (embedding included)."""
    started = time.perf_counter()
    sources = kb.query(kb.embedder.embed_query(query), k)
    return sources, (time.perf_counter() - started) * 1000
