"""HTML inside text: how much of a text is markup, and inline tags stripped from Markdown and plain text.

Pages saved from a browser reach us as `.txt` or `.md`: fragments that start `<h1 class="postTitle">`, a body
without `<html>`, Markdown with `<div align="center">`, `<font>`, `<br>` inline. Read as plain text they stored
chunks that began "</li> </ul> <p><strong>…" (issue 20), and such chunks were detected as English. Only the
tags of HTML's own vocabulary count, so "<osamu at debian dot org>", "a < b" and "Vec<String>" are text.
"""

from __future__ import annotations

import html
import re

from bs4 import BeautifulSoup

from ingest.loaders.tables import rows_as_text

_HEADINGS = "h1|h2|h3|h4|h5|h6"
_BLOCKS = (
    "address|article|aside|blockquote|body|br|caption|center|dd|details|dialog|div|dl|dt|fieldset|figcaption|"
    "figure|footer|form|head|header|hr|html|li|main|nav|ol|p|pre|section|summary|tbody|td|tfoot|th|thead|tr|ul"
)
_INLINE = (
    "a|abbr|acronym|b|bdi|bdo|big|button|cite|code|col|colgroup|data|del|dfn|em|font|i|iframe|img|input|ins|kbd|"
    "label|link|mark|meta|picture|q|rp|rt|ruby|s|samp|select|small|source|span|strike|strong|sub|sup|svg|textarea|"
    "time|title|tt|u|var|video|audio|wbr|option|path"
)
_DROPPED = "script|style|noscript|template|head"
_NAME = rf"(?:{_HEADINGS}|{_BLOCKS}|{_INLINE}|table|{_DROPPED})"
_ATTRS = r"(?:\s+[^\s<>\"'=/]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s<>\"']+))?)*\s*/?"
TAG = re.compile(rf"</?{_NAME}{_ATTRS}>", re.I)
ENTITY = re.compile(r"&(?:nbsp|lt|gt|amp|quot|apos|copy|reg|hellip|mdash|ndash|ldquo|rdquo|lsquo|rsquo|"
                    r"larr|rarr|middot|times|deg|#\d{2,7}|#x[0-9a-f]{2,6});", re.I)  # fmt: skip
COMMENT = re.compile(r"<!--.*?-->", re.S)
_DOCUMENT = re.compile(r"(?:\s|<!--.*?-->|<\?xml[^>]*>)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S)
_DROPPED_ELEMENTS = re.compile(rf"<({_DROPPED})\b[^>]*>.*?</\1\s*>", re.I | re.S)
_TABLE = re.compile(rf"<table{_ATTRS}>.*?</table\s*>", re.I | re.S)
_HEADING = re.compile(rf"<({_HEADINGS}){_ATTRS}>(.*?)</\1\s*>", re.I | re.S)
_BLOCK_TAG = re.compile(rf"</?(?:{_BLOCKS}){_ATTRS}>", re.I)
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_CODE_SPAN = re.compile(r"(`+)[^`\n]*?\1")
_MARKDOWN_LINE = re.compile(r"^ {0,3}(?:#{1,6}\s+\S|[-*+]\s+\S|\d{1,3}[.)]\s+\S|>\s|```|~~~)")


def has_markup(text: str) -> bool:
    """What a stored chunk must never hold: an HTML tag, an HTML comment or an escaped entity."""
    return bool(TAG.search(text) or ENTITY.search(text) or COMMENT.search(text))


def markup_share(text: str) -> float:
    """The share of a text's non-space characters that are tags, comments or entities (0 when none)."""
    if "<" not in text and "&" not in text:  # most text files: nothing to scan
        return 0.0
    marked = sum(
        len(m.group()) - m.group().count(" ") for pattern in (TAG, COMMENT, ENTITY) for m in pattern.finditer(text)
    )
    total = len(text) - sum(text.count(c) for c in " \t\r\n")
    return marked / total if total else 0.0


def looks_like_page(text: str, min_share: float) -> bool:
    """A page saved from a browser, whole (`<!DOCTYPE html>`, `<html>`, `<body>` near the start) or a fragment
    whose markup is at least `min_share` (`ingest.html_min_share`) of it and which is not Markdown: Markdown
    with inline HTML is an author's own text, every word of it kept, so it is stripped, not extracted."""
    if _DOCUMENT.match(text.removeprefix("\ufeff")[:4096]):
        return True
    return markup_share(text) >= min_share and not _markdown_lines(text)


def _markdown_lines(text: str) -> bool:
    """Markdown's own structure outside tags: two or more heading, list or fence lines."""
    hits = 0
    for line in text.splitlines():
        if _MARKDOWN_LINE.match(line):
            hits += 1
            if hits >= 2:
                return True
    return False


def strip_inline_html(text: str) -> str:
    """Markdown (or plain text) with its HTML tags taken out and its structure kept: h1–h6 become `#` lines,
    tables rows, block tags line breaks, scripts, styles and comments go, entities are decoded. Fenced code and
    code spans are left as written: a tag there is an example, not markup."""
    out: list[str] = []
    prose: list[str] = []
    fence: str | None = None
    for line in text.splitlines(keepends=True):
        opened = _FENCE.match(line)
        if fence is None and opened:
            out.append(_strip("".join(prose)))
            prose = []
            fence = opened.group(1)
            out.append(line)
        elif fence is not None:
            out.append(line)
            if line.lstrip().startswith(fence):
                fence = None
        else:
            prose.append(line)
    out.append(_strip("".join(prose)))
    return "".join(out)


def _strip(text: str) -> str:
    if "<" not in text and "&" not in text:
        return text
    spans: list[str] = []
    text = _CODE_SPAN.sub(lambda m: _keep(m.group(), spans), text)
    text = COMMENT.sub("", text)
    text = _DROPPED_ELEMENTS.sub("", text)
    text = _TABLE.sub(lambda m: "\n" + "\n".join(table_rows(m.group())) + "\n", text)
    text = _HEADING.sub(_heading_line, text)
    text = _BLOCK_TAG.sub("\n", text)
    text = TAG.sub("", text)
    text = html.unescape(text).replace("\u00a0", " ")
    text = re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m.group(1))], text)
    return re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", text)  # the lines block tags leave behind


def _keep(span: str, spans: list[str]) -> str:
    spans.append(span)
    return f"\x00{len(spans) - 1}\x00"


def _heading_line(match: re.Match[str]) -> str:
    title = " ".join(TAG.sub(" ", html.unescape(match.group(2))).split())
    return f"\n{'#' * int(match.group(1)[1])} {title}\n" if title else "\n"


def table_rows(table_html: str) -> list[str]:
    """One HTML table as self-contained rows ("列名: 值; …"), as every loader writes tables."""
    soup = BeautifulSoup(table_html, "html.parser")
    rows = [[cell.get_text(" ", strip=True) for cell in tr.find_all(["th", "td"])] for tr in soup.find_all("tr")]
    return list(rows_as_text(rows))
