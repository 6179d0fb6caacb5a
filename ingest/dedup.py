"""Embed a document's chunks in batches and store them, leaving out near-duplicates of what is stored.

Manuals repeat themselves: the same warning box on every page, the same header, a revised edition that
shares most of its text with the last. A chunk whose embedding is at least `near_duplicate_threshold`
similar (cosine) to a stored chunk, or to an earlier one of its batch, is not stored again. It is recorded
in the manifest with its twin, so deleting the twin's document stores it after all: nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from core.documents import Chunk
from core.kb import KnowledgeBase
from core.settings import IngestSettings

_EXACT = 1e-6  # float error: a threshold of 1.0 still catches identical texts


def batches(chunks: list[Chunk], size: int) -> list[list[Chunk]]:
    """Similar lengths together: an encoder pads each batch to its longest text, so mixing wastes work."""
    ordered = sorted(chunks, key=lambda c: len(c.embedding_text()))
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


def twins(kb: KnowledgeBase, batch: list[Chunk], vectors: np.ndarray, threshold: float) -> list[str]:
    """For each chunk, the id of the stored (or earlier in-batch) chunk it duplicates, or ""."""
    if threshold <= 0:
        return [""] * len(batch)
    limit = threshold - _EXACT
    found = [chunk_id if sim >= limit else "" for chunk_id, sim in kb.nearest(vectors)]
    sims = vectors @ vectors.T
    for i in range(len(batch)):
        if found[i]:
            continue
        for j in range(i):
            if not found[j] and sims[i, j] >= limit:
                found[i] = batch[j].id
                break
    return found


def store_chunks(
    kb: KnowledgeBase, chunks: list[Chunk], batch_size: int, settings: IngestSettings, done: Callable[[int], None]
) -> int:
    """Returns how many chunks were stored; `done(n)` after each batch feeds the progress bar."""
    stored = 0
    for batch in batches(chunks, batch_size):
        vectors = kb.embedder.embed_documents([c.embedding_text() for c in batch])
        found = twins(kb, batch, vectors, settings.near_duplicate_threshold)
        keep = [i for i, twin in enumerate(found) if not twin]
        for chunk, twin in zip(batch, found, strict=True):
            if twin:
                kb.drop_twin(chunk, twin)
        kb.add([batch[i] for i in keep], vectors[keep])
        stored += len(keep)
        done(len(batch))
    return stored
