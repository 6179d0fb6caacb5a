"""Plain text, Markdown and HTML: decode any common encoding, emit headings as Markdown `#` lines."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup

from core.documents import Page
from core.settings import IngestSettings
from ingest.loaders.decode import clean_text, decode_text
from ingest.loaders.tables import rows_as_text

_HEADING_TAGS = ["h1", "h2", "h3", "h4", "h5", "h6"]
_BLOCK_TAGS = ["p", "div", "li", "tr", "br", "section", "article", "blockquote", "pre", *_HEADING_TAGS]


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
