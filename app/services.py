"""Wiring: build the components the settings ask for. Entry points (CLI, chat page) stay thin."""

from __future__ import annotations

import threading
from pathlib import Path

from app.answer import AnswerService
from app.llm import SharedLLM
from core.errors import AccessDeniedError, ZhikuError
from core.settings import PROJECT_ROOT, Settings
from core.store import KBInfo, KnowledgeBase, kb_exists, knowledge_bases
from ingest.pipeline import IngestReport, ingest_paths

_FORBIDDEN_IN_NAME = set('/\\:*?"<>|')


def open_kb(settings: Settings, kb: str | None = None) -> KnowledgeBase:
    return KnowledgeBase.from_settings(settings, kb)


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


def may_use(info: KBInfo, user: str | None) -> bool:
    """Shared knowledge bases are for everyone; a private one for its owner only."""
    return not info.private or (user is not None and user == info.owner)


class AnswerServices:
    """One answering service per knowledge base, opened on first use and kept; they share one LLM.

    Every way to a knowledge base goes through `get`, which enforces who may use it when sign-in is on: the
    page's list only mirrors it. With sign-in off there are no users, so every knowledge base is shared."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.llm = SharedLLM(settings.llm, settings.models_dir)
        self._services: dict[str, AnswerService] = {}
        self._lock = threading.Lock()

    def get(self, kb: str, user: str | None = None) -> AnswerService:
        """Raises EmbeddingMismatchError for a knowledge base built with another embedding model, and
        AccessDeniedError for another user's private one."""
        with self._lock:
            if kb not in self._services:
                self._services[kb] = AnswerService(self.settings, open_kb(self.settings, kb), self.llm)
            service = self._services[kb]
        self._check(service.kb.info(), user)
        return service

    def create(self, kb: str, user: str | None, private: bool = False) -> AnswerService:
        """Opens the knowledge base, creating it when new; a signed-in user creating one owns it."""
        existed = kb_exists(self.settings.data_dir, kb)
        service = self.get(kb, user)
        if not existed and self.settings.auth.enabled and user:
            service.kb.claim(user, private)
        return service

    def names(self, user: str | None = None) -> list[str]:
        """The knowledge bases this user may open."""
        found = knowledge_bases(self.settings.data_dir)
        allowed = {info.name for info in found if not self.settings.auth.enabled or may_use(info, user)}
        return sorted(allowed | ({self.settings.kb} if not found else set()))

    def _check(self, info: KBInfo, user: str | None) -> None:
        if self.settings.auth.enabled and not may_use(info, user):
            raise AccessDeniedError(f"knowledge base '{info.name}' is private to another user")
