"""Re-embedding a knowledge base with another model (`python -m ingest reindex`): into a new collection, then one
switch, so a crash at any point leaves the knowledge base as it was and readers never see half of it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Protocol

from core.documents import embedding_text
from core.embeddings import Embedder
from core.kb.manifest import Manifest
from core.kb.vectors import VectorStore


class Stored(Protocol):
    """What of a knowledge base reindexing reads and switches (`KnowledgeBase` is one)."""

    name: str
    embedder: Embedder
    manifest: Manifest
    vectors: VectorStore


def reindexed(kb: Stored, progress: Callable[[int, int], None] | None = None) -> int:
    """How many chunks were embedded again; the manifest names the new collection and model once all are in."""
    old_name, model = kb.vectors.name, kb.embedder.name
    exists = old_name in kb.vectors.collection_names()
    old = kb.vectors.other(old_name, kb.manifest.get_meta("embedding_model") or model, check_model=False)
    new_name = "kb-" + hashlib.sha256(f"{kb.name}\0{model}\0{old_name}".encode()).hexdigest()[:24]
    if new_name == old_name:
        new_name = new_name[:-1] + ("0" if new_name[-1] != "0" else "1")
    kb.vectors.drop(new_name)
    new = kb.vectors.other(new_name, model)
    total, done = (old.count() if exists else 0), 0
    for batch in old.walk(["documents", "metadatas"]) if exists else []:
        pairs = zip(batch["documents"], batch["metadatas"], strict=True)
        vectors = kb.embedder.embed_documents([embedding_text(t, m.get("heading", "")) for t, m in pairs])
        new.upsert(batch["ids"], batch["documents"], batch["metadatas"], vectors)
        done += len(batch["ids"])
        if progress:
            progress(done, total)
    if not exists:
        new.count()  # created, so the switch points at a collection
    with kb.manifest.transaction():
        kb.manifest.set_meta("collection", new_name)
        kb.manifest.set_meta("embedding_model", model)
        kb.manifest.set_embedding_model(model)
    kb.vectors.drop(old_name)
    kb.vectors.switch_to(new_name, model)
    return done
