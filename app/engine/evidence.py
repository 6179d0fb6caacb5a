"""Evidence sentences and the grounding check: what makes an answer verifiable.

Evidence: the sentences of the retrieved passages that best answer the question, quoted with their citation.
They are always true to the documents, so they are shown beside every answer and replace an answer that
nothing supports. Grounding: each sentence of the LLM's answer is checked against the passages it was given;
a sentence whose content words or numbers are not in them is flagged.

Both are lexical (jieba words, the same as keyword search), because on 2 cores a model pass per sentence would
cost more than the answer itself; a number that is not in the documents ("80 N·m" when they say "60 N·m") is
the mistake a factory cannot afford, and exactly what word matching catches.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core.documents import Source
from core.tokens import stopwords, words

# A sentence ends at Chinese or Western end punctuation, at a blank line, or where the next line starts a list
# item or a table row. A single line break elsewhere is a PDF's line wrap ("报警 AL-210\n表示润滑油压力不足"),
# not the end of a statement: quoting the half before it as evidence would say nothing.
_SENTENCE_END = re.compile(
    r"(?<=[。！？；!?;])|(?<=[.](?=\s))|\n\s*\n+"
    r"|\n(?=\s*(?:[-•*·|]|\d{1,3}[.、)）]\s*\S|[（(]\d{1,3}[）)]|[一二三四五六七八九十]{1,3}、))"
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CITATION = re.compile(r"\[(\d{1,2})\]")
MIN_SENTENCE_CHARS = 4  # shorter pieces are list markers and page numbers, not statements


@dataclass(frozen=True)
class Evidence:
    text: str
    citation: int  # 1-based number of the passage it comes from, as cited in the answer
    source: Source
    score: float

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "citation": self.citation,
            "source": self.source.source,
            "page": self.source.page,
            "score": round(self.score, 4),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], sources: list[Source]) -> Evidence:
        return cls(data["text"], data["citation"], sources[data["citation"] - 1], data["score"])


class Support(StrEnum):
    """How much of an answer the passages support, by its sentences."""

    SUPPORTED = "supported"  # every sentence
    PARTIAL = "partial"
    UNSUPPORTED = "unsupported"  # none


@dataclass(frozen=True)
class Grounding:
    state: Support
    flagged: list[str]  # answer sentences the passages do not support


def _pieces(text: str) -> list[str]:
    """The text cut at sentence ends, each piece on one line (a line wrap inside it becomes a space)."""
    return [piece for p in _SENTENCE_END.split(text) if p and (piece := " ".join(p.split()))]


def sentences(text: str) -> list[str]:
    return [p for p in _pieces(text) if len(p) >= MIN_SENTENCE_CHARS]


def pick_evidence(question_words: Sequence[str], sources: list[Source], n: int) -> list[Evidence]:
    """The `n` sentences sharing most of the question's content words (`core.tokens.query_words`); a
    better-ranked passage wins ties."""
    terms = set(question_words)
    scored: list[tuple[float, int, Evidence]] = []
    for number, src in enumerate(sources, 1):
        for sentence in sentences(src.text):
            coverage = len(terms & set(words(sentence))) / len(terms) if terms else 0.0
            scored.append((coverage, -number, Evidence(sentence, number, src, coverage)))
    scored.sort(key=lambda t: (t[0], t[1]), reverse=True)
    matching = [e for coverage, _, e in scored if coverage > 0]
    return (matching or [e for *_, e in scored[:1]])[:n]


def focus(text: str, question_words: Sequence[str], neighbours: int = 1) -> str:
    """The passage cut to the sentences that share a word with the question, with `neighbours` sentences on
    each side, gaps marked "…". A shorter prompt is a faster first token on a CPU; a passage with no such
    sentence is kept whole (it was retrieved for its meaning, not its words)."""
    terms = set(question_words)
    parts = _pieces(text)
    hits = [i for i, part in enumerate(parts) if terms & set(words(part))]
    if not hits:
        return text
    keep = sorted({j for i in hits for j in range(i - neighbours, i + neighbours + 1) if 0 <= j < len(parts)})
    out, last = [], -1
    for j in keep:
        if last >= 0 and j != last + 1:
            out.append("…")
        out.append(parts[j])
        last = j
    return " ".join(out)


def _content(sentence: str) -> set[str]:
    return {w for w in words(sentence) if w not in stopwords()}


def supported(sentence: str, context_words: set[str], context_numbers: set[str], min_share: float) -> bool:
    """Every number must occur in the passages and most content words too."""
    bare = _CITATION.sub("", sentence)
    if any(num not in context_numbers for num in _NUMBER.findall(bare)):
        return False
    content = _content(bare)
    if not content:
        return True
    return len(content & context_words) / len(content) >= min_share


def check_grounding(answer: str, sources: list[Source], min_share: float) -> Grounding:
    context = "\n".join(f"{s.heading}\n{s.text}" for s in sources)
    context_words, context_numbers = set(words(context)), set(_NUMBER.findall(context))
    claims = sentences(answer)
    flagged = [c for c in claims if not supported(c, context_words, context_numbers, min_share)]
    if not claims or not flagged:
        return Grounding(Support.SUPPORTED, [])
    return Grounding(Support.PARTIAL if len(flagged) < len(claims) else Support.UNSUPPORTED, flagged)
