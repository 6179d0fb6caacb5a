"""What each document is about, as far as a question's words tell: a prior over documents for ranking chunks.

Why: a chunk rarely names what its document is about. A 10-Q's income table does not say "Apple" (the cover and
the page footers do), a maintenance manual's lubrication table does not repeat "ZK-200" (its title and file name
do). Scored chunk by chunk, a question naming the company or the machine finds the same table of every company
or machine alike, and the one it names wins by chance. Scored by document, the word the question names is
rare among documents and frequent in one: that document's chunks get a bonus (`retrieval.subject_weight`).

A document's score for a question is the share of the question's words it is about, each word weighed by how few
documents hold it (a word every document holds tells none apart) and counted by the share of the document's
chunks holding it, saturating (a word on every page counts fully, a word mentioned once in passing barely). A
document's file name counts as a word on every page: users name files after what they hold. Computed from the
keyword index (one query per word), so nothing is stored for it and it follows every ingestion and deletion.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath

from core.kb.lexical import LexicalIndex
from core.tokens import words

SATURATION = 0.1  # a word on this share of a document's chunks counts half as much as one on all of them


@dataclass(frozen=True)
class Shape:
    """Per document: how many chunks it has in the keyword index, and the words of its file names."""

    chunks: Mapping[str, int]
    names: Mapping[str, frozenset[str]]

    @classmethod
    def read(cls, lexical: LexicalIndex, paths: Mapping[str, Sequence[str]]) -> Shape:
        """`paths`: doc_id -> the files naming it (the manifest's)."""
        chunks = lexical.chunks_per_document()
        names = {d: frozenset(w for p in paths.get(d, ()) for w in words(PurePath(p).stem)) for d in chunks}
        return cls(chunks, names)


def scores(lexical: LexicalIndex, shape: Shape, terms: Sequence[str], max_chunks: int) -> dict[str, float]:
    """doc_id -> 0..1: how much of the question's rare-among-documents words the document is about. Empty when
    the knowledge base holds fewer than two documents (nothing to tell apart) or the question has no words. A
    word more than `max_chunks` chunks hold is left out: its count is what costs time in a large knowledge
    base (`bench.subjects`), and a word that common seldom says what one document is about."""
    n_docs = len(shape.chunks)
    if n_docs < 2 or not terms:
        return {}
    held = lexical.documents_holding(terms, max_chunks)
    total = 0.0
    out = dict.fromkeys(shape.chunks, 0.0)
    for term in dict.fromkeys(terms):
        counted = held.get(term, {})
        if counted is None:
            continue
        share = {d: n / shape.chunks[d] for d, n in counted.items() if shape.chunks.get(d)}
        share.update((d, 1.0) for d, name in shape.names.items() if term in name)
        weight = math.log(1 + (n_docs - len(share) + 0.5) / (len(share) + 0.5))
        total += weight
        for d, s in share.items():
            s = min(s, 1.0)
            out[d] += weight * s * (1 + SATURATION) / (s + SATURATION)
    return {d: v / total for d, v in out.items() if v > 0} if total else {}
