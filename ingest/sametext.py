"""When two chunks say the same thing: the rule near-duplicate dropping rests on (issue 19, item 1).

Manufacturing documents are templates: one maintenance card per machine, one table per model. Two such
chunks embed almost identically (cosine 0.99 and more) yet differ in exactly what a question asks for: a
code (AL-608), a number (37 g), a unit (mA / MA), a name, a date. So a chunk may be left out only when its
text is the same as a stored one's up to differences that carry no fact:

- whitespace: runs of spaces, line breaks, the spaces PDF extraction pads around Latin runs in Chinese;
- punctuation, unless it touches a number ("1.5" is not "15", "-5" is not "5", "AL-608" keeps its dash);
- full-width forms of ASCII characters ("１２０ｍｍ" is "120mm");
- page furniture: whole lines that are only a page number ("第 3 页", "- 3 -", "Page 3 of 12").

Case is kept: "5 mA" and "5 MA" differ by a factor of a billion. Everything else that differs, every digit,
letter and symbol, makes the chunks different facts, stored both.
"""

from __future__ import annotations

import re
import unicodedata

from core.documents import keyword_text

# A line that is nothing but a page number, in the forms headers and footers use. A bare number is not one:
# alone on a line it is as likely a table cell ("60", "12000") as a page number.
_PAGE_NUMBER = re.compile(
    r"""^(?:
        [-–—]\s*\d{1,4}\s*[-–—]                                     # - 3 -
      | (?:page|p\.)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?          # Page 3, Page 3 of 12, p. 3
      | 第\s*\d{1,4}\s*页(?:\s*[,，/、]?\s*共\s*\d{1,4}\s*页)?      # 第 3 页, 第 3 页 共 12 页
      | 共\s*\d{1,4}\s*页\s*[,，/、]?\s*第\s*\d{1,4}\s*页           # 共 12 页 第 3 页
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_WORD_CHAR = re.compile(r"[0-9A-Za-z]")


def same_text_key(text: str, heading: str = "") -> str:
    """The chunk's text (under its heading path) with everything that carries no fact removed: two chunks
    with equal keys say the same thing; any other difference is a different fact."""
    lines = keyword_text(text, heading).translate(_FULL_WIDTH).splitlines()
    kept = " ".join(line for line in lines if not _PAGE_NUMBER.match(line.strip()))
    return _squeeze(kept)


def _squeeze(text: str) -> str:
    """Whitespace goes, except one space between two Latin letters or digits ("M8 16" is not "M816");
    punctuation goes unless a digit follows it."""
    out: list[str] = []
    pending_space = False
    for i, char in enumerate(text):
        if char.isspace():
            pending_space = True
            continue
        if unicodedata.category(char).startswith("P") and not _touches_number(text, i):
            continue
        if pending_space and out and _WORD_CHAR.match(out[-1]) and _WORD_CHAR.match(char):
            out.append(" ")
        pending_space = False
        out.append(char)
    return "".join(out)


def _touches_number(text: str, i: int) -> bool:
    """A sign, decimal point or separator before a digit: "-5", ".5", "1,500", "3/4", "AL-608"."""
    return text[i + 1 : i + 2].isdigit()
