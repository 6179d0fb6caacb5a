"""Plain text and Markdown: decode any common encoding; HTML found inside is read as HTML (issue 20).

A `.txt` or `.md` saved from a browser is a web page whatever its name: a whole page or a fragment dense in
tags (`ingest.html_min_share`) goes through the web-page loader, main text only. Markdown or text with a few
inline tags (`<br>`, `<font>`, `<div align="center">`) is the author's own text: its tags are stripped and its
Markdown kept, so its headings are still the splitter's sections. Text without tags passes through as it is.
"""

from __future__ import annotations

from pathlib import Path

from core.documents import Page
from core.settings import IngestSettings
from ingest.loaders.decode import decode_text
from ingest.loaders.html import check_html_size, page_text
from ingest.loaders.markup import has_markup, looks_like_page, strip_inline_html


def load_text(path: Path, settings: IngestSettings) -> list[Page]:
    """TXT and Markdown: Markdown headings are already what the splitter reads."""
    data = path.read_bytes()
    text = decode_text(data)
    if looks_like_page(text, settings.html_min_share):
        check_html_size(len(data), settings)
        return [Page(text=page_text(text), page=None)]
    if has_markup(text):
        text = strip_inline_html(text)
    return [Page(text=text.strip(), page=None)]
