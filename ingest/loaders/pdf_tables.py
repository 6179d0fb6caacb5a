"""Ruled tables in PDFs (pdfplumber) written into their page's text as rows that read alone.

pypdf writes a table as runs of values ("M8 8.8 25 M10 8.8 49"), which neither BM25 nor the embedder can tie to
their column names. Here each table found on a page becomes a block: its caption (the "Table 3 …"/"表 3 …" line
above it, or its title row) as a heading line, then one line per row, "列名: 值; …" (`table_rows`). The page's
lines that are the table's own text are dropped, so the values are not stored twice; every other line stays as
pypdf read it. Only ruled tables are looked for (pdfplumber's "lines" strategy): a table drawn without rules
cannot be told from columns of prose without guessing, and a wrong guess would cut prose into rows.

Bounded per document (`ingest.pdf_tables_max_s`, `ingest.pdf_tables_max_cells`): past either, the remaining
pages keep their text as it was, and a page where detection fails keeps its text too. Pages with fewer than
MIN_PATHS drawn paths (pdfium counts them in microseconds) cannot hold a ruled table and are not opened.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.documents import CAPTION_END, CAPTION_LEVEL
from core.settings import IngestSettings
from ingest.loaders.garbled import is_garbled
from ingest.loaders.table_rows import Built, Slot, Table, build_rows, cell, is_numeric, unstack

log = logging.getLogger(__name__)
MIN_PATHS = 4  # a ruled table of 2 x 2 cells draws at least this many lines (or one rect per cell)
MARGIN_CHARS = 80  # a running header or footer: no more characters than this above or below a table
MIN_DROP_CHARS = 4  # a shorter line ("1", "OK") is dropped as table text only between two longer ones
_CAPTION = re.compile(r"^(?:#+\s*)?(?:Table|TABLE|Tab\.)\s*[\dIVX]+|^(?:#+\s*)?(?:续)?表\s*[\d一二三四五六七八九十A-Z]")
_SPACE = re.compile(r"\s+")
CAPTION_LINES = 2  # a caption is one of the two lines right above the table ("Table 1" / its title)


@dataclass
class _Found:
    table: Table
    compact: str  # the table's text without whitespace, row by row, to find its lines in pypdf's text
    opens_page: bool  # no more than a running header above it
    ends_page: bool  # no more than a footer below it: it may go on over the page


def apply_tables(path: Path, texts: list[str], password: str | None, settings: IngestSettings) -> None:
    """Replace, in `texts` (one per page), each ruled table's text by its rows. Never raises: a document or a
    page where detection fails keeps its text."""
    if not settings.pdf_tables:
        return
    try:
        captioned = {i for i, text in enumerate(texts) if any(_CAPTION.match(x.strip()) for x in text.split("\n"))}
        candidates = captioned.union(_ruled_pages(path, password, len(texts)))
        if candidates:
            _apply(path, texts, password, settings, candidates)
    except Exception as exc:  # pdfplumber/pdfminer on a PDF they cannot read: the text stays as it is
        log.debug("%s: table detection skipped (%s: %s)", path, type(exc).__name__, exc)


def _ruled_pages(path: Path, password: str | None, pages: int) -> list[int]:
    """Indices of the pages that draw at least MIN_PATHS paths."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    document = pdfium.PdfDocument(path, password=password)
    try:
        if len(document) != pages:
            return []
        found = []
        for i in range(pages):
            page = document[i]
            try:
                paths = page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_PATH,), max_depth=2)
                if sum(1 for _, _ in zip(range(MIN_PATHS), paths, strict=False)) >= MIN_PATHS:
                    found.append(i)
            finally:
                page.close()
        return found
    finally:
        document.close()


def _apply(path: Path, texts: list[str], password: str | None, settings: IngestSettings, pages: set[int]) -> None:
    import pdfplumber

    deadline = time.monotonic() + settings.pdf_tables_max_s
    cells = 0
    previous: tuple[int, Built] | None = None  # the last table of the page before, when it ended that page
    with pdfplumber.open(path, password=password or "") as pdf:
        for i in range(len(texts)):
            if i not in pages and (previous is None or previous[0] != i - 1):
                continue  # neither drawn rules nor a caption, nor a table going on from the page before
            if time.monotonic() > deadline or cells > settings.pdf_tables_max_cells:
                log.info("%s: tables looked for up to page %d (ingest.pdf_tables_max_s / _max_cells)", path, i)
                return
            page = pdf.pages[i]
            try:
                found = _page_tables(page, any(_CAPTION.match(line.strip()) for line in texts[i].split("\n")))
                cells += sum(len(row) for f in found for row in f.table.grid)
                carried = previous[1] if previous is not None and previous[0] == i - 1 else None
                texts[i], last = merge_page_text(texts[i], found, carried)
                previous = (i, last) if last is not None else None
            except Exception as exc:
                log.debug("%s: page %d keeps its text (%s: %s)", path, i + 1, type(exc).__name__, exc)
                previous = None
            finally:
                page.close()


def _page_tables(page: Any, captioned: bool) -> list[_Found]:
    """The page's ruled tables of 2+ rows and 2+ columns, top to bottom (a framed box or a one-column list is
    text, not a table). On a page with a "Table N" caption and no ruled table, a table aligned by its text alone
    is taken when it is mostly figures (TEXT_TABLE)."""
    tables = page.find_tables()
    by_text = captioned and not any(len(t.rows) >= 2 and len(t.columns) >= 2 for t in tables)
    if by_text:
        tables = page.find_tables(TEXT_TABLE)
    found = []
    for table in sorted(tables, key=lambda t: t.bbox[1]):
        texts = table.extract()
        rows = list(table.rows)
        if by_text:  # the alignment runs on into the text below: keep the heading and the rows of figures
            keep = text_table_rows(texts)
            texts, rows = texts[:keep], rows[:keep]
        if not texts or max(len(r) for r in texts) < 2:
            continue
        above = sum(1 for ch in page.chars if ch["bottom"] <= table.bbox[1])
        opens_page = above <= MARGIN_CHARS
        # 2+ rows of 2+ filled cells; one such row only at the top of a page, where a table may go on
        if sum(1 for row in texts if sum(1 for c in row if c and c.strip()) >= 2) < (1 if opens_page else 2):
            continue
        if is_garbled(" ".join(c or "" for row in texts for c in row)):
            continue  # fonts without a Unicode map: the page's text (or its OCR) is all there is
        grid = spread_grid([list(r.cells) for r in rows], texts)
        # as drawn, and with stacked cells read across (pypdf writes "Alabama 18,870 …" on one line)
        raw = "".join(_SPACE.sub("", c or "") for row in texts for c in row)
        across = "".join(_SPACE.sub("", c) for row in texts for line in unstack([c or "" for c in row]) for c in line)
        compact = f"{raw}|{across}"
        bottom = max((b[3] for r in rows for b in r.cells if b is not None), default=table.bbox[3])
        below = sum(1 for ch in page.chars if ch["top"] >= bottom)
        found.append(_Found(Table(grid), compact, opens_page, below <= MARGIN_CHARS))
    return found


Box = tuple[float, float, float, float]
TEXT_TABLE = {"vertical_strategy": "text", "horizontal_strategy": "text"}
MIN_FIGURES = 0.5  # share of a text-aligned table's filled cells that must be figures (prose is not)


def _figure_row(row: Sequence[str | None]) -> bool:
    filled = [cell(c) for c in row if c and cell(c)]
    return len(filled) >= 3 and sum(map(is_numeric, filled)) >= MIN_FIGURES * len(filled)


def text_table_rows(texts: list[list[str | None]]) -> int:
    """How many rows of a table found by text alignment are the table: its heading rows, then rows mostly of
    figures (3+ filled cells) up to the first that is not one; 0 when fewer than 2 such rows."""
    data = [i for i, row in enumerate(texts) if _figure_row(row)]
    if len(data) < 2:
        return 0
    end = data[0]
    while end + 1 < len(texts) and (_figure_row(texts[end + 1]) or not any(c and c.strip() for c in texts[end + 1])):
        end += 1
    return end + 1


def spread_grid(boxes: Sequence[Sequence[Box | None]], texts: Sequence[Sequence[str | None]]) -> list[list[Slot]]:
    """Every position of the grid with the cell covering it: pdfplumber gives None where a merged cell
    continues; it is covered by the cell on its left when that one reaches past the position's middle, else by
    the one above."""
    width = max(len(r) for r in boxes)
    x_mid = [_middle([r[c] for r in boxes if c < len(r)], 0) for c in range(width)]
    grid: list[list[Slot]] = []
    origin_box: dict[tuple[int, int], Box] = {}
    for r, row in enumerate(boxes):
        y_mid = _middle(row, 1)
        slots: list[Slot] = []
        for c in range(width):
            box = row[c] if c < len(row) else None
            if box is not None:
                slots.append(Slot(texts[r][c] or "", r, c))
                origin_box[(r, c)] = box
                continue
            left = slots[c - 1] if c > 0 else None
            up = grid[r - 1][c] if r > 0 else None
            x = x_mid[c]
            if left is not None and x is not None and origin_box[(left.row, left.col)][2] > x:
                slots.append(left)
            elif up is not None and y_mid is not None and origin_box[(up.row, up.col)][3] > y_mid:
                slots.append(up)
            else:
                slots.append(Slot("", r, c))
                origin_box[(r, c)] = (0.0, 0.0, 0.0, 0.0)
        grid.append(slots)
    return grid


def _middle(boxes: Sequence[Box | None], axis: int) -> float | None:
    """Middle of the first box along x (axis 0) or y (axis 1)."""
    box = next((b for b in boxes if b is not None), None)
    return None if box is None else (box[axis] + box[axis + 2]) / 2


def merge_page_text(text: str, found: list[_Found], carried: Built | None) -> tuple[str, Built | None]:
    """The page's text with each table's lines replaced by its block (caption heading + rows), at the place of
    its first line (at the end when none of its lines is found). Returns the text, and the page's last table
    when only a footer follows it (it may go on over the page), for the next page."""
    lines = text.split("\n")
    owner: list[int | None] = [None] * len(lines)
    for t, f in enumerate(found):
        _claim(lines, owner, t, f.compact)
    out: list[str] = []
    built: list[Built] = []
    emitted: set[int] = set()
    for t, f in enumerate(found):
        first = owner.index(t) if t in owner else None
        caption: list[int] = []
        if first is not None:
            above = [j for j in range(first - 1, -1, -1) if lines[j].strip() and owner[j] is None][:CAPTION_LINES]
            start = next((j for j in above if _CAPTION.match(lines[j].strip())), None)
            if start is not None:  # the caption (and a title line under it) becomes the block's heading
                caption = [j for j in range(start, first) if owner[j] is None]
                f.table.caption = cell(" ".join(lines[j].lstrip("#") for j in caption))
        elif len(found) == 1:  # its lines were not found: named after the page's caption, which stays as text
            f.table.caption = next((cell(x) for x in lines if _CAPTION.match(x.strip())), "")
        built.append(build_rows(f.table, carried if t == 0 and f.opens_page else None))
        if not built[-1].lines:  # a header alone (a one-row table that continues nothing): its lines stay text
            owner = [None if o == t else o for o in owner]
            continue
        for j in caption:
            owner[j] = -1
    for line, claimed in zip(lines, owner, strict=True):
        if claimed is None:
            out.append(line)
        elif claimed >= 0 and claimed not in emitted:
            emitted.add(claimed)
            out.extend(_block(built[claimed]))
    for t in range(len(found)):
        if t not in emitted and built[t].lines:
            out.extend(_block(built[t]))
    last = built[-1] if built and found[-1].ends_page else None
    return "\n".join(out), last


def _claim(lines: list[str], owner: list[int | None], t: int, compact: str) -> None:
    """Mark the lines that are table t's text: lines of 4+ characters found whole in it fix the span; inside the
    span, any line whose words are all in it (pypdf interleaves wrapped cells) belongs to the table too."""
    strong = [
        j
        for j, line in enumerate(lines)
        if owner[j] is None and len(key := _SPACE.sub("", line)) >= MIN_DROP_CHARS and key in compact
    ]
    if not strong:
        return
    for j in range(strong[0], strong[-1] + 1):
        words = [_SPACE.sub("", w) for w in lines[j].split()]
        if owner[j] is None and (not words or all(w in compact for w in words)):
            owner[j] = t


def _block(built: Built) -> list[str]:
    """The caption as a heading over the rows, whose scope ends with them (`CAPTION_END`)."""
    if not built.caption:
        return built.lines
    return ["#" * CAPTION_LEVEL + f" {built.caption}", *built.lines, CAPTION_END]
