"""Wiring: build the components the settings ask for. Entry points (CLI, chat page) stay thin."""

from __future__ import annotations

from pathlib import Path

from core.embeddings import make_embedder
from core.settings import PROJECT_ROOT, Settings
from core.store import KnowledgeBase
from ingest.pipeline import IngestReport, ingest_paths


def open_kb(settings: Settings, kb: str | None = None) -> KnowledgeBase:
    return KnowledgeBase.open(settings.data_dir, kb or settings.kb, make_embedder(settings.embedding))


def sample_kb_path(settings: Settings) -> Path | None:
    """The bundled examples, found from the current directory or, failing that, the project folder."""
    if not settings.server.sample_kb:
        return None
    path = Path(settings.server.sample_kb)
    if not path.exists() and not path.is_absolute():
        path = PROJECT_ROOT / path
    return path if path.exists() else None


def ensure_sample_kb(settings: Settings, kb: KnowledgeBase) -> IngestReport | None:
    """A new user can ask at once: an empty knowledge base gets the bundled examples."""
    path = sample_kb_path(settings)
    if kb.count() or path is None:
        return None
    return ingest_paths(kb, [str(path)], settings.ingest, settings.embedding.batch_size)
