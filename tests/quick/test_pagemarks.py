"""Evidence marked on the PDF page image (app/engine/pagemarks.py), on a real PDF: the boxes are where pdfium
placed the sentence's characters, one per line, also across a line wrap."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest

from app.engine.pagemarks import Box, find_spans, merge_lines, page_chars, render_marked, sentence_boxes

ROOT = Path(__file__).resolve().parents[2]
MANUAL = ROOT / "examples" / "ZK-200_spindle_manual.pdf"
WRAPPED = "Maximum speed: 12,000 rpm."  # "12,000" ends a line of page 1, "rpm." starts the next


@pytest.fixture
def page1():
    document = pdfium.PdfDocument(MANUAL)
    page = document[0]
    textpage = page.get_textpage()
    yield document, page, textpage
    textpage.close()
    page.close()
    document.close()


def _box_of(textpage, word: str) -> Box:
    """Where pdfium puts `word` (a whole line's worth of characters merged), found independently of the module."""
    text = textpage.get_text_range()
    start = text.index(word)
    boxes = [Box(*textpage.get_charbox(i)) for i in range(start, start + len(word))]
    return Box(min(b.left for b in boxes), min(b.bottom for b in boxes), max(b.right for b in boxes),
               max(b.top for b in boxes))  # fmt: skip


def _yellow_share(image, box: tuple[int, int, int, int]) -> float:
    """Share of the pixels in `box` tinted yellow (red well above blue; the page itself is grey scale)."""
    pixels = list(image.crop(box).getdata())
    return sum(r - b > 60 for r, _, b in pixels) / max(len(pixels), 1)


def _overlaps(a: Box, b: Box) -> bool:
    return a.left < b.right and b.left < a.right and a.bottom < b.top and b.bottom < a.top


def test_a_sentence_wrapping_a_line_is_marked_on_both_lines(page1):
    _, _, textpage = page1
    assert "12,000\r\nrpm." in textpage.get_text_range()  # the fixture really wraps there
    boxes = sentence_boxes(textpage, [WRAPPED])
    assert len(boxes) == 2, boxes
    first, second = boxes
    assert first.bottom > second.top - 1  # two lines, the first above the second
    assert _overlaps(first, _box_of(textpage, "Maximum speed: 12,000"))
    assert _overlaps(second, _box_of(textpage, "rpm."))
    # the marks cover the sentence and not the whole lines: "The ZK-200 is a belt-driven" is left of it
    assert not _overlaps(first, _box_of(textpage, "The ZK-200 is a belt-driven"))
    assert second.right < _box_of(textpage, "Rated power").left + 1


def test_whitespace_case_and_full_width_forms_do_not_hide_a_sentence(page1):
    _, _, textpage = page1
    chars = page_chars(textpage)
    assert len(chars) == textpage.count_chars()
    assert find_spans(chars, "maximum   speed：12,000\nrpm.")  # a full-width colon, newlines, lower case
    assert find_spans(chars, "Maximum speed: 13,000 rpm.") == []  # a different figure is not found
    assert sentence_boxes(textpage, ["not on this page at all"]) == []


def test_the_rendered_page_is_painted_where_the_boxes_are(page1):
    document, _, _ = page1
    marked = render_marked(document, 1, [WRAPPED], 1200)
    assert marked is not None and marked.image.width == 1200 and len(marked.boxes) == 2
    plain = render_marked(document, 1, [], 1200)
    assert plain is not None and plain.boxes == []
    for x0, y0, x1, y1 in marked.boxes:
        assert _yellow_share(marked.image, (x0, y0, x1, y1)) > 0.5  # painted over the sentence's line
        assert _yellow_share(plain.image, (x0, y0, x1, y1)) == 0
    x0, y0, x1, y1 = marked.boxes[0]
    assert _yellow_share(marked.image, (x0, y1 + 200, x1, y1 + 230)) == 0  # and not elsewhere
    assert render_marked(document, 99, [WRAPPED], 1200) is None


def test_characters_of_one_line_merge_and_a_new_line_starts_a_box():
    chars = [Box(10, 100, 15, 110), Box(15, 100, 20, 111), Box(10, 85, 16, 95)]
    assert merge_lines(chars) == [Box(10, 100, 20, 111), Box(10, 85, 16, 95)]
