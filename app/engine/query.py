"""A question as retrieval sees it, analysed once and passed along: its words, language, vector and filter.

Every stop (vector search, keyword search, coverage, the relevance floor, evidence) reads these fields
instead of cutting, detecting or embedding the text again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.kb import KnowledgeBase
from core.lang import Language, detect_language
from core.tokens import query_words


@dataclass(frozen=True)
class Filter:
    """Restricts a question to some documents: by id or file path, by file type (".pdf"), by ingest tag."""

    documents: tuple[str, ...] = ()
    file_types: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.documents or self.file_types or self.tags)


@dataclass(frozen=True, eq=False)
class Query:
    text: str  # what is searched: the question, or a follow-up joined with the previous one
    language: Language  # of `text`
    words: tuple[str, ...]  # content words (`core.tokens.query_words`)
    vector: np.ndarray  # the text's embedding, by the knowledge base's model
    doc_ids: tuple[str, ...] | None = None  # the filter resolved to documents; None = all

    @classmethod
    def build(
        cls, text: str, kb: KnowledgeBase, where: Filter | None = None, vector: np.ndarray | None = None
    ) -> Query:
        """`vector`: the text's embedding when the caller has it already (the answer cache computes it)."""
        doc_ids = tuple(kb.doc_ids_matching(where.documents, where.file_types, where.tags)) if where else None
        if vector is None:
            vector = kb.embedder.embed_query(text)
        return cls(text, detect_language(text), tuple(query_words(text)), vector, doc_ids)
