"""The document model shared by ingestion (which writes it) and answering (which reads it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Any


def doc_id_for(sha256: str) -> str:
    """A document is its content: the same bytes under two names are one document, stored once."""
    return sha256[:16]


def chunk_id(doc_id: str, index: int) -> str:
    """Chunk ids follow from the document id, so a document's chunks can be deleted by id at any KB size."""
    return f"{doc_id}-{index}"


def chunk_index(chunk_id: str) -> int:
    """The chunk's place in its document (0 = first), from its id."""
    return int(chunk_id.rsplit("-", 1)[1])


def doc_id_of(chunk_id: str) -> str:
    """The document a chunk belongs to, from its id."""
    return chunk_id.rsplit("-", 1)[0]


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
    # Keyword-search words of heading + text (`core.tokens.index_text`), computed where the chunk is made,
    # in the parse workers, so the embedding process never waits for jieba; "" = compute when stored.
    words: str = ""

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

    def keyword_text(self) -> str:
        """The whole heading path is indexed for keywords: a word costs nothing there, unlike in the embedding."""
        return keyword_text(self.text, self.heading)

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
# A line a loader writes right after a table's rows (ingest/loaders/pdf_tables.py): the table's caption, a
# Markdown heading above the rows, labels those rows only, not the text after the table. Without it a caption
# stayed in force to the next heading: in a 10-Q, 228 of 401 chunks (the rest of the filing) were embedded under
# the title of one share-repurchase table. The splitter drops the line (ingest/splitter.py).
CAPTION_END = "<!-- zhiku: end of table -->"
CAPTION_LEVEL = 6  # the caption's Markdown level: the deepest, under the section the table sits in


def embedding_text(text: str, heading: str) -> str:
    """Only the innermost heading, shortened: the whole path cost 15 % more embedding time on real manuals
    for context the innermost heading mostly carries already (the full path stays in the metadata)."""
    inner = heading.rsplit(" > ", 1)[-1][:MAX_EMBEDDED_HEADING]
    if not inner or inner in text[: len(inner) + 100]:  # the chunk opens with its heading already
        return text
    return f"{inner}\n{text}"


def keyword_text(text: str, heading: str) -> str:
    return f"{heading}\n{text}" if heading else text


@dataclass(frozen=True)
class Source:
    """One retrieved passage as shown to the user and printed by `search`/`ask --json`.

    `score` is always the cosine similarity to the question (also for passages found by keywords), so scores
    compare across passages; `rank` is the passage's place after fusion and reranking, 1 = best.
    """

    source: str
    page: int | None
    text: str
    score: float
    chunk_id: str = ""
    doc_id: str = ""
    heading: str = ""
    keyword_score: float = 0.0  # BM25 of the question's words; 0 when no word matched
    fused_score: float = 0.0  # the two halves fused (retrieval.fusion): what the passages are ranked by
    coverage: float = 0.0  # share of the question's content words found in the passage (heading included)
    rank: int = 0
    # Other files with the same text: copies of the whole document, or documents whose near-duplicate of this
    # chunk was not stored. The passage is theirs too, so the citation names them.
    also_in: tuple[str, ...] = ()
    # Chunks of the same section whose text is joined to this one's (`retrieval.group: section`), in order.
    joined: tuple[str, ...] = ()
    # Its document is still being embedded: found by keywords (and by vectors only for its chunks embedded so
    # far), so the answer says a later question may find more in it.
    embedding: bool = False

    @property
    def subject(self) -> str:
        """What the passage is about beyond its own text: its document's file name and its section's heading. A
        manual names its machine there ("CK6140数控车床保养规程.pdf", "ZK-200_spindle_manual.pdf"), not in every
        sentence, so a sentence on page 2 still speaks of the ZK-200."""
        return f"{PurePath(self.source).stem}\n{self.heading}"

    @classmethod
    def from_chroma(cls, chunk_id: str, text: str, meta: dict[str, Any], similarity: float) -> Source:
        return cls(
            source=str(meta["source"]),
            page=int(meta["page"]) or None,
            text=text,
            score=similarity,
            chunk_id=chunk_id,
            doc_id=str(meta.get("doc_id", "")),
            heading=str(meta.get("heading", "")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "page": self.page,
            "text": self.text,
            "score": round(self.score, 4),
            "doc_id": self.doc_id,
            "chunk_id": self.chunk_id,
            "heading": self.heading,
            "keyword_score": round(self.keyword_score, 4),
            "fused_score": round(self.fused_score, 5),
            "coverage": round(self.coverage, 3),
            "rank": self.rank,
            "also_in": list(self.also_in),
            "joined": list(self.joined),
            "embedding": self.embedding,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Source:
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**{**fields, "also_in": tuple(data.get("also_in", ())), "joined": tuple(data.get("joined", ()))})

    def label(self) -> str:
        return f"{self.source} · p.{self.page}" if self.page else self.source
