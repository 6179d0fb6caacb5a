"""Words for keyword search: jieba for Chinese, word runs for everything else, lower-cased.

Both the index and the query go through `words()`, so they always agree. Each jieba piece is split again on
non-word characters, which leaves exactly the tokens SQLite's `unicode61` tokenizer sees when the words are
joined with spaces (so "M6x1.0" is "m6x1" and "0" on both sides). Search mode (`cut_for_search`) adds the
shorter words inside long ones: "数控车床" also yields "数控" and "车床", so a query cut differently still meets it.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path
from typing import Any

from core.lang import CJK

_WORD = re.compile(r"\w+")
STOPWORDS_FILE = Path(__file__).with_name("stopwords.txt")


@cache
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)  # it announces its dictionary load on every start
    jieba.initialize()
    return jieba


@cache
def stopwords() -> frozenset[str]:
    """Function words left out of queries: they match nearly every chunk and only slow the search down."""
    lines = STOPWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


COMMON_FREQUENCY = 3000  # in jieba's dictionary (60M words in all): "事情", "时间", "材料" and more are this common


def common(word: str) -> bool:
    """A Chinese word too common in general language to tell what a question asks ("事情", "做", "时间"), or a piece
    jieba's search mode cut from a phrase ("前要"), which no dictionary knows. Latin words are never common here:
    stop words aside, an English question's words are what it asks about."""
    if not CJK.search(word):
        return False
    frequency = _jieba().dt.FREQ.get(word, 0)
    return frequency >= COMMON_FREQUENCY or frequency == 0


def words(text: str) -> list[str]:
    out: list[str] = []
    for piece in _jieba().cut_for_search(text.lower()):
        out.extend(_WORD.findall(piece))
    return out


def cut(text: str) -> list[str]:
    """jieba's precise cut, every piece kept (spaces and punctuation too): each word once, none split further,
    for comparing two short texts word by word (`app/engine/verified/match.py`)."""
    return list(_jieba().cut(text))


def index_text(text: str) -> str:
    """What the keyword index stores for a text: its words joined by spaces."""
    return " ".join(words(text))


def query_words(text: str) -> list[str]:
    """Distinct content words of a question, in order; all words when every one is a stopword."""
    found = list(dict.fromkeys(words(text)))
    content = [w for w in found if w not in stopwords()]
    return content or found
