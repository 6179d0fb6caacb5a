"""Web pages: the main text only, with its headings as section headings (issue 20, item 1).

A page saved from a browser is mostly not its article: navigation, a sidebar of "热门文章", counters
("阅读(0) 评论(0)"), share buttons, comments, a footer, scripts. trafilatura finds the main content (measured
against readability-lxml and jusText on hand-checked pages, `bench/html.py`, docs/decisions/ingestion.md); its
HTML output is then read like any HTML: h1–h6 become Markdown `#` lines for the splitter, tables become
self-contained rows, every tag goes. A page where it finds nothing (a table of links, an index) is read whole,
scripts and styles dropped, so nothing readable is lost; so is a page too small for it to judge, which it
returns flattened into one paragraph.
"""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag

from core.documents import Page
from core.settings import IngestSettings
from ingest.errors import FileIngestError
from ingest.loaders.decode import clean_text, decode_text
from ingest.loaders.markup import table_rows

_HEADING_TAGS = ["h1", "h2", "h3", "h4", "h5", "h6"]
_BLOCK_TAGS = [
    "p", "div", "li", "tr", "br", "section", "article", "blockquote", "pre", "dt", "dd", "figcaption", "summary",
    "details", "hr", "ul", "ol", "dl", "main", "header", "footer", "aside", "nav", "center", "td", "th", "table",
    *_HEADING_TAGS,
]  # fmt: skip
_CODE_TAGS = ["script", "style", "noscript", "template", "head", "svg", "iframe", "object", "button", "select"]
_MB = 1 << 20
_MARK = "\ue000"  # a private-use character: never in a page's text
_SNIPPET = 40


def load_html(path: Path, settings: IngestSettings) -> list[Page]:
    """An .html/.htm file: its main text (see the module's docstring)."""
    data = path.read_bytes()
    check_html_size(len(data), settings)
    return [Page(text=page_text(decode_text(data)), page=None)]


def check_html_size(size: int, settings: IngestSettings) -> None:
    """A parsed page takes many times its size in memory: larger ones are refused before parsing."""
    if size > settings.html_max_mb * _MB:
        raise FileIngestError(
            f"HTML too large to parse ({size / _MB:.3g} MB > ingest.html_max_mb {settings.html_max_mb:g}): "
            "save the page's text, or raise the limit"
        )


def page_text(markup: str) -> str:
    """The main text of a page or a fragment of one, as Markdown-headed lines."""
    main = main_html(markup)
    text = html_to_text(main) if main else ""
    if not text or _flattened(main, text):
        return html_to_text(markup)
    return restore_headings(text, headings_before(markup))


def _flattened(main: str, text: str) -> bool:
    """trafilatura's last resort on a page too small to judge is its whole text in one paragraph, headings and
    table cells on lines of their own: the page read whole keeps them as headings and rows."""
    blocks = BeautifulSoup(main, "html.parser").find_all(_BLOCK_TAGS)
    return len(blocks) <= 1 and text.count("\n") >= 2


def main_html(markup: str) -> str:
    """trafilatura's main content as HTML. Comments under a post are not its text; tables are."""
    import trafilatura  # on first use: a process that reads no web page does not pay for importing it

    found = trafilatura.extract(markup, output_format="html", include_comments=False, include_tables=True)
    if not found:
        return ""
    soup = BeautifulSoup(found, "html.parser")
    body = soup.body or soup
    return body.decode_contents()


def headings_before(markup: str) -> list[tuple[int, str, str]]:
    """(level, heading, the text that follows it) for every h1–h6 of the page, in order.

    trafilatura keeps headings only inside a container it recognises (`<article>`, `<main>`, a "content"
    class); elsewhere (DocBook's Debian manuals, a bare fragment) it keeps the paragraphs and drops every
    heading, and it keeps a post's `<h1>` as metadata. The splitter needs them as sections, so each is put
    back before the text that follows it on the page, when trafilatura kept that text."""
    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(_CODE_TAGS):
        tag.decompose()
    for tag in soup.select("a.headerlink"):  # Sphinx's "¶" permalinks
        tag.decompose()
    found: list[tuple[int, str]] = []
    for i, heading in enumerate(soup.find_all(_HEADING_TAGS)):
        found.append((int(heading.name[1]), " ".join(heading.get_text(" ").split())))
        heading.replace_with(soup.new_string(f"{_MARK}{i}{_MARK}"))
    parts = soup.get_text().split(_MARK)
    out: list[tuple[int, str, str]] = []
    for i, (level, title) in enumerate(found):
        after = "".join(parts[2 * i + 2].split())[:_SNIPPET] if 2 * i + 2 < len(parts) else ""
        if title:
            out.append((level, title, after))
    return out


def restore_headings(text: str, headings: list[tuple[int, str, str]]) -> str:
    """`text` with each heading it lacks put back as a `#` line before the first line holding the text that
    followed it on the page; a heading followed by another heading goes with that one. A heading whose text
    was dropped (a sidebar's "热门文章") is dropped too, except a first h1: a post's title, followed by its
    byline and counters, leads the text."""
    lines = text.split("\n")
    present = {_squeeze(line.lstrip("#")) for line in lines if line.startswith("#")}
    squeezed = [_squeeze(line) for line in lines]
    inserts: dict[int, list[str]] = {}
    waiting: list[str] = []
    at = 0
    for level, title, after in headings:
        if _squeeze(title) in present:
            waiting = []
            continue
        line = f"{'#' * level} {title}"
        waiting.append(line)
        found = _line_with(squeezed, after, at) if after else None
        if found is not None:
            inserts.setdefault(found, []).extend(waiting)
            at, waiting = found, []
        elif after and level == 1 and not inserts:
            inserts.setdefault(0, []).append(line)
            waiting = []
        elif after:
            waiting = []
    out: list[str] = []
    for i, line in enumerate(lines):
        out.extend(inserts.get(i, []))
        out.append(line)
    return "\n".join(out)


def _squeeze(text: str) -> str:
    return "".join(text.split()).rstrip("¶")


def _line_with(squeezed: list[str], snippet: str, start: int) -> int | None:
    """The first line at or after `start` where `snippet` (spaces removed) begins, or None."""
    probe = snippet[: min(len(snippet), 12)]
    for i in range(start, len(squeezed)):
        if squeezed[i] and (squeezed[i].startswith(probe) or probe.startswith(squeezed[i][:12])):
            return i
    return None


def html_to_text(markup: str) -> str:
    """Scripts and styles are code, not content; h1–h6 become `#` lines and tables become self-contained rows;
    block elements end a line and inline runs (links, bold, code inside a sentence) stay inside it."""
    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(_CODE_TAGS):
        tag.decompose()
    for table in soup.find_all("table"):
        table.replace_with(soup.new_string("\n" + "\n".join(table_rows(str(table))) + "\n"))
    for heading in soup.find_all(_HEADING_TAGS):
        title = heading.get_text(" ", strip=True).rstrip("¶").strip()  # Sphinx's permalink sign
        heading.replace_with(soup.new_string(f"\n{'#' * int(heading.name[1])} {title}\n" if title else "\n"))
    for tag in soup.find_all(_BLOCK_TAGS):
        if tag.name == "pre" and _inside_sentence(tag):
            continue
        tag.insert_before("\n")
        tag.append("\n")
    return clean_text(soup.get_text())


def _inside_sentence(tag: Tag) -> bool:
    """trafilatura writes inline `<code>` as `<pre>`: one inside a paragraph or a list item, or with text
    beside it ("$ debuild -v<pre>1.2</pre>"), is a code span in a sentence, not a block."""
    if tag.find_parent(["p", "li"]) is not None:
        return True
    parent = tag.parent
    return parent is not None and any(
        isinstance(node, NavigableString) and node.strip() for node in parent.children if node is not tag
    )
