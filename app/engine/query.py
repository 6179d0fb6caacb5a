"""A question as retrieval sees it, analysed once and passed along: its words, language, focus, vector and
filter. Every stop (vector search, keyword search, coverage, the relevance floor, the answer's sentences) reads
these fields instead of cutting, detecting or embedding the text again.

The focus is what a question turns on, read without a model: the codes and numbers it names, and whether it
asks for a quantity. Codes (AL-105, ZK-200, M8, GB/T 3098.1, CK6140, E21) are matched exactly (case, spaces and
dashes aside): a passage about AL-210 does not answer a question about AL-105, however close its words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from core.kb import KnowledgeBase
from core.lang import Language, detect_language
from core.tokens import query_words, stopwords

# A code: letters then digits ("AL-105", "GB/T 3098.1", "M8", "BT40"), or digits then letters then digits ("3M6").
CODE = re.compile(
    r"(?<![A-Za-z0-9])(?:(?:[A-Z]{1,6}(?:/[A-Z]{1,3})?[- ./]?|[A-Za-z]{1,6}[-./]?)\d[\dA-Za-z]*(?:[.\-/]\d+[A-Za-z]*)*"
    r"|\d+[A-Za-z]{1,3}\d+)(?![A-Za-z0-9])"
)  # a space may part letters from digits only in capitals ("GB/T 3098.1", "AL 105"), never in words ("is 45")
_LETTERS = re.compile(r"[A-Za-z]+")
_PERIOD = re.compile(r"[QqHh][1-4]|FY ?\d{2,4}", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![A-Za-z0-9.,\-/])\d+(?:[.,]\d+)*(?![A-Za-z0-9]|[.,]\d)")
_ASKS_QUANTITY = re.compile(
    r"多少|几[个次天小年月周台分秒度号倍]|多[久大高长重宽深厚快远少]|什么(?:温度|压力|时候|范围|型号)|范围|"
    r"\bhow (?:much|many|long|often|far|fast|high|hot|heavy|big|tight)\b|\bwhat (?:is|are) the (?:\w+ )?"
    r"(?:value|speed|torque|pressure|temperature|power|weight|size|range|clearance|interval|rating|concentration)",
    re.IGNORECASE,
)


def code_key(text: str) -> str:
    """A code as compared: case, spaces and dashes ignored ("al 105" is AL-105; "GB/T3098.1" is GB/T 3098.1), and
    thousands separators in numbers ("12,000" is 12000)."""
    return re.sub(r"(?<=\d),(?=\d{3}\b)|[\s\-_]", "", text).upper()


def codes_in(text: str) -> set[str]:
    """The codes a text names, and its numbers that are not part of a code. A word glued to a figure by a typo
    ("formed in2014") is not a code: letters that are a stop word ("in", "of", "at") do not make one; nor is a
    reporting period ("Q2 2023", "FY2023")."""
    codes = {code_key(m) for m in CODE.findall(text) if not _glued_word(m) and not _period(m)}
    return codes | {code_key(n) for n in _NUMBER.findall(CODE.sub(" ", text))}


def lettered(codes: set[str] | frozenset[str]) -> frozenset[str]:
    """The codes proper (AL-105, ZK-200), not bare figures: a figure in a text does not make it about another
    thing."""
    return frozenset(c for c in codes if any(ch.isalpha() for ch in c))


def names_another(named: frozenset[str], held: set[str] | frozenset[str], asked: frozenset[str]) -> bool:
    """A text about another thing than the question names (`asked`, lettered codes): it names codes (`named`,
    lettered) and neither it nor its passage's document (`held`: the codes of the text and of the passage's
    subject) holds one the question asks (alarm E21 of the ZK-200 manual, for AL-105 on the CK6140); or it names
    a code of the same family without the asked one (AL-210 for AL-105). The lead quotes no such sentence and
    the model's draft shows none."""
    if not asked:
        return False
    return (bool(named) and not asked & held) or _look_alike(named, asked)


def _look_alike(named: frozenset[str], asked: frozenset[str]) -> bool:
    """A code of the same family (the same letters: AL-210 for AL-105, E34 for E21) without the asked one."""
    families = {m.group() for c in asked if (m := _LETTERS.match(c))}
    return not named & asked and any((m := _LETTERS.match(c)) and m.group() in families for c in named)


def _period(code: str) -> bool:
    """A reporting period, not a part: Q1-Q4, H1/H2, FY2023."""
    return bool(_PERIOD.fullmatch(code))


def _glued_word(code: str) -> bool:
    letters = _LETTERS.match(code)
    return letters is not None and letters.group().islower() and letters.group() in stopwords()


def asks_quantity(question: str) -> bool:
    return bool(_ASKS_QUANTITY.search(question))


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
    codes: frozenset[str]  # `code_key`s of the codes and numbers it names
    wants_quantity: bool  # it asks how much, how many, how long...
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
        words = tuple(query_words(text))
        return cls(text, detect_language(text), words, frozenset(codes_in(text)), asks_quantity(text), vector, doc_ids)
