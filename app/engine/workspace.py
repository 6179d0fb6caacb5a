"""Every knowledge base of a data dir, each with its answering service, and who may use which.

The page and the API reach a knowledge base only through here, so access is enforced in one place; the CLIs,
run by whoever holds the data dir, open one directly (`core.kb.open_kb`).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from app.engine.llm import LazyLLM
from app.engine.service import AnswerService
from core.errors import AccessDeniedError, UnknownKBError, ZhikuError
from core.kb import KBInfo, kb_exists, knowledge_bases, open_kb
from core.kb.catalog import half_done, kb_info
from core.settings import PROJECT_ROOT, Settings
from ingest.pipeline import ingest_paths
from ingest.report import IngestReport
from ingest.uploads import remove_unnamed, upload_folder

log = logging.getLogger(__name__)


def may_use(info: KBInfo, user: str | None) -> bool:
    """Shared knowledge bases are for everyone; a private one for its owner only."""
    return not info.private or (user is not None and user == info.owner)


class Workspace:
    """One answering service per knowledge base, opened on first use and kept; they share one LLM.

    Every way to a knowledge base goes through `get`, which enforces who may use it when sign-in is on: the
    page's list only mirrors it. With sign-in off there are no users, so every knowledge base is shared."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.llm = LazyLLM(settings.llm, settings.dirs.models)
        self._services: dict[str, AnswerService] = {}
        self._lock = threading.Lock()

    def get(self, kb: str | None = None, user: str | None = None) -> AnswerService:
        """The knowledge base, created when new. Raises EmbeddingMismatchError for one built with another
        embedding model, and AccessDeniedError for another user's private one."""
        name = kb or self.settings.kb
        if name not in self._services and (info := kb_info(self.settings.dirs, name)) is not None:
            self._check(info, user)  # refused before anything is opened, so nothing is written either
        service = self._opened(name)
        self._check(service.kb.info(), user)
        return service

    def _opened(self, name: str) -> AnswerService:
        with self._lock:
            if name not in self._services:
                self._services[name] = AnswerService(self.settings, open_kb(self.settings, name), self.llm)
            return self._services[name]

    def existing(self, kb: str | None = None, user: str | None = None) -> AnswerService:
        """A knowledge base to read from: one that does not exist is not created by asking it."""
        name = kb or self.settings.kb
        if not kb_exists(self.settings.dirs, name):
            raise UnknownKBError(f"no knowledge base '{name}'")
        return self.get(name, user)

    def create(self, kb: str, user: str | None, private: bool = False) -> AnswerService:
        """Opens the knowledge base, creating it when new; a signed-in user creating one owns it."""
        existed = kb_exists(self.settings.dirs, kb)
        service = self.get(kb, user)
        if not existed and self.settings.auth.enabled and user:
            service.kb.claim(user, private)
        return service

    def names(self, user: str | None = None) -> list[str]:
        """The knowledge bases this user may open."""
        found = knowledge_bases(self.settings.dirs)
        allowed = {info.name for info in found if not self.settings.auth.enabled or may_use(info, user)}
        return sorted(allowed | ({self.settings.kb} if not found else set()))

    def _check(self, info: KBInfo, user: str | None) -> None:
        if self.settings.auth.enabled and not may_use(info, user):
            raise AccessDeniedError(f"knowledge base '{info.name}' is private to another user")

    def recover(self) -> list[str]:
        """At start-up, before anyone searches: each knowledge base a killed process left half changed (a server
        killed during an upload) is finished (`KnowledgeBase.recover`: a half-written document is removed, so
        nothing of it is found), and its uploaded files that no name in it holds any more (copied, never
        ingested) are removed. One that a running ingestion holds is left to it."""
        done = []
        for name in half_done(self.settings.dirs):
            try:
                with self._opened(name).kb.writing(wait_s=0) as kb:  # not behind a running ingestion
                    remove_unnamed(upload_folder(self.settings.dirs, name), {f.path for f in kb.files()})
            except ZhikuError as exc:
                log.warning("knowledge base %r not recovered now: %s", name, exc)
                continue
            done.append(name)
        return done

    def ensure_sample(self) -> IngestReport | None:
        """A new user can ask at once: an empty default knowledge base gets the bundled examples."""
        kb = self.get().kb
        path = sample_kb_path(self.settings)
        if kb.count() or path is None:
            return None
        return ingest_paths(kb, [str(path)], self.settings.ingest, self.settings.embedding.batch_size)


def sample_kb_path(settings: Settings) -> Path | None:
    """The bundled examples, found from the current directory or, failing that, the project folder."""
    if not settings.server.sample_kb:
        return None
    path = Path(settings.server.sample_kb)
    if not path.exists() and not path.is_absolute():
        path = PROJECT_ROOT / path
    return path if path.exists() else None
