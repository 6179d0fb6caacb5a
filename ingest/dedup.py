"""Embed a document's chunks in batches and store them, leaving out what is already stored word for word.

Manuals repeat themselves: the same warning box on every page, a revised edition that shares most of its
text with the last. Manufacturing documents are also templates: twenty maintenance cards that differ only
in a machine number and an alarm code embed almost identically, and each holds a fact the others do not.
So the embedding only finds candidates (cosine at or above `near_duplicate_threshold` with a stored chunk,
or an earlier one of the batch); a candidate is a duplicate only when its text is the same up to
whitespace, punctuation and page numbers (`ingest/sametext.py`). A chunk left out is recorded in the
manifest with its twin, so deleting the twin's document stores it after all: nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from core.documents import Chunk
from core.kb import KnowledgeBase
from core.kb.manifest import Dropped
from core.kb.vectors import Neighbour
from core.settings import IngestSettings
from ingest.sametext import same_text_key

_EXACT = 1e-6  # float error: a threshold of 1.0 still catches identical texts
# Stored chunks looked at per new chunk. An exact copy is the nearest of all; a trivially different one
# (spacing, a page number) may sit behind a few template look-alikes that embed even closer.
CANDIDATES = 8


# The rule chunks are left out by, recorded in the manifest. A knowledge base whose chunks were left out under an
# earlier rule (cosine alone, which merged distinct facts) has them judged again by its next ingestion.
RULE = "same-text-1"


def rejudge_dropped(kb: KnowledgeBase) -> int:
    """Store the chunks an earlier rule left out that this one finds distinct from their twin; how many."""

    def same(dropped: Dropped, kept_text: str, kept_heading: str) -> bool:
        return same_text_key(dropped.text, dropped.metadata.get("heading", "")) == same_text_key(
            kept_text, kept_heading
        )

    return kb.rejudge_dropped(RULE, same)


def batches(chunks: list[Chunk], size: int) -> list[list[Chunk]]:
    """Similar lengths together: an encoder pads each batch to its longest text, so mixing wastes work."""
    ordered = sorted(chunks, key=lambda c: len(c.embedding_text()))
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


def twins(kb: KnowledgeBase, batch: list[Chunk], vectors: np.ndarray, threshold: float) -> list[str]:
    """For each chunk, the id of the stored (or earlier in-batch) chunk with the same text, or ""."""
    if threshold <= 0:
        return [""] * len(batch)
    limit = threshold - _EXACT
    keys = [same_text_key(c.text, c.heading) for c in batch]
    found = [_same_stored(key, near, limit) for key, near in zip(keys, kb.nearest(vectors, CANDIDATES), strict=True)]
    sims = vectors @ vectors.T
    for i in range(len(batch)):
        if found[i]:
            continue
        for j in range(i):
            if not found[j] and sims[i, j] >= limit and keys[i] == keys[j]:
                found[i] = batch[j].id
                break
    return found


def _same_stored(key: str, neighbours: list[Neighbour], limit: float) -> str:
    """The first close stored chunk whose text is the same as the one keyed by `key`, or ""."""
    for near in neighbours:
        if near.similarity >= limit and same_text_key(near.text, near.heading) == key:
            return near.chunk_id
    return ""


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
