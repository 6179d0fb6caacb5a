"""Text layers that extract as garbage: fonts without a Unicode map (common in Chinese LaTeX PDFs).

pypdf then returns "script soup" — a Chinese guide comes out as Oriya, Lao and Cyrillic letters mixed with
control characters. The page looks fine on screen, so OCR of the rendered page reads it correctly. A page
is garbled when control or private-use characters are more than 2 % of what it shows, or when its two most
common scripts hold less than 80 % of its letters (real text: Latin + CJK, Cyrillic + Latin, …).
"""

from __future__ import annotations

import unicodedata
from collections import Counter

MIN_CHARS = 20
MAX_CONTROL_SHARE = 0.02
MIN_TOP_SCRIPTS_SHARE = 0.8
_CONTROL = {"Cc", "Co", "Cn", "Cs"}


def script(ch: str) -> str:
    """The first word of the character's Unicode name (LATIN, CJK, CYRILLIC, ORIYA…): close enough to a script."""
    try:
        return unicodedata.name(ch).split()[0]
    except ValueError:
        return "?"


def is_garbled(text: str) -> bool:
    visible = [c for c in text if not c.isspace()]
    if len(visible) < MIN_CHARS:
        return False
    control = sum(1 for c in visible if unicodedata.category(c) in _CONTROL or c == "\ufffd")
    if control > MAX_CONTROL_SHARE * len(visible):
        return True
    letters = [c for c in visible if unicodedata.category(c)[0] in "LM"]
    if len(letters) < MIN_CHARS:
        return False
    top_two = sum(n for _, n in Counter(script(c) for c in letters).most_common(2))
    return top_two < MIN_TOP_SCRIPTS_SHARE * len(letters)
