"""Plain text, Markdown and HTML: decode any common encoding, emit headings as Markdown `#` lines."""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup
from charset_normalizer import from_bytes

from core.documents import Page
from core.settings import IngestSettings
from ingest.errors import FileIngestError
from ingest.loaders.tables import rows_as_text

_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_HEADING_TAGS = ["h1", "h2", "h3", "h4", "h5", "h6"]
_BLOCK_TAGS = ["p", "div", "li", "tr", "br", "section", "article", "blockquote", "pre", *_HEADING_TAGS]


def clean_text(text: str) -> str:
    """PDF extraction pads Latin runs inside Chinese with several spaces ("运行  300  小时"); one is enough."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def decode_text(data: bytes) -> str:
    """UTF-8 first (the common case, and charset detection can misread short UTF-8); then detection."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        best = from_bytes(data).best()
        if best is None:
            raise FileIngestError("not a text file (unknown encoding)") from None
        return str(best)


def load_text(path: Path, settings: IngestSettings) -> list[Page]:
    """TXT and Markdown pass through as they are: Markdown headings are already what the splitter reads."""
    return [Page(text=decode_text(path.read_bytes()).strip(), page=None)]


def load_html(path: Path, settings: IngestSettings) -> list[Page]:
    """Scripts and styles are code, not content; h1–h6 become `#` lines and tables become self-contained rows."""
    soup = BeautifulSoup(decode_text(path.read_bytes()), "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    for table in soup.find_all("table"):
        rows = [[cell.get_text(" ", strip=True) for cell in tr.find_all(["th", "td"])] for tr in table.find_all("tr")]
        table.replace_with(soup.new_string("\n" + "\n".join(rows_as_text(rows)) + "\n"))
    for heading in soup.find_all(_HEADING_TAGS):
        title = heading.get_text(" ", strip=True)
        level = int(heading.name[1])
        heading.replace_with(soup.new_string(f"\n{'#' * level} {title}\n" if title else "\n"))
    return [Page(text=_html_text(soup), page=None)]


def _html_text(soup: BeautifulSoup) -> str:
    """Block elements end a line; inline runs (links, bold) stay inside their sentence."""
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.append("\n")
    return clean_text(soup.get_text())
