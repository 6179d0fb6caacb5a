"""Evidence marked on the page image: where a quoted sentence sits on a PDF page, from the characters pdfium
placed there, so a user checking an answer sees the sentence on the page itself, not only in extracted text.

A sentence is found whitespace-blind: the quote is whitespace-normalised and a PDF line wrap is a "\\r\\n" (or
nothing) in the page's text, so "Maximum speed: 12,000 rpm." is found across the wrap after "12,000". Characters
are compared after NFKC (a ligature "ﬁ" is "fi", a full-width colon a colon), as the loaders normalise them.
The boxes are the found characters' boxes merged per line: one box per line the sentence spans.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

MARK_FILL = (255, 214, 0, 90)  # translucent yellow: the text stays readable under it
MARK_EDGE = (230, 120, 0, 255)


@dataclass(frozen=True)
class Box:
    """A rectangle in PDF points, origin at the page's bottom left (pdfium's own coordinates)."""

    left: float
    bottom: float
    right: float
    top: float

    def to_pixels(self, scale: float, page_height: float) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) on an image of the page rendered at `scale` pixels per point, origin top left."""
        return (
            int(self.left * scale),
            int((page_height - self.top) * scale),
            round(self.right * scale),
            round((page_height - self.bottom) * scale),
        )


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def page_chars(textpage: Any) -> list[str]:
    """The page's characters one per index, as pdfium numbers them (generated spaces and line breaks included),
    so an index found in the text is the index of its box."""
    import pypdfium2.raw as pdfium_c

    return [chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i)) for i in range(textpage.count_chars())]


def find_spans(chars: Sequence[str], sentence: str) -> list[list[int]]:
    """Every place `sentence` occurs in `chars`, whitespace ignored on both sides: the indices of its characters."""
    flat: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(chars):
        for folded in _fold(ch):
            if not folded.isspace():
                flat.append(folded)
                where.append(i)
    needle = "".join(ch for ch in _fold(sentence) if not ch.isspace())
    if not needle:
        return []
    haystack = "".join(flat)
    spans, start = [], haystack.find(needle)
    while start >= 0:
        spans.append(sorted(set(where[start : start + len(needle)])))
        start = haystack.find(needle, start + len(needle))
    return spans


def merge_lines(boxes: Iterable[Box]) -> list[Box]:
    """Character boxes, in reading order, merged into one box per line: a character whose vertical middle lies
    within the current line's height continues it, any other starts a new line."""
    lines: list[Box] = []
    for b in boxes:
        middle = (b.bottom + b.top) / 2
        last = lines[-1] if lines else None
        if last is not None and last.bottom <= middle <= last.top and b.left >= last.left - 1:
            lines[-1] = Box(min(last.left, b.left), min(last.bottom, b.bottom), max(last.right, b.right),
                            max(last.top, b.top))  # fmt: skip
        else:
            lines.append(b)
    return lines


def sentence_boxes(textpage: Any, sentences: Iterable[str]) -> list[Box]:
    """The line boxes of every occurrence of each sentence on the page (empty for one not on it)."""
    chars = page_chars(textpage)
    found: list[Box] = []
    for sentence in sentences:
        for span in find_spans(chars, sentence):
            boxes = []
            for i in span:
                left, bottom, right, top = textpage.get_charbox(i)
                if right > left and top > bottom and not chars[i].isspace():  # generated chars have no box
                    boxes.append(Box(left, bottom, right, top))
            found += merge_lines(boxes)
    return found


@dataclass
class MarkedPage:
    """A rendered page and where the evidence was drawn on it (pixels, origin top left)."""

    image: Any  # PIL.Image.Image
    boxes: list[tuple[int, int, int, int]]


def render_marked(document: Any, page: int, sentences: Sequence[str], width_px: int) -> MarkedPage | None:
    """Page `page` (1-based) of an open pdfium document, `width_px` wide, with the sentences' lines marked;
    None when the page does not exist."""
    from PIL import Image, ImageDraw

    if not 1 <= page <= len(document):
        return None
    pdf_page = document[page - 1]
    try:
        width, height = pdf_page.get_size()
        scale = width_px / max(width, 1.0)
        image = pdf_page.render(scale=scale).to_pil().convert("RGBA")
        textpage = pdf_page.get_textpage()
        try:
            boxes = [b.to_pixels(scale, height) for b in sentence_boxes(textpage, sentences)]
        finally:
            textpage.close()
    finally:
        pdf_page.close()
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    pad = max(1, int(scale))
    for x0, y0, x1, y1 in boxes:
        draw.rectangle((x0 - pad, y0 - pad, x1 + pad, y1 + pad), fill=MARK_FILL, outline=MARK_EDGE, width=pad)
    return MarkedPage(Image.alpha_composite(image, overlay).convert("RGB"), boxes)
