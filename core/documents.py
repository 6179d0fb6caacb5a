"""The document model shared by ingestion (which writes it) and answering (which reads it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def doc_id_for(sha256: str) -> str:
    """A document is its content: the same bytes under two names are one document, stored once."""
    return sha256[:16]


def chunk_id(doc_id: str, index: int) -> str:
    """Chunk ids follow from the document id, so a document's chunks can be deleted by id at any KB size."""
    return f"{doc_id}-{index}"


@dataclass(frozen=True)
class Page:
    """Text of one page (PDF), slide or sheet, or of a whole file (no pages); `page` is 1-based or None."""

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
    heading: str = ""

    @property
    def doc_id(self) -> str:
        return doc_id_for(self.doc_sha256)

    @property
    def id(self) -> str:
        """Stable per (content, position): re-ingesting the same content writes the same ids."""
        return chunk_id(self.doc_id, self.chunk_index)

    def embedding_text(self) -> str:
        """The section heading is embedded with the text: a chunk saying "replace every 2000 h" is found by
        a question about the part its heading names."""
        return embedding_text(self.text, self.heading)

    def metadata(self) -> dict[str, Any]:
        """Chroma metadata cannot hold None, so a missing page is stored as 0."""
        return {
            "source": self.source,
            "page": self.page or 0,
            "chunk_index": self.chunk_index,
            "doc_sha256": self.doc_sha256,
            "doc_id": self.doc_id,
            "title": self.title,
            "heading": self.heading,
        }


MAX_EMBEDDED_HEADING = 60


def embedding_text(text: str, heading: str) -> str:
    """Only the innermost heading, shortened: the whole path cost 15 % more embedding time on real manuals
    for context the innermost heading mostly carries already (the full path stays in the metadata)."""
    inner = heading.rsplit(" > ", 1)[-1][:MAX_EMBEDDED_HEADING]
    if not inner or inner in text[: len(inner) + 100]:  # the chunk opens with its heading already
        return text
    return f"{inner}\n{text}"


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
