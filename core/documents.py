"""The document model shared by ingestion (which writes it) and answering (which reads it)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Page:
    """Text of one page (PDF) or of a whole file (no pages); `page` is 1-based or None."""

    text: str
    page: int | None


@dataclass(frozen=True)
class Chunk:
    text: str
    source: str
    page: int | None
    chunk_index: int
    doc_sha256: str
    title: str

    @property
    def id(self) -> str:
        """Stable per (path, content, position): re-ingesting the same file writes the same ids."""
        path_key = hashlib.sha256(self.source.encode("utf-8")).hexdigest()[:12]
        return f"{path_key}-{self.doc_sha256[:16]}-{self.chunk_index}"

    def metadata(self) -> dict[str, Any]:
        """Chroma metadata cannot hold None, so a missing page is stored as 0."""
        meta = asdict(self)
        meta.pop("text")
        meta["page"] = self.page or 0
        return meta


@dataclass(frozen=True)
class Source:
    """One retrieved passage as shown to the user and printed by `search`/`ask --json`."""

    source: str
    page: int | None
    text: str
    score: float

    @classmethod
    def from_chroma(cls, text: str, meta: dict[str, Any], distance: float) -> Source:
        return cls(source=str(meta["source"]), page=int(meta["page"]) or None, text=text, score=1.0 - float(distance))

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "page": self.page, "text": self.text, "score": round(self.score, 4)}

    def label(self) -> str:
        return f"{self.source} · p.{self.page}" if self.page else self.source
