"""Where each piece of state lives inside the data dir: the one place its layout is written down.

Knowledge bases are files named by `collection_name` (a KB may be called "工艺卡"; file and Chroma names
may not), so the same name maps to the same manifest, keyword index and collection everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

LAYOUT = {
    "chroma": "chroma",  # embedded Chroma (empty with `vectorstore.mode: http`)
    "chroma_lock": "chroma.lock",  # taken by every embedded Chroma call: shared to read, exclusive to write
    "chroma_writes": "chroma-writes.json",  # each collection's last write, so other processes reload it
    "manifests": "manifests",  # one SQLite manifest per knowledge base: documents, files, tags
    "keyword_indexes": "keywords",  # one SQLite FTS5 keyword index per knowledge base
    "models": "models",  # the packaged GGUF joined from its parts, and `python -m app fetch-model` downloads
    "uploads": "uploads",  # files uploaded through the page or the API, one folder per knowledge base
    "conversations": "conversations.sqlite3",
    "answer_cache": "answer_cache.sqlite3",
    "browser_secret": "browser_secret",  # the key browsers' owner ids are encrypted with
}


@dataclass(frozen=True)
class DataDir:
    root: Path
    chroma: Path = field(init=False)
    chroma_lock: Path = field(init=False)
    chroma_writes: Path = field(init=False)
    manifests: Path = field(init=False)
    keyword_indexes: Path = field(init=False)
    models: Path = field(init=False)
    uploads: Path = field(init=False)
    conversations: Path = field(init=False)
    answer_cache: Path = field(init=False)
    browser_secret: Path = field(init=False)

    def __post_init__(self) -> None:
        for name, relative in LAYOUT.items():
            object.__setattr__(self, name, self.root / relative)

    def manifest(self, collection: str) -> Path:
        return self.manifests / f"{collection}.sqlite3"

    def keywords(self, collection: str) -> Path:
        return self.keyword_indexes / f"{collection}.sqlite3"
