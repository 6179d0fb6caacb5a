"""Wiring: build the components the settings ask for. Entry points (CLI, chat page) stay thin."""

from __future__ import annotations

import threading
from pathlib import Path

from app.answer import AnswerService
from app.llm import SharedLLM
from core.embeddings import make_embedder
from core.errors import ZhikuError
from core.settings import PROJECT_ROOT, Settings
from core.store import KnowledgeBase, knowledge_bases
from ingest.pipeline import IngestReport, ingest_paths

_FORBIDDEN_IN_NAME = set('/\\:*?"<>|')


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


def check_kb_name(name: str) -> str:
    """A new knowledge base's name: any language, but no path characters (it names the upload folder)."""
    name = name.strip()
    if not name or len(name) > 64 or any(c in _FORBIDDEN_IN_NAME or ord(c) < 32 for c in name) or name[0] == ".":
        raise ZhikuError(f'{name!r} cannot name a knowledge base: 1–64 characters, no / \\ : * ? " < > |')
    return name


class AnswerServices:
    """One answering service per knowledge base, opened on first use and kept; they share one LLM."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.llm = SharedLLM(settings.llm, settings.models_dir)
        self._services: dict[str, AnswerService] = {}
        self._lock = threading.Lock()

    def get(self, kb: str) -> AnswerService:
        """Raises EmbeddingMismatchError for a knowledge base built with another embedding model."""
        with self._lock:
            if kb not in self._services:
                self._services[kb] = AnswerService(self.settings, open_kb(self.settings, kb), self.llm)
            return self._services[kb]

    def names(self) -> list[str]:
        return sorted(set(knowledge_bases(self.settings.data_dir)) | set(self._services))
