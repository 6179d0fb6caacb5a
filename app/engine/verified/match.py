"""Does a question ask what a verified question asks? Read without a model, because the embedding cannot tell:
e5 puts "报警 E12 是什么意思？" and "报警 E21 是什么意思？" at 0.94 cosine, "额定电流" and "额定电压" questions at
0.98, above most true paraphrases. So the embedding only finds candidates; a candidate is the same question when

- it names the same codes and numbers (E12 ≠ E21, M10 ≠ M12, 2000 ≠ 200; `app.engine.query.codes_in`, the code
  check retrieval uses),
- the two ask for the same kind of answer when both say (how often ≠ how much, how to fix ≠ why),
- the two agree on "must": a question saying it must ("必须", "must") is the same as one saying it should or needs
  to ("要", "should"), not as one asking whether it may ("可以") or saying nothing (`lexicon.MUST`, `SHOULD`),
- the word right after a negation is the same ("good picture but no sound" is not "good sound but no picture":
  the same words, so the next rule alone would serve it),
- and every content word of each is in the other, once the words that only phrase a question are left out and
  synonyms are read as one (`lexicon.py`). Chinese words are compared character by character, so "额定电流" cut
  as one word and "电流额定值" cut as two still agree, while 液压油/润滑油 differ in 液压/润滑 and 电流/电压 in
  流/压. English words are compared by a crude stem ("resets" is "reset").

A word one question has and the other lacks may stay when it names nothing: a filler, an English stop word, or a
common Chinese word whose role in the question (jieba's part-of-speech tag) is a verb, preposition, locality or
pronoun ("达到", "向", "上", "每次"). A noun, adjective, adverb, number or unit names the thing or the attribute
asked about and keeps the two apart however common it is ("冷却液系统", "自动调节", "多少分钟").

Units, model names and a negation on one side only need no rule of their own: "MPa" and "bar", "ZK-200" and
"ZK-300", "不" are content words like any other. Measured on bench/data/verified_pairs.jsonl
(`python -m bench.verified`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import jieba
import jieba.posseg

from app.engine.query import CODE, codes_in
from app.engine.verified import lexicon
from core.lang import CJK
from core.tokens import cut, stopwords

_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
CODES_DIFFER = "codes or numbers differ"  # `differs`' reason when they do: such a pair is never even offered
_OPTION = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*")  # a command-line option: "-F" is not "-f"
_TOWARDS = frozenset({"to", "into", "onto", "from"})  # "add water to the concentrate" is not "the concentrate to water"
_WORD = re.compile(r"\w+")
_HEAD_GLUED = re.compile("|".join(h for h in sorted(lexicon.QUESTION_HEADS, key=len, reverse=True) if not h.isascii()))
_SUFFIXES = ("ement", "ment", "ing", "ies", "es", "ed", "s")


@dataclass(frozen=True)
class Reading:
    """A question as the matcher compares it."""

    codes: frozenset[str]  # `code_key`s of its codes and numbers
    asks: frozenset[str]  # the kinds of answer it asks for (`lexicon.ASKS`); empty when it does not say
    words: frozenset[str]  # its content: English stems and the characters of its Chinese words
    towards: frozenset[str] = frozenset()  # English content words right after to/into/onto/from
    heads: frozenset[str] = frozenset()  # content of the word right after "什么", "哪些", "what", "which"
    negated: frozenset[str] = frozenset()  # content of the word right after a negation ("no sound", "没有声音")
    thing: frozenset[str] = frozenset()  # the thing what/which asks for: "which spindle bearings", "什么润滑脂"
    general: frozenset[frozenset[str]] = frozenset()  # the content of each word that may stand on one side only
    must: bool = False  # says it must ("必须", "must": `lexicon.MUST`)
    obliges: bool = False  # says it must, should or needs to (`lexicon.MUST`, `lexicon.SHOULD`)
    symmetric: bool = False  # a verb whose two sides may swap ("connect"): to/into/from need not agree


@dataclass
class _Parts:
    """What `Lexicon._content` collects while it walks a question's words."""

    content: set[str] = field(default_factory=set)
    towards: set[str] = field(default_factory=set)
    heads: set[str] = field(default_factory=set)
    negated: set[str] = field(default_factory=set)
    thing: set[str] = field(default_factory=set)
    general: set[frozenset[str]] = field(default_factory=set)
    must: bool = False
    obliges: bool = False
    symmetric: bool = False


def _alternation(phrases: Sequence[str]) -> re.Pattern[str]:
    """Longest first; Latin phrases as whole words, Chinese ones anywhere."""
    parts = [
        rf"(?<![a-z]){re.escape(p)}(?![a-z])" if p.isascii() else re.escape(p)
        for p in sorted(phrases, key=len, reverse=True)
    ]
    return re.compile("|".join(parts))


def stem(word: str) -> str:
    """A crude English stem, the same on both sides: "resets", "reset" -> "reset"; "replacing" -> "replac"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


class Lexicon:
    """The lists of `lexicon.py` compiled once, plus a team's own synonym groups (`verified.synonyms`)."""

    def __init__(self, extra_synonyms: Sequence[Sequence[str]] = (), general_frequency: int = 0) -> None:
        self._general_frequency = general_frequency
        self._general_en = stopwords() - lexicon.NEVER_GENERAL_EN
        self._rewrites = _alternation(list(lexicon.REWRITES))
        self._asks = {kind: _alternation(phrases) for kind, phrases in lexicon.ASKS.items()}
        canonical: dict[str, str] = {}
        for group in (*lexicon.SYNONYMS, *extra_synonyms):
            words = [w.strip().lower() for w in group if w.strip()]
            for word in words:
                canonical.setdefault(word, canonical.get(words[0], words[0]))
        self._synonym = canonical
        self._stemmed = {stem(w): stem(c) for w, c in canonical.items() if w.isascii()}
        phrases = [w for w in canonical if not w.isascii() and len(w) > 1]
        self._phrases = _alternation(phrases) if phrases else None
        self._symmetric = {self._stemmed.get(stem(w), stem(w)) for w in lexicon.SYMMETRIC_EN}
        self._fillers_inside = _alternation([w for w in lexicon.FILLERS_ZH if len(w) > 1])

    def read(self, question: str) -> Reading:
        text = unicodedata.normalize("NFKC", question)
        codes = frozenset(codes_in(text)) | frozenset(_OPTION.findall(text))
        text = plain = _DIGITS.sub(" ", CODE.sub(" ", _OPTION.sub(" ", text))).lower()
        text = self._rewrites.sub(lambda m: f" {lexicon.REWRITES[m.group()]} ", text)
        asks = set()
        for kind, pattern in self._asks.items():
            text, found = pattern.subn(" ", text)
            if found:
                asks.add(kind)
        if self._phrases is not None:
            text = self._phrases.sub(lambda m: f" {self._synonym[m.group()]} ", text)
        parts = self._content(text)
        parts.general |= self._light(plain)
        return Reading(
            codes,
            frozenset(asks),
            frozenset(parts.content),
            frozenset(parts.towards),
            frozenset(parts.heads),
            frozenset(parts.negated),
            frozenset(parts.thing),
            frozenset(parts.general),
            must=parts.must,
            obliges=parts.obliges or parts.must,
            symmetric=parts.symmetric,
        )

    def _light(self, plain: str) -> set[frozenset[str]]:
        """The Chinese words this question may add or drop and still ask the same, judged by their role in it as
        jieba tags the whole question: its filler words, and general words that name nothing (a verb, preposition,
        locality or pronoun: 达到, 配, 向, 上, 每次; `lexicon.LIGHT_ROLES`). A noun, adjective, number or
        measure word names the thing or attribute asked about, so it stays a difference however common it is
        ("温度", "英文"). Read from the question as written: once the asked phrases are cut out, jieba glues what
        was around them ("多少度会" becomes "度会"), hiding the filler 会. `plain`: codes and numbers masked."""
        light: set[frozenset[str]] = set()
        for pair in jieba.posseg.cut(plain):
            word = self._synonym.get(pair.word, pair.word)
            if not CJK.search(word):
                continue
            if word in lexicon.FILLERS_ZH or (pair.flag in lexicon.LIGHT_ROLES and self.general(word)):
                found = frozenset(ch for ch in word if ch not in lexicon.FILLER_CHARS)
                if found:
                    light.add(found)
        return light

    def general(self, word: str) -> bool:
        """A word common enough in general language that a question may add or drop it and still ask the same:
        "缺考的课程能不能参加补考" is "缺考的课程可以补考吗", "Where can I find X" is "Where is X" no more than
        jieba's dictionary or the stop words say so. A word jieba's dictionary lacks is never general (unlike
        `core.tokens.common`, which reads such pieces as noise): a term of the trade is what jieba does not know."""
        if self._general_frequency <= 0:
            return False
        if not CJK.search(word):
            return word in self._general_en
        if (
            word in lexicon.UNITS_ZH
            or word in lexicon.NEVER_GENERAL_ZH
            or any(ch in lexicon.NEVER_GENERAL_ZH for ch in word)
        ):
            return False
        return int(jieba.get_FREQ(word) or 0) >= self._general_frequency

    def _content(self, text: str) -> _Parts:
        parts = _Parts()
        after_towards = after_head = after_negation = False
        at, thing_from = 0, None  # the word's place; where the asked thing's words began (`_thing`)
        for token in cut(text):
            for word in _WORD.findall(token):
                at += 1
                word = self._synonym.get(word, word)
                if word in lexicon.MUST:
                    parts.must = True
                    continue
                if word in lexicon.SHOULD:  # modality is compared on its own (`differs`), not as content
                    parts.obliges = True
                    continue
                if word in lexicon.QUESTION_HEADS:
                    after_head, thing_from = True, (at if thing_from is None and not parts.thing else thing_from)
                    continue
                if glued := _HEAD_GLUED.match(word):  # jieba's "哪些项目"
                    word, after_head = word[glued.end() :], True
                    thing_from = at if not parts.thing else thing_from
                if CJK.search(word):
                    found = {*self._characters(word)}
                elif word in _TOWARDS:
                    after_towards = True
                    continue
                elif word in lexicon.FILLERS_EN:
                    continue
                else:
                    stemmed = stem(word)
                    found = {self._stemmed.get(stemmed, stemmed)}
                    parts.symmetric |= bool(found & self._symmetric)
                    if after_towards:
                        parts.towards |= found
                if not found:
                    continue
                parts.content |= found
                if not CJK.search(word) and self.general(word):  # Chinese words: by their role (`_light`)
                    parts.general.add(frozenset(found))
                if after_head:
                    parts.heads |= found
                if after_negation:
                    parts.negated |= found
                if thing_from is not None:
                    thing_from = _thing(parts.thing, word, found, at, thing_from)
                after_towards = after_head = False
                after_negation = word in lexicon.NEGATIONS
        return parts

    def _characters(self, word: str) -> str:
        """A Chinese word's content characters: none for a filler word, and a longer word loses the filler words
        inside it ("标准值" is "值" once "标准" goes, and "值" is a filler too)."""
        if word in lexicon.FILLERS_ZH:
            return ""
        word = self._fillers_inside.sub("", word)
        return "" if word in lexicon.FILLERS_ZH else "".join(ch for ch in word if ch not in lexicon.FILLER_CHARS)


def differs(asked: Reading, stored: Reading) -> str:
    """Why the asked question is not the stored one, or "" when it asks the same."""
    if asked.codes != stored.codes:
        return f"{CODES_DIFFER}: {_listed(asked.codes - stored.codes)} / {_listed(stored.codes - asked.codes)}"
    if asked.asks and stored.asks and not asked.asks & stored.asks:
        return f"asks for another kind of answer: {_listed(asked.asks)} / {_listed(stored.asks)}"
    if _amount_and_kind(asked, stored) or _amount_and_kind(stored, asked):
        return "one asks how much of a thing, the other which thing"
    if _asks_about_another(asked, stored) or _asks_about_another(stored, asked):
        return f"asks for another thing: {_listed(asked.thing)} / {_listed(stored.thing)}"
    if (asked.must and not stored.obliges) or (stored.must and not asked.obliges):
        return "one says it must, the other does not say it should"
    symmetric = asked.symmetric and stored.symmetric
    if asked.towards and stored.towards and asked.towards != stored.towards and not symmetric:
        return f"another direction: to {_listed(asked.towards)} / to {_listed(stored.towards)}"
    if asked.negated and stored.negated and asked.negated != stored.negated:  # "good picture, no sound" / the reverse
        return f"another thing negated: {_listed(asked.negated)} / {_listed(stored.negated)}"
    extra, lacking = asked.words - stored.words, stored.words - asked.words
    if (extra and lacking) or not (_allowed(extra, asked) and _allowed(lacking, stored)):
        return f"words differ: {_listed(extra)} / {_listed(lacking)}"
    return ""


def _amount_and_kind(one: Reading, other: Reading) -> bool:
    """An amount against a thing: "How much grease do I pack?" / "What grease do I pack?". The second says no kind
    of answer, so the kinds are not compared, but its head (the word after what/which) is a thing the first
    measures. Not when either names a quantity (`lexicon.MEASURES`): "what air pressure" asks how much."""
    if "quantity" not in one.asks or other.asks or not other.heads & one.words:
        return False
    return not any(_measures(one, m) or _measures(other, m) for m in lexicon.MEASURES)


def _thing(thing: set[str], word: str, found: set[str], at: int, since: int) -> int | None:
    """Collects the thing a what/which question asks for into `thing`; where to go on from, or None once done.
    English: the run of content words right after it, past "type of" ("at what bearing temperature": bearing and
    temperature; "what type of grease": grease). Chinese: the word right after it when jieba reads it as a noun
    ("用什么工具清除": 工具; "用什么清除" asks for no thing, 清除 is what is done)."""
    if CJK.search(word):
        if not thing and all(p.flag.startswith("n") for p in jieba.posseg.lcut(word)):
            thing |= found
        return None
    if not thing and word in lexicon.THING_KINDS:
        return at
    if not thing or since == at - 1:
        thing |= found
        return at
    return None


def _asks_about_another(one: Reading, other: Reading) -> bool:
    """ "Which bearings does the spindle use?" asks for a thing "Which grease is used for the spindle bearings?"
    names without asking for it, and the thing the second asks for is not in the first at all."""
    if not one.thing or not other.thing:
        return False
    return one.thing <= other.words - other.thing and not other.thing & one.words


def _measures(reading: Reading, measure: str) -> bool:
    return set(measure) <= reading.words if not measure.isascii() else stem(measure) in reading.words


def _allowed(one_sided: frozenset[str], reading: Reading) -> bool:
    """Content only this question has may be its head ("穿戴什么" / "穿戴哪些防护用品") or words that name
    nothing (`Lexicon._light`, English stop words), each one wholly its own: "参加" added is allowed, while the
    箱 of "主轴箱" (vs "主轴") is part of a word the other question also has, and stays a difference."""
    covered = reading.heads.union(*(g for g in reading.general if g <= one_sided))
    return one_sided <= covered


def _listed(items: frozenset[str]) -> str:
    return ",".join(sorted(items)) or "-"
