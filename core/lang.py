"""Which language a text is in, and how long it is in model tokens, from its Chinese characters and Latin words."""

from __future__ import annotations

import re
from typing import Literal

Language = Literal["zh", "en"]
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]+")
_LATIN_WORD = re.compile(r"[A-Za-z0-9]+")


def detect_language(text: str) -> Language:
    """'zh' when Chinese characters outweigh Latin words; a few CJK characters make a question Chinese."""
    cjk = len(CJK.findall(text))
    words = len(_LATIN.findall(text))
    return "zh" if cjk and cjk >= words else "en"


def approx_tokens(text: str) -> int:
    """A tokenizer-free estimate (about one token per Chinese character, 1.3 per English word): memory is
    bounded before the LLM is loaded, and the estimate errs on the long side for both languages."""
    return len(CJK.findall(text)) + int(1.3 * len(_LATIN_WORD.findall(text))) + 1
