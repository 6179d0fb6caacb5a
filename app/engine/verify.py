"""The model's draft, checked before any of it is shown: a sentence is shown only when the passage it cites
holds every code, number, unit and name in it and most of its words, and the draft as a whole is not
degenerate (repeating itself, longer than what the passages hold, copying the excerpts' headers, echoing the
question). Whatever fails is not shown; the quoted lead answer stands alone.

Lexical, like the evidence: a number that is not in the passage it cites ("80 N·m" where it says "60 N·m") is
the mistake a factory cannot afford, and exactly what matching words and codes catches. The checks are the same
for a 270M model and a 7B one; a strong model passes them more often, and then its words are shown.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from app.engine.evidence import sentences
from app.engine.query import codes_in, lettered, names_another
from core.documents import Source
from core.tokens import stopwords, words

_CITATION = re.compile(r"\[(\d{1,3})\]")
# "…负载。 [1]": the [1] belongs to the sentence before it, so it moves in front of that sentence's end.
_CITATION_AFTER_END = re.compile(r"([。.!?！？；;])\s*((?:\[\d{1,3}\]\s*)+)")
_HEADER = re.compile(r"^\s*\[\d{1,3}\]\s*[(（]|·\s*p\.\s*\d")  # "[1] (manual.pdf · p.3)", as the prompt numbers them
_LIST_ITEM = re.compile(
    r"^\s*(?:[-•*·]|\d{1,3}[.、)）]|[（(]\d{1,3}[）)]|[一二三四五六七八九十]{1,3}、)\s*\S", re.MULTILINE
)
_NAME = re.compile(r"(?<![A-Za-z])(?:[A-Z][a-z]+|[A-Z]{2,})(?![A-Za-z])")  # "Siemens", "ISO", "BT"
# A unit after a figure: "45 N·m", "12,000 rpm", "0.3 mm", "70 °C".
_UNIT = re.compile(
    r"\d\s*((?:mm|cm|km|kg|kw|kva|kv|mpa|kpa|bar|psi|rpm|r/min|n·m|n\.m|nm|°c|℃|hz|khz|mhz|ma|kn|l/min|ml|μm|"
    r"h|min|s|v|a|w|g|m|l|%|小时|分钟|秒|毫米|公斤|千克|转|度|次|个月|天|年))(?![A-Za-z])",
    re.IGNORECASE,
)
REPEATED_NGRAM = 3  # a run of 4 words said this many times is a model going round in circles
MIN_ITEMS_ALLOWED = 3  # a draft may list this many items even when the passages list fewer


@dataclass(frozen=True)
class Rejected:
    sentence: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"sentence": self.sentence, "reason": self.reason}


@dataclass(frozen=True)
class Verdict:
    shown: list[str] = field(default_factory=list)  # the draft's sentences that passed, in order
    rejected: list[Rejected] = field(default_factory=list)
    degenerate: str = ""  # why the whole draft was refused; "" when it was judged sentence by sentence

    def to_json(self) -> dict[str, Any]:
        return {"degenerate": self.degenerate, "rejected": [r.to_json() for r in self.rejected]}


def verify(draft: str, question: str, sources: Sequence[Source], min_share: float) -> Verdict:
    """The draft's sentences that may be shown, each ending with the citation of the passage that holds it."""
    draft = draft.strip()
    claims = sentences(_CITATION_AFTER_END.sub(lambda m: f" {m.group(2).strip()}{m.group(1)}", draft))
    if reason := degenerate(draft, claims, question, sources):
        return Verdict([], [Rejected(c, reason) for c in claims] or [Rejected(draft, reason)], reason)
    shown, rejected = [], []
    asked = lettered(codes_in(question))
    for claim in claims:
        reason, holder = check(claim, sources, min_share)
        if not reason and (other := _another_thing(claim, sources[holder - 1], asked)):
            reason = f"about {other}, not what the question names"
        if reason:
            rejected.append(Rejected(claim, reason))
        else:
            shown.append(claim if _CITATION.search(claim) else f"{claim} [{holder}]")
    if shown and not addresses(" ".join(shown), question):
        return Verdict([], [Rejected(c, "does not answer the question asked") for c in claims], "")
    return Verdict(shown, rejected, "")


def degenerate(draft: str, claims: list[str], question: str, sources: Sequence[Source]) -> str:
    """Why the draft as a whole cannot be shown, or ""."""
    if not claims:
        return "says nothing"
    if any(_HEADER.search(line) for line in draft.splitlines()):
        return "copies the excerpts' headers"
    lines = [" ".join(line.split()) for line in draft.splitlines() if len(line.strip()) >= 4]
    if len(lines) != len(set(lines)):
        return "repeats a line"
    said = words(draft)
    if any(n >= REPEATED_NGRAM for n in Counter(zip(said, said[1:], said[2:], said[3:], strict=False)).values()):
        return "repeats itself"
    in_passages = sum(len(_LIST_ITEM.findall(s.text)) for s in sources)
    if len(_LIST_ITEM.findall(draft)) > max(MIN_ITEMS_ALLOWED, in_passages):
        return "lists more items than the passages hold"
    if _content(_CITATION.sub("", draft)) <= _content(question):
        return "repeats the question"
    return ""


def check(claim: str, sources: Sequence[Source], min_share: float) -> tuple[str, int]:
    """(why this sentence cannot be shown or "", the number of the passage it was checked against): the passage
    it cites, or, when it cites none, the passage that holds most of its words (never all passages pooled)."""
    cited = [int(n) for n in _CITATION.findall(claim)]
    if not sources or any(not 1 <= n <= len(sources) for n in cited):
        return "cites a passage that does not exist", 0
    bare = _CITATION.sub("", claim)
    content = _content(bare)
    numbers = cited or range(1, len(sources) + 1)
    number = max(numbers, key=lambda n: len(content & _content(_passage_text(sources[n - 1]))))
    text, label = _passage_text(sources[number - 1]), f"[{number}]"
    if missing := sorted(codes_in(bare) - codes_in(text)):
        return f"{', '.join(missing)} not in {label}", number
    if missing := sorted({term for term in _names_and_units(bare) if not _holds(text, term)}):
        return f"{', '.join(missing)} not in {label}", number
    if content and len(content & _content(text)) / len(content) < min_share:
        return f"most of its words are not in {label}", number
    return "", number


def _another_thing(claim: str, holder: Source, asked: frozenset[str]) -> str:
    """The codes of a sentence that speaks of another thing than the question names, or "" (the rule the lead
    follows, `query.names_another`): "Alarm E21 (spindle overheating) is raised…" is true in the ZK-200 manual
    and no answer to "What does alarm AL-105 mean on the CK6140 lathe?"."""
    named = codes_in(_CITATION.sub("", claim))
    other = lettered(named)
    return ", ".join(sorted(other)) if names_another(other, named | codes_in(holder.subject), asked) else ""


def _names_and_units(sentence: str) -> list[str]:
    """Capitalised names after the sentence's first word, capitals anywhere, and the unit after each figure."""
    first = re.match(r"\W*\w+", sentence)
    start = first.end() if first else 0
    names = [m.group() for m in _NAME.finditer(sentence) if m.start() >= start or m.group().isupper()]
    return names + _UNIT.findall(sentence)


def _holds(text: str, term: str) -> bool:
    return re.search(rf"(?<![A-Za-z]){re.escape(term)}(?![A-Za-z])", text, re.IGNORECASE) is not None


def addresses(shown: str, question: str) -> bool:
    """The shown sentences share a code or a content word with the question: an answer about something else,
    however well supported, does not answer it."""
    return bool(_content(shown) & _content(question)) or bool(codes_in(shown) & codes_in(question))


def _passage_text(src: Source) -> str:
    return f"{src.heading}\n{src.text}"


def _content(text: str) -> set[str]:
    return {w for w in words(text) if w not in stopwords()}
