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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.engine.query import CODE, codes_in, lettered, names_another
from core.documents import Source
from core.embeddings.base import Embedder
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
_NUMBERING = re.compile(
    r"^(?:(?:section|chapter|part)\s+)?(?:\d{1,2}(?:\.\d{1,2})*\.?|[一二三四五六七八九十]{1,3}[、.．]|第.{1,4}[章节])\s*",
    re.IGNORECASE,
)
_PUNCTUATION = re.compile(r"[，。！？；：、,.!?;:()（）]")
_TITLE_STOP = re.compile(r"[。！？；：.!?;:]")
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
    """How to score sentences in another language than the question's, which share none of its words: by the
    cosine of their meaning with the question's, `embedder`'s. Codes are left out of both: the code is scored on
    its own, and a sentence repeating "ZK-200 spindle" otherwise outranks "Maximum speed: 12,000 rpm" for
    "ZK-200 主轴的最高转速是多少？"."""

    language: Language
    question: str
    embedder: Embedder

    def similarity(self, texts: list[str]) -> list[float]:
        vectors = self.embedder.embed_documents([CODE.sub(" ", t) for t in texts])
        return [float(c) for c in vectors @ self.embedder.embed_query(CODE.sub(" ", self.question))]


@dataclass(frozen=True)
class _Candidate:
    number: int  # the passage's citation number
    source: Source
    text: str
    codes: frozenset[str]  # the codes and figures the sentence names
    subject: frozenset[str]  # ... and those its document's name and section heading name

    def on_subject(self, asked: frozenset[str]) -> bool:
        """About what the question names: it asks no code, or the sentence or its document names one of them
        ("ZK-200" in ZK-200_spindle_manual.pdf). A sentence on the CK6140's spindle says nothing of the ZK-200's."""
        return not asked or bool(asked & (self.codes | self.subject))


def pick_evidence(
    question_words: Sequence[str], sources: list[Source], n: int, codes: frozenset[str] = frozenset(),
    wants_quantity: bool = False, across: Across | None = None,
) -> list[Evidence]:  # fmt: skip
    """The `n` best sentences for the question (its content words `core.tokens.query_words`, its `codes` as
    `query.code_key`s), best first; a better-ranked passage wins ties. A sentence holds the codes its document's
    name and heading hold (the machine a manual is about), but only its own words and codes make it relevant. A
    sentence in another language than the question's shares none of its words: with `across`, its word share is
    replaced by its cosine with the question, scaled among those sentences from 0 (the least like it) to
    ACROSS_WEIGHT (the most); without, only its codes and figures can lift it. (The cosine once ranked a
    manual's title first; headings and titles are no evidence now.)"""
    candidates = _candidates(sources, codes)
    if not candidates:
        return []
    held = [set(words(c.text)) for c in candidates]
    weight = _rarity(_beside_codes(question_words, lettered(codes)), held)
    total = sum(weight.values())
    share = [sum(weight[w] for w in weight.keys() & h) / total if total else 0.0 for h in held]
    meaning = _meaning(candidates, share, across, lettered(codes))
    elsewhere = _about_other_codes(candidates, lettered(codes))
    scored = []
    for i, c in enumerate(candidates):
        coverage = meaning.get(i, share[i])
        code_share = len(codes & (c.codes | c.subject)) / len(codes) if codes else 0.0
        figure = QUANTITY_BONUS if wants_quantity and _DIGIT.search(CODE.sub(" ", c.text)) else 0.0
        score = coverage + CODE_WEIGHT * code_share + figure - RANK_COST * (c.number - 1)
        relevant = (coverage > 0 or bool(codes & c.codes)) and c.source.source not in elsewhere
        scored.append((score, relevant, -c.number, Evidence(c.text, c.number, c.source, score)))
    scored.sort(key=lambda t: (t[1], t[0], t[2]), reverse=True)
    matching = [e for _, relevant, _, e in scored if relevant]
    return (matching or [scored[0][3]])[:n]


def _about_other_codes(candidates: list[_Candidate], asked: frozenset[str]) -> set[str]:
    """The documents about other coded things than the question names (`query.names_another`, over all of a
    document's candidate sentences, its name and headings): under "报警 AL-105 出现后应该怎么处理？" the ZK-200
    manual (ZK-200, E21, E34, never AL-105) offered "Stop the spindle, check the coolant flow …", its E21 remedy,
    which beside AL-105's own sentence a reader takes for AL-105's. A document naming no code (a safety rule for
    every alarm) stays quotable."""
    held: dict[str, set[str]] = {}
    for c in candidates:
        held.setdefault(c.source.source, set()).update(lettered(c.codes | c.subject))
    return {doc for doc, named in held.items() if names_another(frozenset(named), named, asked)}


def _beside_codes(question_words: Sequence[str], asked: frozenset[str]) -> set[str]:
    """The question's words but the pieces of its codes ("zk", "200" of ZK-200): the code is scored whole, held
    by the sentence or by its document, and its pieces, rare among sentences, would rank one repeating the
    machine's name above the one stating the asked attribute."""
    return {w for w in question_words if not any(w.upper() in code for code in asked)}


def _candidates(sources: list[Source], codes: frozenset[str]) -> list[_Candidate]:
    asked = lettered(codes)
    out = []
    for number, src in enumerate(sources, 1):
        subject = frozenset(codes_in(src.subject))
        titles = _titles(src)
        for sentence in sentences(src.text):
            candidate = _Candidate(number, src, sentence, frozenset(codes_in(sentence)), subject)
            if sentence not in titles and _quotable(candidate, asked):
                out.append(candidate)
    return out


def _meaning(
    candidates: list[_Candidate], share: list[float], across: Across | None, asked: frozenset[str]
) -> dict[int, float]:
    """The sentences in another language than the question's (by index), each scored by its cosine with the
    question, scaled among them to 0..ACROSS_WEIGHT; at most MAX_ACROSS of them, the best-ranked passages'
    first. Only when no sentence in the question's language about what it names (`_Candidate.on_subject`)
    holds OWN_SHARE of its words (`share`): where one does, the words decide, as the cosine of an unrelated
    sentence in another language says little; a Chinese sentence on the CK6140's 主轴 does not answer
    "ZK-200 主轴的最高转速" and leaves the English manual's sentences to their meaning."""
    if across is None:
        return {}
    language = [_language(c.text) for c in candidates]
    own = zip(share, language, candidates, strict=True)
    if any(x >= OWN_SHARE for x, lang, c in own if lang == across.language and c.on_subject(asked)):
        return {}
    other = [i for i, lang in enumerate(language) if lang not in (None, across.language)][:MAX_ACROSS]
    if not other:
        return {}
    cosines = across.similarity([candidates[i].text for i in other])
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


def _quotable(candidate: _Candidate, asked: frozenset[str]) -> bool:
    """Not a heading ("Impeller" shares the question's words and says nothing; a bulleted item is no heading),
    and not about another thing than the question names: a sentence naming AL-210 and not AL-105 answers nothing
    about AL-105, however many of the question's words it shares; nor does one naming alarm E21 of another
    machine's manual, when the question names AL-105 on the CK6140."""
    if _heading_like(candidate.text) and not _BULLET.match(candidate.text):
        return False
    return not names_another(lettered(candidate.codes), candidate.codes | candidate.subject, asked)


def _titles(src: Source) -> set[str]:
    """Lines that name rather than state: the passage's heading and its parents ("CoolCut 8 water-miscible
    coolant — datasheet > Monitoring"), and its first line when that is a title ("ZK-200 Spindle Unit - Operator
    Manual": no end punctuation, no figure but a code's)."""
    first = " ".join(src.text.lstrip().split("\n", 1)[0].split())
    title = "" if _TITLE_STOP.search(first) or _DIGIT.search(CODE.sub(" ", first)) else first
    return {title, *(" ".join(part.split()) for part in src.heading.split(" > "))}


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
