"""Where each piece of state lives inside the data dir: the one place its layout is written down.

Knowledge bases are files named by `collection_name` (a KB may be called "工艺卡"; file and Chroma names
may not), so the same name maps to the same manifest, keyword index and collection everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DataDir:
    root: Path

    @property
    def chroma(self) -> Path:
        """Embedded Chroma's folder (empty with `vectorstore.mode: http`)."""
        return self.root / "chroma"

    @property
    def manifests(self) -> Path:
        return self.root / "manifests"

    def manifest(self, collection: str) -> Path:
        return self.manifests / f"{collection}.sqlite3"

    def keywords(self, collection: str) -> Path:
        return self.root / "keywords" / f"{collection}.sqlite3"

    @property
    def models(self) -> Path:
        """The packaged GGUF joined from its parts, and models fetched with `python -m app fetch-model`."""
        return self.root / "models"

    @property
    def uploads(self) -> Path:
        return self.root / "uploads"

    @property
    def conversations(self) -> Path:
        return self.root / "conversations.sqlite3"

    @property
    def answer_cache(self) -> Path:
        return self.root / "answer_cache.sqlite3"

    @property
    def browser_secret(self) -> Path:
        return self.root / "browser_secret"
