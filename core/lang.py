"""Which language a question is in, so the answer and the prompt follow it."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]+")


def detect_language(text: str) -> str:
    """'zh' when Chinese characters outweigh Latin words; a few CJK characters make a question Chinese."""
    cjk = len(_CJK.findall(text))
    words = len(_LATIN.findall(text))
    return "zh" if cjk and cjk >= words else "en"
