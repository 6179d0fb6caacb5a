"""Evidence: the sentences (or table rows) of the retrieved passages that answer the question, verbatim, each
with the number of the passage it comes from. The best three are the lead answer: the first thing a user reads
under a question, true to the documents by construction and known before any model runs. Three, not only the
best one: measured on the shared QA sets (docs/benchmarks.md), a lead cut to the sentences scoring within 85 %
of the best (1.4-1.9 sentences) held the gold answer less often than the three sentences quoted before it.

A sentence is scored by the question's focus: every content word weighs by how rare it is among the candidate
sentences (the asked attribute, "扭矩" or "clearance", is rare there; the machine every sentence names is not),
a code or number the question names counts extra and exactly (AL-105 is not AL-210), a question asking "how
much" prefers a sentence with a figure, and a better-ranked passage wins near-ties. Lexical (jieba words, as
keyword search cuts them), because on 2 cores a model pass per sentence would cost more than the answer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from app.engine.query import CODE, codes_in
from core.documents import Source
from core.lang import CJK, Language, detect_language
from core.tokens import words

# A sentence ends at Chinese or Western end punctuation, at a blank line, or where the next line starts a list
# item or a table row. A single line break elsewhere is a PDF's line wrap ("报警 AL-210\n表示润滑油压力不足"),
# not the end of a statement: quoting the half before it as evidence would say nothing.
_SENTENCE_END = re.compile(
    r"(?<=[。！？；!?;])|(?<=[.](?=\s))|\n\s*\n+"
    r"|\n(?=\s*(?:[-•*·|]|\d{1,3}[.、)）]\s*\S|[（(]\d{1,3}[）)]|[一二三四五六七八九十]{1,3}、))"
)
# A table row as the loaders write it ("型号: ZK-200; 功率: 7.5 kW"): one statement, not one per cell.
_TABLE_ROW = re.compile(r"^[^\n:：;；]{1,40}[:：] [^\n]*?; [^\n:：;；]{1,40}[:：] [^\n]*$", re.MULTILINE)
_DIGIT = re.compile(r"\d")
_BULLET = re.compile(r"^\s*[-•*·]\s")
_LETTERS = re.compile(r"[A-Z]+")
_NUMBERING = re.compile(
    r"^(?:(?:section|chapter|part)\s+)?(?:\d{1,2}(?:\.\d{1,2})*\.?|[一二三四五六七八九十]{1,3}[、.．]|第.{1,4}[章节])\s*",
    re.IGNORECASE,
)
_PUNCTUATION = re.compile(r"[，。！？；：、,.!?;:()（）]")
HEADING_WIDTH = 30  # a line narrower than this (a Chinese character counts 2) may be a heading; wrapped lines are wider
MIN_SENTENCE_CHARS = 4  # shorter pieces are list markers and page numbers, not statements
CODE_WEIGHT = 0.5  # a sentence naming all the question's codes gains half of a full word coverage
QUANTITY_BONUS = 0.1  # a figure (not a code's digits) in a sentence, when the question asks how much / many / long
RANK_COST = 0.02  # per place the sentence's passage is ranked below the first
MAX_LEAD = 3
ACROSS_WEIGHT = 0.6  # a sentence in another language scores up to this: a same-language one sharing most
# of the question's words still wins (0.5 and 0.7 gave the same on bench.crosslang)
OWN_SHARE = 0.3  # ... and only while no sentence in the question's language holds this share of its words
# (0.5 let an unrelated Chinese sentence outrank an English one holding half the question's words; 0 lost
# bench.crosslang's English-to-Chinese gains, where English passages of other manuals share a word or two)
MIN_LETTERS = 4  # a piece with fewer letters (Latin or CJK) is in no language: figures, times, scores
_LETTER = re.compile(rf"[A-Za-z]|{CJK.pattern}")
MAX_ACROSS = 32  # sentences in another language embedded per question: their time is the lead's


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


def _pieces(text: str) -> list[str]:
    """The text cut at sentence ends, each piece on one line (a line wrap inside it becomes a space); a table
    row stays whole."""
    out, at = [], 0
    for row in _TABLE_ROW.finditer(text):
        out += [*_prose(text[at : row.start()]), " ".join(row.group().split())]
        at = row.end()
    return out + _prose(text[at:])


def _prose(text: str) -> list[str]:
    return [piece for block in _blocks(text) for p in _SENTENCE_END.split(block) if (piece := " ".join(p.split()))]


def _blocks(text: str) -> list[str]:
    """The text cut after each heading-like line (a Markdown heading the splitter kept as plain text, a PDF
    title), which a line wrap would otherwise glue to the sentence after it ("报警\n报警 AL-105 表示…")."""
    blocks, current = [], []
    for line in text.split("\n"):
        current.append(line)
        if _heading_like(line):
            blocks.append("\n".join(current))
            current = []
    return [*blocks, "\n".join(current)]


def _heading_like(line: str) -> bool:
    """Short, with no punctuation past its numbering, not ending in a figure (a wrap inside "12,000\nrpm")."""
    bare = _NUMBERING.sub("", line.strip())
    width = sum(2 if ord(ch) > 0x2E7F else 1 for ch in bare)
    return 0 < width < HEADING_WIDTH and not _PUNCTUATION.search(bare) and not bare[-1].isdigit()


def sentences(text: str) -> list[str]:
    return [p for p in _pieces(text) if len(p) >= MIN_SENTENCE_CHARS]


@dataclass(frozen=True)
class Across:
    """How to score sentences in another language than the question's, which share none of its words: by their
    meaning, `similarity` giving each sentence's cosine with the question (the embedder's)."""

    language: Language
    similarity: Callable[[list[str]], Sequence[float]]


def pick_evidence(
    question_words: Sequence[str], sources: list[Source], n: int, codes: frozenset[str] = frozenset(),
    wants_quantity: bool = False, across: Across | None = None,
) -> list[Evidence]:  # fmt: skip
    """The `n` best sentences for the question (its content words `core.tokens.query_words`, its `codes` as
    `query.code_key`s), best first; a better-ranked passage wins ties. A sentence in another language than the
    question's shares none of its words: with `across`, its word share is replaced by its cosine with the
    question, scaled among those sentences from 0 (the least like it) to ACROSS_WEIGHT (the most); without, only
    its codes and figures can lift it. (The cosine once ranked a manual's title first; headings are no evidence
    now.)"""
    candidates = [
        (number, src, s) for number, src in enumerate(sources, 1) for s in sentences(src.text) if _quotable(s, codes)
    ]
    if not candidates:
        return []
    held = [set(words(sentence)) for *_, sentence in candidates]
    weight = _rarity(set(question_words), held)
    total = sum(weight.values())
    share = [sum(weight[w] for w in weight.keys() & h) / total if total else 0.0 for h in held]
    meaning = _meaning([sentence for *_, sentence in candidates], share, across)
    scored = []
    for i, (number, src, sentence) in enumerate(candidates):
        coverage = meaning.get(i, share[i])
        code_share = len(codes & codes_in(sentence)) / len(codes) if codes else 0.0
        figure = QUANTITY_BONUS if wants_quantity and _DIGIT.search(CODE.sub(" ", sentence)) else 0.0
        score = coverage + CODE_WEIGHT * code_share + figure - RANK_COST * (number - 1)
        scored.append((score, coverage + code_share > 0, -number, Evidence(sentence, number, src, score)))
    scored.sort(key=lambda t: (t[1], t[0], t[2]), reverse=True)
    matching = [e for _, relevant, _, e in scored if relevant]
    return (matching or [scored[0][3]])[:n]


def _meaning(candidates: list[str], share: list[float], across: Across | None) -> dict[int, float]:
    """The sentences in another language than the question's (by index), each scored by its cosine with the
    question, scaled among them to 0..ACROSS_WEIGHT; at most MAX_ACROSS of them, the best-ranked passages'
    first. Only when no sentence in the question's language holds OWN_SHARE of its words (`share`): where one
    does, the words decide, as the cosine of an unrelated sentence in another language says little."""
    if across is None:
        return {}
    language = [_language(s) for s in candidates]
    if any(x >= OWN_SHARE for x, lang in zip(share, language, strict=True) if lang == across.language):
        return {}
    other = [i for i, lang in enumerate(language) if lang not in (None, across.language)][:MAX_ACROSS]
    if not other:
        return {}
    cosines = [float(c) for c in across.similarity([candidates[i] for i in other])]  # numpy floats are no JSON
    low, high = min(cosines), max(cosines)
    scale = lambda c: (c - low) / (high - low) if high > low else 1.0  # noqa: E731
    return {i: ACROSS_WEIGHT * scale(c) for i, c in zip(other, cosines, strict=True)}


def _language(sentence: str) -> Language | None:
    """None for a piece with almost no letters ("574.18", "（9：00", a row of scores): it is in no language, and
    its cosine with any question says nothing."""
    return detect_language(sentence) if len(_LETTER.findall(sentence)) >= MIN_LETTERS else None


def _rarity(terms: set[str], held: list[set[str]]) -> dict[str, float]:
    """Each question word's weight: how rare it is among the candidate sentences (smoothed inverse frequency)."""
    return {w: math.log((len(held) + 1) / (sum(w in h for h in held) + 0.5)) for w in terms}


def _quotable(sentence: str, codes: frozenset[str]) -> bool:
    """Not a heading ("Impeller" shares the question's words and says nothing; a bulleted item is no heading),
    and not a look-alike: a sentence naming AL-210 and not AL-105 answers nothing about AL-105, however many of
    the question's words it shares."""
    if _heading_like(sentence) and not _BULLET.match(sentence):
        return False
    return not codes or not _look_alike(codes_in(sentence), codes)


def _look_alike(named: set[str], asked: frozenset[str]) -> bool:
    """A code of the same family (the same letters: AL-210 for AL-105, E34 for E21) without the asked one."""
    families = {m.group() for c in asked if (m := _LETTERS.match(c))}
    return not named & asked and any((m := _LETTERS.match(c)) and m.group() in families for c in named)


def lead_of(evidence: list[Evidence]) -> list[Evidence]:
    """The lead answer: the best evidence sentences (each shares a word or a code with the question)."""
    return evidence[:MAX_LEAD]


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
